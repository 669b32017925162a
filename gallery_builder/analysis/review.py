"""Shoot review (culling): group a shoot's photos by time and look, and propose the best of each
group by the one "best first" order (a ranking rating once a photo has enough comparisons, else
stars, else sharpness), with badly exposed frames last. Pure functions; the runner stores them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

ENOUGH_COMPARISONS = 5      # a rating from fewer comparisons is not yet trusted over stars
BAD_EXPOSURE_CLIPPED = 0.25  # a frame with a quarter of its pixels crushed or blown is proposed last


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
    """Sort key, smallest first: well exposed first, then a trusted rating, then stars, then sharpness."""
    badly_exposed = photo.clipped is not None and photo.clipped >= BAD_EXPOSURE_CLIPPED
    rating = photo.rating if photo.rating is not None and photo.comparisons >= ENOUGH_COMPARISONS else None
    return (badly_exposed, rating is None, -(rating or 0.0), -photo.stars,
            photo.sharpness is None, -(photo.sharpness or 0.0), photo.photo_id)


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
                                   "sharpness": photo.sharpness, "clipped": photo.clipped} for photo in run}
        groups.append(ReviewGroup([photo.photo_id for photo in run], best.photo_id, scores))
    return groups
