"""Shoot review (culling): group a shoot's photos by time and look, and propose the best of each
group by the one "best first" order (core/best_first.py: a rating once compared enough, else stars,
else aesthetic score; badly exposed frames last; sharpness for ties). Pure functions; the runner stores them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from gallery_builder.core.best_first import Facts, sort_key


@dataclass(frozen=True)
class ReviewPhoto:
    """What the review knows of one photo of a shoot."""

    photo_id: int
    seconds: float | None          # capture time in seconds (None: unknown)
    phash: int | None
    stars: int = 0
    rating: float | None = None
    comparisons: int = 0
    sharpness: float | None = None
    clipped: float | None = None
    aesthetic: float | None = None  # the quality pass's aesthetic score
    eyes_closed: bool | None = None  # someone blinks (analysis/eyes.py; None: no face measured)


@dataclass(frozen=True)
class ReviewRules:
    gap_seconds: float = 60.0       # frames further apart in time start a new group
    phash_distance: int = 22        # and so do frames that look different (of 64 bits)


@dataclass
class ReviewGroup:
    members: list[int]
    best: int
    scores: dict[int, dict[str, float | int | None]] = field(default_factory=dict)


def best_first_key(photo: ReviewPhoto) -> tuple:
    """Sort key, smallest first: the one "best first" order's key, then the photo id."""
    facts = Facts(rating=photo.rating, comparisons=photo.comparisons, stars=photo.stars, aesthetic=photo.aesthetic,
                  sharpness=photo.sharpness, clipped=photo.clipped, eyes_closed=photo.eyes_closed)
    return (*sort_key(facts), photo.photo_id)


def _looks_alike(a: ReviewPhoto, b: ReviewPhoto, rules: ReviewRules) -> bool:
    if a.phash is None or b.phash is None:
        return True  # no look to compare: time alone decides
    return bin(a.phash ^ b.phash).count("1") <= rules.phash_distance


def group_shoot(photos: Sequence[ReviewPhoto], rules: ReviewRules = ReviewRules()) -> list[ReviewGroup]:
    """Groups in time order: consecutive frames join while close in time and alike in look; a
    photo without a capture time is a group of its own. Each group proposes its best."""
    ordered = sorted(photos, key=lambda photo: (photo.seconds is None, photo.seconds or 0.0, photo.photo_id))
    runs: list[list[ReviewPhoto]] = []
    for photo in ordered:
        previous = runs[-1][-1] if runs else None
        if (previous is not None and photo.seconds is not None and previous.seconds is not None
                and photo.seconds - previous.seconds <= rules.gap_seconds and _looks_alike(previous, photo, rules)):
            runs[-1].append(photo)
        else:
            runs.append([photo])
    groups = []
    for run in runs:
        best = min(run, key=best_first_key)
        scores = {photo.photo_id: {"stars": photo.stars, "rating": photo.rating, "comparisons": photo.comparisons,
                                   "aesthetic": photo.aesthetic, "sharpness": photo.sharpness,
                                   "clipped": photo.clipped, "eyes_closed": photo.eyes_closed} for photo in run}
        groups.append(ReviewGroup([photo.photo_id for photo in run], best.photo_id, scores))
    return groups
