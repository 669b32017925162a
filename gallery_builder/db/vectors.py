"""SQL for CLIP vectors: which photos need one, saving them, and loading them for in-memory search.

Vectors are little-endian float32 blobs (sqlite-vec's format, so `vec_distance_cosine` works on
them in SQL), one row per (photo, model) in `clip_vectors` (migrations 0002, 0003). Ids only grow
(AUTOINCREMENT): a saved vector always gets a new id, which is how the sidecar notices changes.
"""
from __future__ import annotations

import json
from array import array
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

from gallery_builder.db.pass_queries import now_iso
from gallery_builder.core.records import Scope

CHUNK = 900  # stay under SQLite's bound-parameter limit


@dataclass(frozen=True)
class ThumbSource:
    """Where a photo's thumbnails are: content key and the slot widths written."""

    photo_id: int
    thumb_key: str
    widths: tuple[int, ...]


@dataclass(frozen=True)
class VectorRow:
    photo_id: int
    model: str
    vector: bytes
    dim: int
    content_hash: str | None


def has_vector_table(db: Any) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clip_vectors'").fetchone()
    return row is not None


def photos_needing_vectors(db: Any, model: str, pass_name: str, version: int, requires: Sequence[str],
                           scope: Scope, force: bool = False) -> list[int]:
    """Present photos whose required passes succeeded but that have no vector of this model for their
    current content (the pass that embeds them, and what it requires, are the caller's to name).

    A photo whose last attempt of `pass_name` failed on the same content and version waits for a
    change (or force), like every other pass.
    """
    sql, params = needing_vectors_sql(model, pass_name, version, requires, scope, force)
    return [row[0] for row in db.execute(sql, params)]


def count_photos_needing_vectors(db: Any, model: str, pass_name: str, version: int, requires: Sequence[str],
                                 scope: Scope, force: bool = False) -> int:
    """len(photos_needing_vectors(...)), by the same SQL, counted in SQLite."""
    from gallery_builder.db.pass_queries import count_rows

    return count_rows(db, *needing_vectors_sql(model, pass_name, version, requires, scope, force))


def needing_vectors_sql(model: str, pass_name: str, version: int, requires: Sequence[str], scope: Scope,
                        force: bool = False) -> tuple[str, list[Any]]:
    """Rows of (id, content_hash) in id order of the photos that need a vector of `model`."""
    from gallery_builder.db.pass_queries import model_output_pending_sql

    return model_output_pending_sql("clip_vectors", model, pass_name, version, requires, scope, force)


def thumb_sources(db: Any, photo_ids: Sequence[int]) -> dict[int, ThumbSource]:
    found: dict[int, ThumbSource] = {}
    for start in range(0, len(photo_ids), CHUNK):
        chunk = list(photo_ids[start:start + CHUNK])
        rows = db.execute(f"SELECT photo_id, thumb_key, widths FROM thumbnails WHERE photo_id IN"
                          f" ({','.join('?' * len(chunk))})", chunk)
        for row in rows:
            found[row[0]] = ThumbSource(row[0], row[1], tuple(int(width) for width in json.loads(row[2])))
    return found


def save_clip_vectors(db: Any, rows: Iterable[VectorRow]) -> None:
    """Insert or replace vectors (inside the caller's transaction)."""
    stamp = now_iso()
    db.executemany(
        "INSERT OR REPLACE INTO clip_vectors (photo_id, model, dim, vector, content_hash, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(row.photo_id, row.model, row.dim, row.vector, row.content_hash, stamp) for row in rows])


def vector_row_ids(db: Any, model: str) -> list[tuple[int, int]]:
    """(id, photo_id) of every vector of this model whose photo is present: cheap to compare."""
    return [(row[0], row[1]) for row in db.execute(
        "SELECT v.id, v.photo_id FROM clip_vectors v JOIN photos p ON p.id = v.photo_id"
        " WHERE v.model = ? AND p.status != 'missing' AND v.content_hash IS p.content_hash"
        " ORDER BY v.id", (model,))]


def vector_ids(db: Any, model: str) -> tuple[array, array]:
    """(ids, photo ids) of every current vector of this model in id order, as int64 arrays: the same
    rows as `vector_row_ids` without a million Python tuples."""
    ids, photo_ids = array("q"), array("q")
    cursor = db.execute(
        "SELECT v.id, v.photo_id FROM clip_vectors v JOIN photos p ON p.id = v.photo_id"
        " WHERE v.model = ? AND p.status != 'missing' AND v.content_hash IS p.content_hash ORDER BY v.id", (model,))
    while rows := cursor.fetchmany(10_000):
        for rowid, photo_id in rows:
            ids.append(rowid)
            photo_ids.append(photo_id)
    return ids, photo_ids


def vectors_by_id(db: Any, ids: Sequence[int]) -> list[tuple[int, int, int, bytes]]:
    """(id, photo_id, dim, blob) for these rows, in id order."""
    found: list[tuple[int, int, int, bytes]] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start:start + CHUNK])
        found.extend((row[0], row[1], row[2], bytes(row[3])) for row in db.execute(
            f"SELECT id, photo_id, dim, vector FROM clip_vectors WHERE id IN ({','.join('?' * len(chunk))})"
            f" ORDER BY id", chunk))
    return found


def vector_shape(db: Any, model: str) -> tuple[int, int]:
    """(rows, dimension) of this model's current vectors, for allocating the matrix before loading."""
    row = db.execute(
        "SELECT COUNT(*), MAX(v.dim) FROM clip_vectors v JOIN photos p ON p.id = v.photo_id"
        " WHERE v.model = ? AND p.status != 'missing' AND v.content_hash IS p.content_hash", (model,)).fetchone()
    return int(row[0] or 0), int(row[1] or 0)


def iter_vectors(db: Any, model: str) -> Iterator[tuple[int, int, int, bytes]]:
    """(id, photo_id, dim, blob) of every current vector of this model, streamed from the cursor."""
    cursor = db.execute(
        "SELECT v.id, v.photo_id, v.dim, v.vector FROM clip_vectors v JOIN photos p ON p.id = v.photo_id"
        " WHERE v.model = ? AND p.status != 'missing' AND v.content_hash IS p.content_hash ORDER BY v.id", (model,))
    for row in cursor:
        yield row[0], row[1], row[2], row[3]


def vector_of_photo(db: Any, photo_id: int, model: str) -> bytes | None:
    row = db.execute("SELECT vector FROM clip_vectors WHERE photo_id = ? AND model = ?",
                     (photo_id, model)).fetchone()
    return bytes(row[0]) if row else None


def vector_counts(db: Any) -> dict[str, int]:
    """Vectors stored per model (for `gallery models list` and status)."""
    if not has_vector_table(db):
        return {}
    return {row[0]: row[1] for row in db.execute("SELECT model, COUNT(*) FROM clip_vectors GROUP BY model")}


def newest_vector_time(db: Any, model: str) -> str | None:
    row = db.execute("SELECT MAX(updated_at) FROM clip_vectors WHERE model = ?", (model,)).fetchone()
    return row[0] if row else None


def nearest_in_sql(db: Any, vector: bytes, model: str, limit: int) -> list[tuple[int, float]]:
    """Exact nearest photos by sqlite-vec's cosine distance: the reference the in-memory search must match."""
    return [(row[0], row[1]) for row in db.execute(
        "SELECT photo_id, vec_distance_cosine(vector, ?) AS distance FROM clip_vectors WHERE model = ?"
        " ORDER BY distance, photo_id LIMIT ?", (vector, model, limit))]
