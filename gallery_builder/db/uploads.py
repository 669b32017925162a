"""SQL of the Google Photos upload ledger: albums (with the API's album id) and one row per photo and
album, written as each file finishes (bytes sent, then media item created), so nothing is sent twice.

Each write is its own short transaction: a killed upload loses at most the file in flight.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal, Sequence

from gallery_builder.db.connection import transaction
from gallery_builder.db.pass_queries import now_iso

LedgerState = Literal["sent", "created", "failed"]


@dataclass(frozen=True)
class UploadAlbum:
    """An album of the ledger: our id, its title, and Google's album id once created."""

    id: int
    title: str
    api_album_id: str | None
    collection_id: int | None


@dataclass(frozen=True)
class LedgerRow:
    photo_id: int
    state: LedgerState
    upload_token: str | None
    media_item_id: str | None
    at: str


@dataclass(frozen=True)
class PhotoFile:
    """What an upload needs of a photo: where its original is, its name, size and kind."""

    id: int
    path: Path
    name: str
    size: int
    kind: str


def has_ledger(db: Any) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'google_uploads'").fetchone() is not None


def album_titled(db: Any, title: str, collection_id: int | None) -> UploadAlbum:
    """The ledger's album of this title, made (without a Google id yet) when new."""
    with transaction(db):
        db.execute("INSERT INTO google_albums (title, collection_id, created_at) VALUES (?, ?, ?)"
                   " ON CONFLICT (title) DO NOTHING", (title, collection_id, now_iso()))
        row = db.execute("SELECT id, title, api_album_id, collection_id FROM google_albums WHERE title = ?",
                         (title,)).fetchone()
    return UploadAlbum(*row)


def set_api_album_id(db: Any, album_id: int, api_album_id: str) -> None:
    with transaction(db):
        db.execute("UPDATE google_albums SET api_album_id = ? WHERE id = ?", (api_album_id, album_id))


def ledger_rows(db: Any, album_id: int, photo_ids: Sequence[int]) -> dict[int, LedgerRow]:
    """The ledger rows of these photos in this album, by photo id."""
    rows = db.execute(
        "SELECT photo_id, state, upload_token, media_item_id, at FROM google_uploads WHERE album_id = ?"
        " AND photo_id IN (SELECT value FROM json_each(?))", (album_id, json.dumps(list(photo_ids))))
    return {row[0]: LedgerRow(*row) for row in rows}


def media_items_elsewhere(db: Any, album_id: int, photo_ids: Sequence[int]) -> dict[int, str]:
    """Media items these photos already have in Google Photos (made for another album), by photo id."""
    rows = db.execute(
        "SELECT photo_id, MAX(media_item_id) FROM google_uploads WHERE album_id != ? AND state = 'created'"
        " AND photo_id IN (SELECT value FROM json_each(?)) GROUP BY photo_id",
        (album_id, json.dumps(list(photo_ids))))
    return {row[0]: row[1] for row in rows}


def _upsert(db: Any, album_id: int, photo_id: int, state: LedgerState, token: str | None, item: str | None,
            size: int, error: str | None) -> None:
    db.execute("INSERT INTO google_uploads (album_id, photo_id, state, upload_token, media_item_id, bytes, error, at)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (album_id, photo_id) DO UPDATE SET state = excluded.state,"
               " upload_token = excluded.upload_token, media_item_id = excluded.media_item_id,"
               " bytes = MAX(bytes, excluded.bytes), error = excluded.error, at = excluded.at",
               (album_id, photo_id, state, token, item, size, error, now_iso()))


def record_sent(db: Any, album_id: int, photo_id: int, upload_token: str, size: int) -> None:
    """The bytes of a photo are at Google (its upload token is valid for a day)."""
    with transaction(db):
        _upsert(db, album_id, photo_id, "sent", upload_token, None, size, None)


def record_created(db: Any, album_id: int, created: Iterable[tuple[int, str]]) -> None:
    """Media items created in the album: (photo id, media item id) pairs."""
    with transaction(db):
        for photo_id, item in created:
            _upsert(db, album_id, photo_id, "created", None, item, 0, None)


def record_failed(db: Any, album_id: int, photo_id: int, error: str) -> None:
    with transaction(db):
        _upsert(db, album_id, photo_id, "failed", None, None, 0, error[:500])


def forget_uploads(db: Any, album_id: int, photo_ids: Sequence[int]) -> int:
    """Drop these photos' rows of the album (`--force`): the next run sends them again."""
    with transaction(db):
        return db.execute("DELETE FROM google_uploads WHERE album_id = ? AND photo_id IN"
                          " (SELECT value FROM json_each(?))", (album_id, json.dumps(list(photo_ids)))).rowcount


def photo_files(db: Any, photo_ids: Sequence[int]) -> dict[int, PhotoFile]:
    """The originals of these photos (present ones only), by photo id."""
    rows = db.execute(
        "SELECT p.id, r.path, p.path, p.name, p.size, p.kind FROM photos p JOIN roots r ON r.id = p.root_id"
        " WHERE p.status = 'ok' AND p.id IN (SELECT value FROM json_each(?))", (json.dumps(list(photo_ids)),))
    return {row[0]: PhotoFile(row[0], Path(row[1]) / row[2], row[3], row[4], row[5]) for row in rows}


def known_photo_ids(db: Any, photo_ids: Sequence[int]) -> list[int]:
    return [row[0] for row in db.execute("SELECT id FROM photos WHERE id IN (SELECT value FROM json_each(?))"
                                         " ORDER BY id", (json.dumps(list(photo_ids)),))]


@dataclass(frozen=True)
class AlbumSummary:
    title: str
    api_album_id: str | None
    created: int
    pending: int
    failed: int


def album_summaries(db: Any) -> list[AlbumSummary]:
    """Every ledger album with its counts of created, pending (sent) and failed photos."""
    return [AlbumSummary(*row) for row in db.execute(
        "SELECT a.title, a.api_album_id, COALESCE(SUM(u.state = 'created'), 0), COALESCE(SUM(u.state = 'sent'), 0),"
        " COALESCE(SUM(u.state = 'failed'), 0) FROM google_albums a LEFT JOIN google_uploads u ON u.album_id = a.id"
        " GROUP BY a.id ORDER BY a.title")]
