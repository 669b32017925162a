"""The "best first" order of a page's photos (core/best_first.py) from what the builder knows: the
ratings of ratings.parquet, stars, and the aesthetic score where the export has one."""
from __future__ import annotations

from typing import Any, Sequence

from gallery_builder.core.best_first import MIN_COMPARISONS, STEPS, Facts, best_first, has_opinion
from gallery_builder.site.library import Photo

AESTHETIC = "aesthetic_score"     # the quality pass's column (docs/parquet.md), when the export has it


def facts_of(photos: Sequence[Photo], ranks: tuple[Sequence[float | None], Sequence[int]] | None) -> list[Facts]:
    ratings, counts = ranks if ranks is not None else ([None] * len(photos), [0] * len(photos))
    return [Facts(rating=rating, comparisons=count, stars=photo.stars or 0,
                  aesthetic=getattr(photo, AESTHETIC, None))     # a step that waits for the quality pass
            for photo, rating, count in zip(photos, ratings, counts)]


def best_order(photos: Sequence[Photo], ranks: tuple[Sequence[float | None], Sequence[int]] | None) -> tuple[int, ...]:
    """Indices of `photos` best first; () when nothing is known of any (the page's own order stands)."""
    facts = facts_of(photos, ranks)
    if not has_opinion(facts, STEPS):
        return ()
    return tuple(best_first(facts, STEPS))


def judged_rows(catalog: Any, rows: Any) -> Any:
    """The capture positions among `rows` that some step has an opinion of (vectorised, without
    making Photo records): compared often enough, starred, or scored."""
    import numpy as np
    import pyarrow.compute as pc

    positions = np.asarray(rows, dtype=np.int64)
    judged = np.zeros(len(positions), dtype=bool)
    if catalog.ranks is not None:
        judged |= catalog.ranks[1][positions] >= MIN_COMPARISONS
    if "stars" in catalog.table.optional and len(positions):
        judged |= pc.fill_null(catalog.table.column("stars", positions), 0).to_numpy(zero_copy_only=False) > 0
    if AESTHETIC in catalog.table.table.schema.names and len(positions):
        judged |= ~pc.is_null(catalog.table.column(AESTHETIC, positions)).to_numpy(zero_copy_only=False)
    return positions[judged]
