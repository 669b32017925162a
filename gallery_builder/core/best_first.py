"""The one "best first" order of photos (stdlib only), for grids, top-of-year pages, covers, a stack's
top photo and shoot review's proposals: a photo's ranking rating once it has enough comparisons, else
its stars, else its aesthetic score, else nothing (a neutral middle); flawed frames (badly exposed, or
someone blinking) go last and sharpness breaks ties. Each source is a step on one 0-1 scale; a step whose fact a caller lacks is skipped.
"""
from __future__ import annotations

from typing import Callable, Iterable, NamedTuple, Sequence

MIN_COMPARISONS = 3       # the one threshold: a rating counts once its photo was compared this often
NEUTRAL = 0.5             # a photo nobody judged: between liked and disliked ones
RATING_CENTRE, RATING_SPREAD = 1500.0, 400.0
BAD_EXPOSURE_CLIPPED = 0.25  # a frame with a quarter of its pixels crushed or blown goes after the others


class Facts(NamedTuple):
    """What is known of a photo's worth (None: not known)."""

    rating: float | None = None
    comparisons: int = 0
    stars: int = 0
    aesthetic: float | None = None      # LAION's aesthetic score, about 1-10 (the quality pass)
    sharpness: float | None = None      # variance of the Laplacian (stacks, review); only breaks ties
    clipped: float | None = None        # share of crushed or blown pixels (review); a penalty, not a score
    eyes_closed: bool | None = None     # someone on it blinks (review, from face landmarks); a penalty too


class Step(NamedTuple):
    """One source of the order: the fact it reads, and its 0-1 score (None: no opinion)."""

    fact: str
    score: Callable[[Facts], float | None]


def _rating(facts: Facts) -> float | None:
    if facts.rating is None or facts.comparisons < MIN_COMPARISONS:
        return None
    return 1.0 / (1.0 + 10.0 ** ((RATING_CENTRE - facts.rating) / RATING_SPREAD))   # its chance against 1500


def _stars(facts: Facts) -> float | None:
    return (min(5, facts.stars) - 0.5) / 5.0 if facts.stars > 0 else None


def _aesthetic(facts: Facts) -> float | None:
    return None if facts.aesthetic is None else min(1.0, max(0.0, facts.aesthetic / 10.0))


STEPS: tuple[Step, ...] = (Step("rating", _rating), Step("stars", _stars), Step("aesthetic", _aesthetic))


def steps_for(available: Iterable[str]) -> tuple[Step, ...]:
    """The steps whose fact the caller has (e.g. no `aesthetic` before the quality pass exists)."""
    have = set(available)
    return tuple(step for step in STEPS if step.fact in have)


def score(facts: Facts, steps: Sequence[Step] = STEPS) -> float | None:
    """The first step's opinion of the photo, or None when no step has one."""
    for step in steps:
        value = step.score(facts)
        if value is not None:
            return value
    return None


def is_badly_exposed(facts: Facts) -> bool:
    return facts.clipped is not None and facts.clipped >= BAD_EXPOSURE_CLIPPED


def is_flawed(facts: Facts) -> bool:
    """Badly exposed, or someone's eyes are closed: such a frame goes after every other."""
    return is_badly_exposed(facts) or bool(facts.eyes_closed)


def sort_key(facts: Facts, steps: Sequence[Step] = STEPS) -> tuple[bool, float, float]:
    """The order's key, smallest first: frames without a flaw first, then the score, then the sharper."""
    value = score(facts, steps)
    return is_flawed(facts), -(NEUTRAL if value is None else value), -(facts.sharpness or 0.0)


def best_first(items: Sequence[Facts], steps: Sequence[Step] = STEPS) -> list[int]:
    """Indices of `items`, best first (full ties keep the given order)."""
    return sorted(range(len(items)), key=lambda index: (sort_key(items[index], steps), index))


def best_index(items: Sequence[Facts], steps: Sequence[Step] = STEPS) -> int:
    """The index of the best of `items` (the earliest given on a full tie); `items` must not be empty."""
    return min(range(len(items)), key=lambda index: (sort_key(items[index], steps), index))


def has_opinion(items: Iterable[Facts], steps: Sequence[Step] = STEPS) -> bool:
    """Whether any step has an opinion of any item (else "best first" is just the given order)."""
    return any(score(facts, steps) is not None for facts in items)
