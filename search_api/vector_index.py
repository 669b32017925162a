"""CLIP vectors in memory: exact cosine search by one matrix-vector product over float32 rows.

Loaded from SQLite once, then kept in step cheaply: `refresh` compares the list of vector ids with
the one in memory, drops rows whose id is gone and reads only the new ones.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


@dataclass(frozen=True)
class Snapshot:
    """An immutable view: searches use one while a refresh builds the next."""

    matrix: np.ndarray      # [N, D] float32, L2-normalised rows
    photo_ids: np.ndarray   # [N] int64, in row order
    rowids: np.ndarray      # [N] int64, the clip_vectors ids (only ever grow; for refresh)
    order: np.ndarray       # argsort of photo_ids (position lookup by id)

    @classmethod
    def empty(cls, dim: int = 0) -> "Snapshot":
        nothing = np.zeros(0, dtype=np.int64)
        return cls(np.zeros((0, dim), dtype=np.float32), nothing, nothing, nothing)

    @property
    def count(self) -> int:
        return int(self.photo_ids.shape[0])

    def rows_of(self, photo_ids: Sequence[int]) -> np.ndarray:
        """Row numbers of these photos (photos without a vector are left out)."""
        if not self.count or not len(photo_ids):
            return np.zeros(0, dtype=np.int64)
        wanted = np.asarray(photo_ids, dtype=np.int64)
        sorted_ids = self.photo_ids[self.order]
        positions = np.searchsorted(sorted_ids, wanted)
        positions = np.minimum(positions, self.count - 1)
        hits = sorted_ids[positions] == wanted
        return self.order[positions[hits]]


def _matrix(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), dim).astype(np.float32, copy=True)


class VectorIndex:
    """The vectors of one model, searchable by `top`."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.snapshot = Snapshot.empty()
        self.loaded_at: float | None = None
        self.problem: str | None = None   # why the vectors could not be read (e.g. an older schema)
        self.lock = threading.Lock()

    def refresh(self, db: Any) -> bool:
        """Bring the matrix in step with the database; returns whether anything changed.

        Vector ids only grow (AUTOINCREMENT), so a re-embedded photo shows up as one id gone and one
        new: rows whose id is gone are dropped and only new ids are read.
        """
        from gallery_builder.db import vectors
        from gallery_builder.db.connection import DatabaseError

        with self.lock:
            try:
                return self._refresh(db, vectors)
            except DatabaseError as error:  # e.g. a database not yet upgraded by `gallery index`
                self.problem = f"cannot read CLIP vectors: {error} (run `gallery index` once to upgrade the database)"
                changed = self.snapshot.count > 0
                self.snapshot, self.loaded_at = Snapshot.empty(), time.time()
                return changed

    def _refresh(self, db: Any, vectors: Any) -> bool:
        """One refresh, under the lock."""
        self.problem = None
        if not vectors.has_vector_table(db):
            changed = self.snapshot.count > 0
            self.snapshot, self.loaded_at = Snapshot.empty(), time.time()
            return changed
        current = np.asarray([rowid for rowid, _ in vectors.vector_row_ids(db, self.model)], dtype=np.int64)
        old = self.snapshot
        keep = np.isin(old.rowids, current)
        added = np.setdiff1d(current, old.rowids, assume_unique=True)
        if self.loaded_at is not None and keep.all() and not added.size:
            return False
        rows = vectors.vectors_by_id(db, added.tolist()) if old.count and added.size < 50_000 else None
        if rows is None or any(row[2] != old.matrix.shape[1] for row in rows):
            self.snapshot = self._loaded(db)
        else:
            self.snapshot = self._merged(old, keep, rows)
        self.loaded_at = time.time()
        return True

    def _loaded(self, db: Any) -> Snapshot:
        """Read every vector straight into a preallocated matrix (one copy, no list of 2 KB blobs:
        those would leave the heap hundreds of MB larger for good)."""
        from gallery_builder.db import vectors

        db.execute("BEGIN")  # the count and the rows come from one snapshot of the database
        try:
            count, dim = vectors.vector_shape(db, self.model)
            matrix = np.empty((count, dim), dtype=np.float32)
            ids, rowids = np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64)
            filled = 0
            for rowid, photo_id, row_dim, blob in vectors.iter_vectors(db, self.model):
                if row_dim == dim and len(blob) == dim * 4 and filled < count:
                    matrix[filled] = np.frombuffer(blob, dtype="<f4")
                    ids[filled], rowids[filled] = photo_id, rowid
                    filled += 1
        finally:
            db.execute("COMMIT")
        if filled < count:
            matrix, ids, rowids = matrix[:filled].copy(), ids[:filled], rowids[:filled]
        return Snapshot(matrix, ids, rowids, np.argsort(ids, kind="stable"))

    def _merged(self, old: Snapshot, keep: np.ndarray, added: list[tuple[int, int, int, bytes]]) -> Snapshot:
        dim = old.matrix.shape[1]
        added = [row for row in added if len(row[3]) == dim * 4]
        matrix = np.concatenate([old.matrix[keep], _matrix([row[3] for row in added], dim)])
        ids = np.concatenate([old.photo_ids[keep], np.asarray([row[1] for row in added], dtype=np.int64)])
        rowids = np.concatenate([old.rowids[keep], np.asarray([row[0] for row in added], dtype=np.int64)])
        return Snapshot(matrix, ids, rowids, np.argsort(ids, kind="stable"))

    def vector_of(self, photo_id: int) -> np.ndarray | None:
        snapshot = self.snapshot
        rows = snapshot.rows_of([photo_id])
        return snapshot.matrix[rows[0]] if len(rows) else None

    def top(self, query: np.ndarray, count: int, among: Sequence[int] | None = None,
            exclude: int | None = None) -> tuple[list[int], list[float], int]:
        """The `count` best (photo ids, cosine scores) and how many photos were ranked.

        `among` limits the search to these photo ids (filters); ties go to the lower photo id.
        """
        snapshot = self.snapshot
        if snapshot.count == 0 or query.shape[0] != snapshot.matrix.shape[1]:
            return [], [], 0
        rows = snapshot.rows_of(among) if among is not None else None
        scores = snapshot.matrix @ query if rows is None else snapshot.matrix[rows] @ query
        ids = snapshot.photo_ids if rows is None else snapshot.photo_ids[rows]
        if exclude is not None:
            keep = ids != exclude
            scores, ids = scores[keep], ids[keep]
        total = int(ids.shape[0])
        count = min(count, total)
        if count <= 0:
            return [], [], total
        best = np.argpartition(-scores, count - 1)[:count] if count < total else np.arange(total)
        order = np.lexsort((ids[best], -scores[best]))
        chosen = best[order]
        return ids[chosen].tolist(), scores[chosen].astype(float).tolist(), total
