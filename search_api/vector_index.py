"""CLIP vectors for search: exact cosine search over float32 rows in memory or, from `ann_limit`
vectors on, the indexer's persisted approximate index (memory-mapped) with what it lacks searched
exactly. `refresh` keeps either in step with SQLite by vector id, reading only new rows.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gallery_builder.ml.vector_store import EXACT_LIMIT

SUBSET_EXACT = 20_000   # a filter leaving at most this many photos is ranked over every list of the index
MAX_DELTA = 50_000      # more vectors than this missing from the index: exact search over everything
RECHECK_SECONDS = 5.0   # how often a search looks whether the indexer saved a newer index


@dataclass(frozen=True)
class AnnPart:
    """The persisted index as one snapshot uses it. Its keys are clip_vectors ids; `indexed` says
    which snapshot rows it holds (the others are the rows of the snapshot's matrix, `exact_rows`),
    `stale` how many of its keys are no longer current (dropped from its answers)."""

    index: Any
    indexed: np.ndarray     # [N] bool per snapshot row
    exact_rows: np.ndarray  # [M] snapshot rows searched exactly, in matrix order
    stale: int
    stamp: tuple[int, int]  # (mtime_ns, size) of the manifest it was opened with

    def rows_of_keys(self, keys: np.ndarray, rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Snapshot rows of index keys, and which keys are still current."""
        keys = keys.astype(np.int64, copy=False)
        rows = np.minimum(np.searchsorted(rowids, keys), max(len(rowids) - 1, 0))
        return rows, (rowids[rows] == keys) if len(rowids) else np.zeros(len(keys), dtype=bool)


@dataclass(frozen=True)
class Snapshot:
    """An immutable view: searches use one while a refresh builds the next."""

    matrix: np.ndarray      # [M, D] float32, L2-normalised: every row, or with `ann` only `ann.exact_rows`
    photo_ids: np.ndarray   # [N] int64, in row order
    rowids: np.ndarray      # [N] int64, the clip_vectors ids in rising order (they only ever grow)
    order: np.ndarray       # argsort of photo_ids (position lookup by id)
    ann: "AnnPart | None" = None

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


def _manifest_stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def _best(rows: np.ndarray, scores: np.ndarray, photo_ids: np.ndarray, count: int) -> tuple[list[int], list[float]]:
    """The `count` best rows by score; ties go to the lower photo id."""
    total = int(rows.shape[0])
    count = min(count, total)
    if count <= 0:
        return [], []
    best = np.argpartition(-scores, count - 1)[:count] if count < total else np.arange(total)
    ids = photo_ids[rows[best]]
    order = np.lexsort((ids, -scores[best]))
    return ids[order].tolist(), scores[best][order].astype(float).tolist()


class VectorIndex:
    """The vectors of one model, searchable by `top`.

    `ann_limit`: from this many vectors on, use the indexer's persisted index when there is one."""

    def __init__(self, model: str, ann_limit: int = EXACT_LIMIT) -> None:
        self.model = model
        self.ann_limit = ann_limit
        self.snapshot = Snapshot.empty()
        self.loaded_at: float | None = None
        self.problem: str | None = None   # why the vectors could not be read (e.g. an older schema)
        self.lock = threading.Lock()
        self.db_path: Path | None = None
        self.checked_at = 0.0

    @property
    def mode(self) -> str:
        """`exact`, or `approximate` when the persisted index answers (for health and the benchmark)."""
        return "approximate" if self.snapshot.ann is not None else "exact"

    def refresh(self, db: Any) -> bool:
        """Bring the vectors in step with the database; returns whether anything changed.

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
        self.db_path = self.db_path or _database_file(db)
        rowids, photo_ids = (np.frombuffer(column, dtype=np.int64) for column in vectors.vector_ids(db, self.model))
        old = self.snapshot
        if self.loaded_at is not None and np.array_equal(old.rowids, rowids):
            return False
        approximate = self._approximate(db, vectors, rowids, photo_ids) if len(rowids) >= self.ann_limit else None
        if approximate is not None:
            self.snapshot = approximate
        elif old.ann is not None or not old.count:
            self.snapshot = self._loaded(db)
        else:
            keep = np.isin(old.rowids, rowids)
            added = np.setdiff1d(rowids, old.rowids, assume_unique=True)
            rows = vectors.vectors_by_id(db, added.tolist()) if added.size < MAX_DELTA else None
            if rows is None or any(row[2] != old.matrix.shape[1] for row in rows):
                self.snapshot = self._loaded(db)
            else:
                self.snapshot = self._merged(old, keep, rows)
        self.loaded_at = self.checked_at = time.time()
        return True

    def _approximate(self, db: Any, vectors: Any, rowids: np.ndarray, photo_ids: np.ndarray) -> Snapshot | None:
        """A snapshot over the persisted index, with the vectors it lacks read from SQLite; None when
        there is no usable index (none yet, another dimension, or too far behind the database)."""
        from gallery_builder.ml.vector_store import index_paths, open_index

        if self.db_path is None:
            return None
        opened = open_index(self.db_path, self.model)
        if opened is None:
            return None
        index, manifest = opened
        indexed = index.contains(rowids) if len(rowids) else np.zeros(0, dtype=bool)
        exact_rows = np.flatnonzero(~indexed)
        if exact_rows.size > MAX_DELTA:
            return None
        loaded = vectors.vectors_by_id(db, rowids[exact_rows].tolist())
        if len(loaded) != exact_rows.size or any(row[2] != manifest.dim for row in loaded):
            return None  # changed while we read: the next refresh tries again
        stamp = _manifest_stamp(index_paths(self.db_path, self.model)[1])
        part = AnnPart(index, indexed, exact_rows, len(index) - int(indexed.sum()), stamp)
        matrix = _matrix([row[3] for row in loaded], manifest.dim)
        return Snapshot(matrix, photo_ids.copy(), rowids.copy(), np.argsort(photo_ids, kind="stable"), part)

    def _adopt_newer_index(self) -> None:
        """The indexer may save a newer index without changing the database (its first build of a
        large library): take it when it covers every row this snapshot holds only in its matrix."""
        from gallery_builder.ml.vector_store import index_paths, open_index

        now = time.time()
        if self.db_path is None or now - self.checked_at < RECHECK_SECONDS or self.snapshot.count < self.ann_limit:
            return
        with self.lock:
            self.checked_at = now
            old = self.snapshot
            manifest_file = index_paths(self.db_path, self.model)[1]
            if old.ann is not None and _manifest_stamp(manifest_file) == old.ann.stamp:
                return
            opened = open_index(self.db_path, self.model)
            if opened is None or opened[1].dim != old.matrix.shape[1]:
                return
            index = opened[0]
            indexed = index.contains(old.rowids)
            had = old.ann.indexed if old.ann is not None else np.zeros(old.count, dtype=bool)
            if (had & ~indexed).any():
                return  # the new index lacks rows only the old one had: wait for the next refresh
            exact_rows = np.flatnonzero(~indexed)
            position = np.full(old.count, -1, dtype=np.int64)
            position[old.ann.exact_rows if old.ann is not None else np.arange(old.count)] = np.arange(len(old.matrix))
            part = AnnPart(index, indexed, exact_rows, len(index) - int(indexed.sum()), _manifest_stamp(manifest_file))
            self.snapshot = Snapshot(old.matrix[position[exact_rows]], old.photo_ids, old.rowids, old.order, part)

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
        self._adopt_newer_index()
        snapshot = self.snapshot
        rows = snapshot.rows_of([photo_id])
        if not len(rows):
            return None
        return self._vectors(snapshot, rows)[0]

    @staticmethod
    def _vectors(snapshot: Snapshot, rows: np.ndarray) -> np.ndarray:
        """Float vectors of these snapshot rows (dequantised from the index where it holds them)."""
        ann = snapshot.ann
        if ann is None:
            return snapshot.matrix[rows]
        found = np.empty((len(rows), snapshot.matrix.shape[1]), dtype=np.float32)
        in_index = ann.indexed[rows]
        if in_index.any():
            stored = ann.index.vectors(snapshot.rowids[rows[in_index]])
            found[in_index] = stored / np.maximum(np.linalg.norm(stored, axis=1, keepdims=True), 1e-12)
        if (~in_index).any():
            found[~in_index] = snapshot.matrix[np.searchsorted(ann.exact_rows, rows[~in_index])]
        return found

    def top(self, query: np.ndarray, count: int, among: Sequence[int] | None = None,
            exclude: int | None = None) -> tuple[list[int], list[float], int]:
        """The `count` best (photo ids, cosine scores) and how many photos were ranked.

        `among` limits the search to these photo ids (filters); ties go to the lower photo id.
        """
        self._adopt_newer_index()
        snapshot = self.snapshot
        if snapshot.count == 0 or query.shape[0] != snapshot.matrix.shape[1]:
            return [], [], 0
        rows = snapshot.rows_of(among) if among is not None else None
        if snapshot.ann is None:
            scores = snapshot.matrix @ query if rows is None else snapshot.matrix[rows] @ query
            rows = np.arange(snapshot.count) if rows is None else rows
        else:
            rows, scores = self._approximate_top(snapshot, query, count + 1, rows)
        ranked = snapshot.count if among is None else len(snapshot.rows_of(among))
        if exclude is not None:
            keep = snapshot.photo_ids[rows] != exclude
            rows, scores = rows[keep], scores[keep]
            ranked -= int(len(snapshot.rows_of([exclude])) > 0 and (among is None or exclude in among))
        ids, best_scores = _best(rows, scores, snapshot.photo_ids, count)
        return ids, best_scores, ranked

    @staticmethod
    def _approximate_top(snapshot: Snapshot, query: np.ndarray, count: int,
                         among: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Candidate rows and scores: the index's nearest (asking for more while stale keys leave
        fewer than `count`; with a filter, only its photos, every list searched for a small one),
        plus every row the index lacks, scored exactly."""
        ann = snapshot.ann
        assert ann is not None
        if among is None:
            wanted = count + min(ann.stale, count)
            while True:
                keys, scores = ann.index.search(query, wanted)
                rows, keep = ann.rows_of_keys(keys, snapshot.rowids)
                if int(keep.sum()) >= count or wanted >= len(ann.index):
                    break
                wanted = min(len(ann.index), wanted * 4)
        else:
            keys = snapshot.rowids[among[ann.indexed[among]]]
            small = len(among) <= SUBSET_EXACT
            found, scores = ann.index.search(query, count, keys, everywhere=small) if len(keys) else (keys, keys)
            if len(found) < min(count, len(keys)) and not small:
                found, scores = ann.index.search(query, count, keys, everywhere=True)
            rows, keep = ann.rows_of_keys(found, snapshot.rowids)
        rows, scores = rows[keep], np.asarray(scores, dtype=np.float32)[keep]
        exact_rows = ann.exact_rows if among is None else np.intersect1d(ann.exact_rows, among)
        if exact_rows.size:
            positions = np.searchsorted(ann.exact_rows, exact_rows)
            rows = np.concatenate([rows, exact_rows])
            scores = np.concatenate([scores, snapshot.matrix[positions] @ query])
        return rows, scores


def _database_file(db: Any) -> Path | None:
    """The main database file of this connection (the index lives beside it)."""
    for row in db.execute("PRAGMA database_list"):
        if row[1] == "main" and row[2]:
            return Path(row[2])
    return None
