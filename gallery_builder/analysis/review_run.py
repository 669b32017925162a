"""Proposing shoot reviews: read a shoot's photos, measure sharpness and exposure of the largest
thumbnail each has (cached by thumbnail), group and propose (analysis/review.py) and store, skipping
shoots whose inputs have not changed. The run's analysis stage proposes the most recent shoots it
touched; `gallery review propose` any others."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Iterable

from gallery_builder.analysis.review import ReviewPhoto, ReviewRules, group_shoot
from gallery_builder.core.records import RunContext, Scope


@dataclass
class ReviewReport:
    proposed: list[str] = field(default_factory=list)
    unchanged: int = 0
    measured: int = 0

    def summary(self) -> str:
        return (f"{len(self.proposed)} shoot(s) proposed, {self.unchanged} unchanged, "
                f"{self.measured} photo(s) measured for sharpness")


def _seconds(taken_at: str | None) -> float | None:
    if not taken_at:
        return None
    try:
        return datetime.fromisoformat(taken_at[:19]).timestamp()
    except ValueError:
        return None


def _largest_thumbnail(context: RunContext, thumb_key: str | None, widths: str | None) -> str | None:
    from gallery_builder.core.thumb_layout import thumb_relpath

    if not thumb_key or not widths:
        return None
    written = json.loads(widths)
    return os.path.join(context.thumbs_dir, thumb_relpath(thumb_key, max(written))) if written else None


def _blinks(faces: dict[int, tuple[float, list]]) -> dict[int, bool]:
    """photo id -> whether someone on it blinks, for the photos whose faces could be measured."""
    from gallery_builder.analysis.eyes import anyone_blinks

    found = {photo_id: anyone_blinks(landmarks, aspect) for photo_id, (aspect, landmarks) in faces.items()}
    return {photo_id: closed for photo_id, closed in found.items() if closed is not None}


def propose_shoots(db: Any, context: RunContext, keys: Iterable[str], *, force: bool = False,
                   progress: Any = None) -> ReviewReport:
    """Propose each shoot in `keys` (a person's toggles are never touched)."""
    from gallery_builder.analysis.sharpness import sharpness_and_exposure
    from gallery_builder.db import review as queries

    settings = context.settings
    rules = ReviewRules(gap_seconds=float(settings.review_gap_seconds),
                        phash_distance=int(settings.review_phash_distance))
    report = ReviewReport()
    for key in keys:
        rows = queries.shoot_photos(db, key)
        if not rows:
            queries.forget_shoot(db, key)
            continue
        stale = [row for row in rows if row.thumb_key and row.sharpness_key != row.thumb_key]
        if stale:
            measured = []
            for row in stale:
                path = _largest_thumbnail(context, row.thumb_key, row.widths)
                measured.append((row.photo_id, row.thumb_key, *sharpness_and_exposure(path or "")))
            queries.store_sharpness(db, measured)
            report.measured += len(measured)
            rows = queries.shoot_photos(db, key)
        blinks = _blinks(queries.face_landmarks(db, [row.photo_id for row in rows]))
        print_ = queries.fingerprint(rows, sorted(blinks.items()))
        if not force and queries.stored_fingerprint(db, key) == print_:
            report.unchanged += 1
            if progress is not None:
                progress.update(1)
            continue
        photos = [ReviewPhoto(row.photo_id, _seconds(row.taken_at), int(row.phash, 16) if row.phash else None,
                              row.stars, row.rating, row.comparisons, row.sharpness, row.clipped, row.aesthetic,
                              blinks.get(row.photo_id)) for row in rows]
        groups = [queries.ProposedGroup(group.members, group.best, group.scores) for group in group_shoot(photos, rules)]
        queries.store_proposal(db, key, queries.shoot_label(db, key), key.split(":", 1)[0], rows, groups, print_)
        report.proposed.append(key)
        if progress is not None:
            progress.update(1)
    return report


class ReviewAnalysis:
    """The review step of a run's analysis stage: propose the most recent folders the run touched
    (up to `review_auto_shoots`), when their inputs changed."""

    name: ClassVar[str] = "review"

    def run(self, db: Any, scope: Scope, context: RunContext) -> str:
        from gallery_builder.db import review as queries
        from gallery_builder.db.stacks import photo_ids_in_scope

        limit = int(context.settings.review_auto_shoots)
        if limit <= 0:
            return "off (review_auto_shoots = 0)"
        ids = None if scope == Scope() else sorted(photo_ids_in_scope(db, scope))
        keys = [key for key, _ in queries.shoots_of(db, "folder", ids)[:limit]]
        return propose_shoots(db, context, keys).summary()
