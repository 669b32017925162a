"""Propagation of a comparison to look-alike photos (stdlib only): the small, bounded rating nudge a
visually similar photo gets when its neighbour wins or loses, and how nudges apply on a replay.

A nudge moves only the rating (never the deviation nor the comparison count), is at most SHARE of
the direct change it follows and at most CAP points, and decays linearly to 0 at distance 1.
"""
from __future__ import annotations

from typing import Iterable, NamedTuple

from gallery_builder.core.rating import UNRATED, Rating, compare

SHARE = 0.25          # a nudge is at most a quarter of the direct change it follows
CAP = 12.0            # and never more than this many rating points
MAX_NEIGHBOURS = 8    # neighbours nudged per photo of a comparison
CLIP_DISTANCE = 0.15  # CLIP cosine distance that counts as distance 1 (no nudge beyond)
PHASH_DISTANCE = 12   # pHash bits (of 64) that count as distance 1
STACK_DISTANCE = 0.5  # a stack member with no closer measure


class Neighbour(NamedTuple):
    """A photo that looks like another: its id and a distance from 0 (the same) to 1 (just similar)."""

    photo_id: int
    distance: float


class Nudge(NamedTuple):
    """One logged nudge: which photo, by how many rating points, from which neighbour distance."""

    photo_id: int
    amount: float
    distance: float


def nudge_amount(direct_change: float, distance: float) -> float:
    """The nudge a neighbour at `distance` gets after a direct change of `direct_change` points:
    same sign, |nudge| <= SHARE * |direct_change| and <= CAP, 0 from distance 1 on."""
    weight = max(0.0, 1.0 - max(0.0, distance))
    amount = direct_change * SHARE * weight
    return max(-CAP, min(CAP, amount))


def closest(neighbours: Iterable[Neighbour], exclude: Iterable[int] = ()) -> list[Neighbour]:
    """The MAX_NEIGHBOURS nearest distinct neighbours (each at its smallest distance), `exclude` left out."""
    excluded = set(exclude)
    best: dict[int, float] = {}
    for photo_id, distance in neighbours:
        if photo_id in excluded or distance >= 1.0:
            continue
        if distance < best.get(photo_id, 2.0):
            best[photo_id] = max(0.0, distance)
    ranked = sorted(best.items(), key=lambda item: (item[1], item[0]))[:MAX_NEIGHBOURS]
    return [Neighbour(photo_id, distance) for photo_id, distance in ranked]


def nudges_for(direct_change: float, neighbours: Iterable[Neighbour]) -> list[Nudge]:
    """The nudges of one photo's neighbours after its rating changed by `direct_change`."""
    found = [Nudge(item.photo_id, nudge_amount(direct_change, item.distance), item.distance) for item in neighbours]
    return [item for item in found if item.amount != 0.0]


def nudged(rating: Rating, amount: float) -> Rating:
    """`rating` moved by `amount` points; deviation and volatility unchanged."""
    return Rating(rating.rating + amount, rating.deviation, rating.volatility)


def apply_nudges(ratings: dict[int, Rating], nudges: Iterable[tuple[int, float]]) -> None:
    """Apply logged (photo id, amount) nudges to `ratings` in place, in order (a replay's step)."""
    get = ratings.get
    for photo_id, amount in nudges:
        ratings[photo_id] = nudged(get(photo_id, UNRATED), amount)


def replay_with_nudges(events: Iterable[tuple[int, int, int]],
                       nudges: dict[int, list[tuple[int, float]]]) -> dict[int, Rating]:
    """Ratings after (event id, winner, loser) events in id order, each followed by its logged nudges
    (event id -> [(photo id, amount)]); with no nudges this equals `rating.replay` float for float.
    The loop between two nudged events compares ids instead of looking each event up (a million
    events are replayed in ~10 s, so each step counts)."""
    ratings: dict[int, Rating] = {}
    get = ratings.get
    remaining = iter(events)
    for nudged_event in sorted(nudges):
        for event_id, winner, loser in remaining:
            ratings[winner], ratings[loser] = compare(get(winner, UNRATED), get(loser, UNRATED))
            if event_id == nudged_event:
                apply_nudges(ratings, nudges[nudged_event])
                break
    for _, winner, loser in remaining:
        ratings[winner], ratings[loser] = compare(get(winner, UNRATED), get(loser, UNRATED))
    return ratings
