"""The upload run: album once, bytes per file, mediaItems.batchCreate by 50, the ledger written as each
file finishes, and events (`start`, `begin`, `bytes_sent`, `progress`, then exactly one of `done`,
`fatal`, `cancelled`). Cancel stops after the current file; files are streamed, ids read in slices.
"""
from __future__ import annotations

import contextlib
import mimetypes
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Sequence

from gallery_builder.config import Settings
from gallery_builder.db import uploads as ledger
from gallery_builder.google.album_lock import AlbumLock
from gallery_builder.google.client import PhotosClient
from gallery_builder.google.errors import GoogleError, InvalidMediaItem

BATCH = 50                       # mediaItems.batchCreate takes at most 50 items
SLICE = 500                      # photo ids read from the ledger per query
TOKEN_LIFETIME = timedelta(hours=23)  # an upload token is valid for a day: reuse it within that
BYTES_EVERY = 1024 * 1024        # a bytes_sent event per MiB (and one when a file is sent)
Emit = Callable[[str, dict[str, Any]], None]
TERMINAL = ("done", "fatal", "cancelled")


@dataclass(frozen=True)
class UploadRequest:
    """What to upload: photos (in order) into the album titled `album`; `force` re-sends those."""

    album: str
    photo_ids: tuple[int, ...]
    collection_id: int | None = None
    force: tuple[int, ...] = ()


@dataclass
class Tally:
    total: int = 0
    skipped: int = 0      # already in the album per the ledger
    sent: int = 0         # files sent (or an earlier upload reused) in this run
    created: int = 0      # media items made in this run
    failed: int = 0
    failed_unsent: int = 0  # failures before their bytes were sent (the rest are also in `sent`)
    bytes_sent: int = 0
    bytes_total: int = 0
    errors: list[str] = field(default_factory=list)

    def progress(self) -> dict[str, Any]:
        done = self.skipped + self.sent + self.failed_unsent
        return {"done": done, "total": self.total, "sent": self.sent, "created": self.created, "skipped": self.skipped,
                "failed": self.failed, "bytes_sent": self.bytes_sent, "bytes_total": self.bytes_total}


def _slices(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _fresh(at: str) -> bool:
    try:
        return datetime.now(timezone.utc) - datetime.fromisoformat(at) < TOKEN_LIFETIME
    except ValueError:
        return False


class UploadRun:
    """One run of an upload request on one connection and one client; `run()` emits the events."""

    def __init__(self, settings: Settings, db: Any, client: PhotosClient, emit: Emit,
                 cancel: threading.Event | None = None) -> None:
        self.settings, self.db, self.client, self.emit = settings, db, client, emit
        self.cancel = cancel or threading.Event()
        self.tally = Tally()
        self.pending: list[tuple[int, str, str]] = []   # (photo id, upload token, file name) awaiting batchCreate

    def run(self, request: UploadRequest, take_lock: bool = True) -> str:
        """Upload; returns the terminal event's name (also emitted). Takes the album's lock first
        (unless the caller holds it): AlbumBusy is raised before any event when another upload to the
        album runs."""
        with AlbumLock(self.settings.google_dir, request.album) if take_lock else contextlib.nullcontext():
            try:
                return self._run(request)
            except GoogleError as error:
                return self._end("fatal", reason=str(error))
            except OSError as error:
                return self._end("fatal", reason=f"{type(error).__name__}: {error}")

    def _end(self, kind: str, **extra: Any) -> str:
        self.emit(kind, {**self.tally.progress(), **extra, "errors": self.tally.errors[-20:]})
        return kind

    def _run(self, request: UploadRequest) -> str:
        album = ledger.album_titled(self.db, request.album, request.collection_id)
        if request.force:
            ledger.forget_uploads(self.db, album.id, request.force)
        ids = list(dict.fromkeys(request.photo_ids))
        to_send, reuse, elsewhere = self._plan(album.id, ids)
        files = {}
        for part in _slices(to_send, SLICE):
            files.update({photo_id: item.size for photo_id, item in ledger.photo_files(self.db, part).items()})
        self.tally.bytes_total = sum(files.values())
        self.emit("start", {"album": album.title, "album_id": album.api_album_id, **self.tally.progress(),
                            "to_send": len(to_send), "to_add": len(elsewhere), "to_create": len(reuse)})
        del files
        api_album = album.api_album_id
        if api_album is None:
            api_album = self.client.create_album(album.title)
            ledger.set_api_album_id(self.db, album.id, api_album)
        self.pending = list(reuse)
        self.tally.sent += len(reuse)
        self._flush(album.id, api_album, whole=False)
        to_send = self._add_existing(album.id, api_album, elsewhere) + to_send
        left = len(to_send)
        for photo_id in to_send:
            if self.cancel.is_set():
                break
            self._send(album.id, api_album, photo_id)
            left -= 1
        self._flush(album.id, api_album, whole=True)
        if left:
            return self._end("cancelled", album=album.title, album_id=api_album, left=left)
        return self._end("done", album=album.title, album_id=api_album)

    def _plan(self, album_id: int, ids: list[int]) -> tuple[list[int], list[tuple[int, str, str]], dict[int, str]]:
        """(photos to send, sent photos whose fresh tokens only need batchCreate, photos with a media
        item in another album) after counting what the ledger already has in this album."""
        to_send: list[int] = []
        reuse: list[tuple[int, str, str]] = []
        elsewhere: dict[int, str] = {}
        for part in _slices(ids, SLICE):
            rows = ledger.ledger_rows(self.db, album_id, part)
            present = ledger.photo_files(self.db, part)
            others = ledger.media_items_elsewhere(self.db, album_id, part)
            for photo_id in part:
                row = rows.get(photo_id)
                if row is not None and row.state == "created":
                    self.tally.skipped += 1
                elif photo_id not in present:
                    self._fail(album_id, photo_id, "the original is missing (not in the index as present)")
                elif row is not None and row.state == "sent" and row.upload_token and _fresh(row.at):
                    reuse.append((photo_id, row.upload_token, present[photo_id].name))
                elif photo_id in others:
                    elsewhere[photo_id] = others[photo_id]
                else:
                    to_send.append(photo_id)
        self.tally.total = len(ids)
        return to_send, reuse, elsewhere

    def _fail(self, album_id: int, photo_id: int, reason: str, unsent: bool = True) -> None:
        ledger.record_failed(self.db, album_id, photo_id, reason)
        self.tally.failed += 1
        self.tally.failed_unsent += unsent
        self.tally.errors.append(f"photo {photo_id}: {reason}")

    def _add_existing(self, album_id: int, api_album: str, elsewhere: dict[int, str]) -> list[int]:
        """Put media items made for other albums into this one; those Google no longer has (400 invalid
        media item id) are returned, to be uploaded again."""
        again: list[int] = []
        items = list(elsewhere.items())
        for part in _slices(items, BATCH):
            try:
                self.client.batch_add(api_album, [item for _, item in part])
                good = list(part)
            except InvalidMediaItem:
                good = []
                for photo_id, item in part:  # find which ones are gone
                    try:
                        self.client.batch_add(api_album, [item])
                        good.append((photo_id, item))
                    except InvalidMediaItem:
                        again.append(photo_id)
            ledger.record_created(self.db, album_id, good)
            self.tally.created += len(good)
            self.tally.sent += len(good)
            self.emit("progress", self.tally.progress())
        return again

    def _send(self, album_id: int, api_album: str, photo_id: int) -> None:
        item = ledger.photo_files(self.db, [photo_id]).get(photo_id)
        if item is None:
            self._fail(album_id, photo_id, "the original is missing (not in the index as present)")
            return
        self.emit("begin", {"photo_id": photo_id, "name": item.name, "bytes": item.size})
        before, last = self.tally.bytes_sent, [0]

        def sent(count: int) -> None:
            if count - last[0] >= BYTES_EVERY or count >= item.size:
                last[0] = count
                self.emit("bytes_sent", {"photo_id": photo_id, "sent": count, "bytes": item.size})

        mime = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
        try:
            token = self.client.upload(item.path, item.size, mime, sent)
        except OSError as error:
            self._fail(album_id, photo_id, f"cannot read {item.path}: {error.strerror or error}")
            self.emit("progress", self.tally.progress())
            return
        self.tally.bytes_sent = before + item.size
        self.tally.sent += 1
        ledger.record_sent(self.db, album_id, photo_id, token, item.size)
        self.pending.append((photo_id, token, item.name))
        self._flush(album_id, api_album, whole=False)
        self.emit("progress", self.tally.progress())

    def _flush(self, album_id: int, api_album: str, whole: bool) -> None:
        """batchCreate the pending items: full batches of 50, or (`whole`) everything left."""
        while len(self.pending) >= BATCH or (whole and self.pending):
            batch, self.pending = self.pending[:BATCH], self.pending[BATCH:]
            results = self.client.batch_create(api_album, [(token, name) for _, token, name in batch])
            by_token = {result.upload_token: result for result in results}
            created = []
            for photo_id, token, _ in batch:
                result = by_token.get(token)
                if result is not None and result.media_item_id:
                    created.append((photo_id, result.media_item_id))
                else:
                    self._fail(album_id, photo_id, result.error if result else "missing from the batchCreate answer",
                               unsent=False)
            ledger.record_created(self.db, album_id, created)
            self.tally.created += len(created)
            if whole or len(batch) == BATCH:
                self.emit("progress", self.tally.progress())


def run_upload(settings: Settings, db: Any, request: UploadRequest, emit: Emit,
               cancel: threading.Event | None = None, client: PhotosClient | None = None,
               take_lock: bool = True) -> str:
    """Load the stored sign-in and run the upload (NotSignedIn before any event when there is none)."""
    from gallery_builder.google.signin import load_credentials

    client = client or PhotosClient(settings, load_credentials(settings))
    return UploadRun(settings, db, client, emit, cancel).run(request, take_lock)
