"""Look-alike photos for propagation (the sidecar's side): a photo's stack mates, and its CLIP
neighbours where it has a vector (asked of the search service's in-memory index), else its pHash
neighbours (every pHash held in numpy, reloaded when hashes change), each at a 0-1 distance.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from gallery_builder.core.propagation import CLIP_DISTANCE, MAX_NEIGHBOURS, PHASH_DISTANCE, STACK_DISTANCE, Neighbour
from gallery_builder.db import rating_nudges as queries

ClipNeighbours = Callable[[int, int], list[tuple[int, float]]]   # (photo id, count) -> [(id, cosine similarity)]


def _is_phash(value: str) -> bool:
    """16 hex digits (64 bits); anything else (a damaged row) is no look-alike of anything."""
    try:
        return len(value) == 16 and int(value, 16) >= 0
    except (TypeError, ValueError):
        return False


class LookAlikes:
    """`finder(db, photo_id)` -> that photo's look-alikes (unordered; propagation keeps the closest)."""

    def __init__(self, clip: ClipNeighbours | None = None, recheck_seconds: float = 10.0) -> None:
        self.clip = clip
        self.recheck_seconds = recheck_seconds   # hashes slightly out of date only change which look-alikes
        self.checked_at = -float("inf")          # get a nudge; the nudges given are logged either way
        self.signature: tuple[int, int] | None = None
        self.ids = np.zeros(0, np.int64)
        self.hashes = np.zeros(0, np.uint64)

    def _load_phashes(self, db: Any) -> None:
        now = time.monotonic()
        if now - self.checked_at < self.recheck_seconds:
            return
        self.checked_at = now
        signature = queries.phash_signature(db)   # counting 100,000 rows costs ~10 ms: not on every pick
        if signature != self.signature:
            ids, hashes = queries.all_phashes(db)
            kept = [(photo_id, value) for photo_id, value in zip(ids, hashes) if _is_phash(value)]
            self.ids = np.asarray([photo_id for photo_id, _ in kept], dtype=np.int64)
            self.hashes = np.asarray([int(value, 16) for _, value in kept], dtype=np.uint64)
            self.signature = signature

    def phash_neighbours(self, db: Any, photo_id: int) -> list[Neighbour]:
        self._load_phashes(db)
        position = np.searchsorted(self.ids, photo_id)
        if position >= len(self.ids) or self.ids[position] != photo_id:
            return []
        bits = np.bitwise_count(self.hashes ^ self.hashes[position])
        near = np.flatnonzero(bits < PHASH_DISTANCE)
        near = near[near != position]
        if len(near) > 4 * MAX_NEIGHBOURS:
            near = near[np.argsort(bits[near], kind="stable")[:4 * MAX_NEIGHBOURS]]
        return [Neighbour(int(self.ids[row]), float(bits[row]) / PHASH_DISTANCE) for row in near.tolist()]

    def clip_neighbours(self, photo_id: int) -> list[Neighbour]:
        if self.clip is None:
            return []
        return [Neighbour(other, (1.0 - score) / CLIP_DISTANCE)
                for other, score in self.clip(photo_id, 2 * MAX_NEIGHBOURS) if other != photo_id]

    def __call__(self, db: Any, photo_id: int) -> list[Neighbour]:
        found = [Neighbour(other, STACK_DISTANCE) for other in queries.stack_mates(db, photo_id)]
        clip = self.clip_neighbours(photo_id)
        return found + (clip if clip else self.phash_neighbours(db, photo_id))
