"""Swiss pairing over a scope's board held in memory (numpy): the next two photos to compare.

The sidecar owns it (it may import numpy but not gallery_builder.analysis). An anchor is drawn among
the least-compared photos; its opponent among the photos of closest rating, preferring ones it has
met least often; the pair just shown (or just recorded) never comes back at once.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Collection

import numpy as np

from gallery_builder.db.ranking import Board

NEAREST = 24            # the opponent is chosen among this many photos of closest rating
REPEAT_PENALTY = 200.0  # one earlier meeting weighs like this many rating points of distance


@dataclass
class BoardArrays:
    """A scope's candidates as arrays, updated in place after the sidecar's own writes."""

    ids: np.ndarray
    ratings: np.ndarray
    deviations: np.ndarray
    comparisons: np.ndarray
    version: int
    index: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, board: Board, version: int) -> "BoardArrays":
        ids = np.asarray(board.ids, dtype=np.int64)
        return cls(ids, np.asarray(board.ratings, dtype=np.float64), np.asarray(board.deviations, dtype=np.float64),
                   np.asarray(board.comparisons, dtype=np.int64), version,
                   {int(photo_id): position for position, photo_id in enumerate(board.ids)})

    def update(self, photo_id: int, rating: float, deviation: float, comparisons: int) -> None:
        position = self.index.get(photo_id)
        if position is not None:
            self.ratings[position], self.deviations[position] = rating, deviation
            self.comparisons[position] = comparisons


def choose_pair(board: BoardArrays, avoid: Collection[frozenset[int]], met: Callable[[int], dict[int, int]],
                rng: random.Random) -> tuple[int, int] | None:
    """Two photo ids to compare next, or None when the scope has fewer than two photos.

    `avoid` holds the pairs just shown or recorded (never repeated at once, and their photos are not
    drawn as the anchor while others are left); `met(photo)` counts its earlier meetings by opponent.
    """
    count = len(board.ids)
    if count < 2:
        return None
    recent = {photo for pair in avoid for photo in pair}
    eligible = np.ones(count, dtype=bool)
    if recent and len(recent) < count:
        eligible[[board.index[photo] for photo in recent if photo in board.index]] = False
    fewest = board.comparisons[eligible].min()
    anchors = np.flatnonzero(eligible & (board.comparisons == fewest))
    anchor = int(anchors[rng.randrange(len(anchors))])
    anchor_id = int(board.ids[anchor])
    distance = np.abs(board.ratings - board.ratings[anchor])
    jitter = np.random.default_rng(rng.getrandbits(64)).random(count)  # ties (unrated photos) drawn at random
    distance[anchor] = np.inf
    take = min(NEAREST, count - 1)
    nearest = np.argpartition(distance + jitter, take - 1)[:take]
    meetings = met(anchor_id)
    best, best_cost = None, np.inf
    for position in nearest.tolist():
        other = int(board.ids[position])
        if position == anchor or frozenset((anchor_id, other)) in avoid:
            continue
        cost = (distance[position] + REPEAT_PENALTY * meetings.get(other, 0)
                + 10.0 * board.comparisons[position] + rng.random())  # few comparisons first; random ties
        if cost < best_cost:
            best, best_cost = other, cost
    if best is None:  # every near photo was just paired with the anchor: take any other
        others = [int(photo) for photo in board.ids.tolist() if photo != anchor_id]
        best = others[rng.randrange(len(others))]
    return (anchor_id, best) if rng.random() < 0.5 else (best, anchor_id)


def choose_set(board: BoardArrays, size: int, rng: random.Random) -> list[int]:
    """Up to `size` photo ids for a Mosaic grid: an anchor among the least-compared photos and the
    photos of closest rating to it (fewer comparisons first among equals), in a random order."""
    count = len(board.ids)
    if count <= size:
        chosen = board.ids.tolist()
    else:
        fewest = board.comparisons.min()
        anchors = np.flatnonzero(board.comparisons == fewest)
        anchor = int(anchors[rng.randrange(len(anchors))])
        jitter = np.random.default_rng(rng.getrandbits(64)).random(count)
        cost = np.abs(board.ratings - board.ratings[anchor]) + 10.0 * board.comparisons + jitter
        cost[anchor] = -1.0
        chosen = board.ids[np.argpartition(cost, size - 1)[:size]].tolist()
    chosen = [int(photo) for photo in chosen]
    rng.shuffle(chosen)
    return chosen
