"""The "best first" order of a page's photos (core/best_first.py) from what the builder knows: the
ratings of ratings.parquet, stars, and the aesthetic score where the export has one; and the covers
it chooses (years, folders, collections without a chosen cover)."""
from __future__ import annotations

from typing import Any, Sequence

from gallery_builder.core.best_first import MIN_COMPARISONS, NEUTRAL, STEPS, Facts, best_first, has_opinion, score
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


def _judged(table: Any, ranks: Any, positions: Any) -> Any:
    """A mask over `positions`: the rows some step has an opinion of (compared enough, starred, scored)."""
    import numpy as np
    import pyarrow.compute as pc

    judged = np.zeros(len(positions), dtype=bool)
    if ranks is not None:
        judged |= ranks[1][positions] >= MIN_COMPARISONS
    if "stars" in table.optional and len(positions):
        judged |= pc.fill_null(table.column("stars", positions), 0).to_numpy(zero_copy_only=False) > 0
    if AESTHETIC in table.table.schema.names and len(positions):
        judged |= ~pc.is_null(table.column(AESTHETIC, positions)).to_numpy(zero_copy_only=False)
    return judged


def judged_rows(catalog: Any, rows: Any) -> Any:
    """The capture positions among `rows` that some step has an opinion of (vectorised, without
    making Photo records): compared often enough, starred, or scored."""
    import numpy as np

    positions = np.asarray(rows, dtype=np.int64)
    return positions[_judged(catalog.table, catalog.ranks, positions)]


def row_scores(table: Any, ranks: Any) -> Any:
    """Each capture position's score by the one order (core/best_first.py `score`), NEUTRAL where
    nothing is known; only the judged rows are visited one by one."""
    import numpy as np

    scores = np.full(len(table), NEUTRAL, dtype=np.float64)
    positions = np.flatnonzero(_judged(table, ranks, np.arange(len(table), dtype=np.int64)))
    if not len(positions):
        return scores
    ratings = ranks[0][positions].tolist() if ranks is not None else [float("nan")] * len(positions)
    counts = ranks[1][positions].tolist() if ranks is not None else [0] * len(positions)
    stars = table.column("stars", positions).to_pylist() if "stars" in table.optional else [0] * len(positions)
    aesthetic = (table.column(AESTHETIC, positions).to_pylist() if AESTHETIC in table.table.schema.names
                 else [None] * len(positions))
    for index, position in enumerate(positions.tolist()):
        rating = ratings[index]
        value = score(Facts(rating=None if rating != rating else rating, comparisons=counts[index],
                            stars=stars[index] or 0, aesthetic=aesthetic[index]))
        scores[position] = NEUTRAL if value is None else value
    return scores


def best_row(scores: Any, rows: Any, fallback: int) -> int:
    """The cover among `rows`: the best by the one order, or `fallback` (the page's usual choice) unless
    a photo scores above it; the earliest of equals."""
    import numpy as np

    if scores is None or not len(rows):
        return fallback
    candidate = int(rows[int(np.argmax(scores[rows]))])
    return candidate if scores[candidate] > scores[fallback] else fallback
