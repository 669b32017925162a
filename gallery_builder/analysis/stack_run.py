"""Re-stacking against the database: read candidates, find what changed and its time neighbours,
detect (analysis/stacks.py), replay a person's edits, pick tops, store; and the person's edits.

`StackAnalysis` is what `ANALYSES` runs in `gallery index` and `gallery watch`; `gallery stack` calls
`restack` directly (a scope, or everything; `dry_run` writes nothing).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar, Iterable, Sequence

from gallery_builder.analysis.stacks import (
    ProposedStack, StackEdit, StackPhoto, StackRules, apply_edits, by_camera, describe, detect_groups, segments,
)
from gallery_builder.core.best_first import Facts, score
from gallery_builder.core.records import RunContext, Scope

_EPOCH = datetime(1970, 1, 1)


@dataclass
class RestackReport:
    """What one re-stacking did: stacks of the affected photos, and the counts of what changed."""

    affected: int = 0
    stacks: list[ProposedStack] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        if not self.affected:
            return "nothing changed"
        stacked = sum(len(stack.members) for stack in self.stacks)
        line = f"{len(self.stacks)} stack(s) of {stacked} photo(s) among {self.affected} re-stacked photo(s)"
        if self.counts:
            line += " (" + ", ".join(f"{value} {key}" for key, value in self.counts.items() if value) + ")"
        return line


def seconds(taken_at: str) -> float:
    """A capture time `YYYY-MM-DDTHH:MM:SS[.fff]` (local wall time) as seconds; only differences matter."""
    return (datetime.fromisoformat(taken_at) - _EPOCH).total_seconds()


def _fingerprint(row: Any) -> str:
    """What a photo's stacking depends on: its camera, time and look, and its worth (the top follows it)."""
    worth = score(Facts(rating=row.rating, comparisons=row.comparisons, stars=row.stars, aesthetic=row.aesthetic))
    worth_text = "-" if worth is None else f"{worth:.3f}"
    return f"{row.camera_make}|{row.camera_model}|{row.taken_at}|{row.phash}|{int(row.eligible)}|{worth_text}"


def _camera(row: Any) -> str | None:
    parts = [part.strip().lower() for part in (row.camera_make, row.camera_model) if part and part.strip()]
    return " ".join(parts) or None


def _record(row: Any) -> StackPhoto:
    return StackPhoto(
        photo_id=row.photo_id, camera=_camera(row), taken_at=seconds(row.taken_at) if row.taken_at else 0.0,
        phash=int(row.phash, 16) if row.phash else None, has_subseconds=bool(row.taken_at and "." in row.taken_at),
        stars=row.stars, sharpness=row.sharpness if row.sharpness_key == row.thumb_key else None,
        eligible=row.eligible, rating=row.rating, comparisons=row.comparisons, aesthetic=row.aesthetic)


def _edits(db: Any) -> list[StackEdit]:
    from gallery_builder.db.stacks import stack_edits

    return [StackEdit(row.seq, row.action, row.photo_ids) for row in stack_edits(db)]  # type: ignore[arg-type]


def _affected(records: dict[int, StackPhoto], seeds: Iterable[int], rules: StackRules, stored: dict[int, int],
              edits: Sequence[StackEdit]) -> set[int]:
    """The seeds, their time segments, the stored stacks and the edits they touch, to a fixed point."""
    segment_of: dict[int, list[StackPhoto]] = {}
    for frames in by_camera(records.values()).values():
        for part in segments(frames, rules):
            for photo in part:
                segment_of[photo.photo_id] = part
    members: dict[int, list[int]] = {}
    for photo_id, stack_id in stored.items():
        members.setdefault(stack_id, []).append(photo_id)
    edit_links: dict[int, list[tuple[int, ...]]] = {}
    for edit in edits:
        for photo_id in edit.photo_ids:
            edit_links.setdefault(photo_id, []).append(edit.photo_ids)
    affected: set[int] = set()
    queue = list(seeds)
    while queue:
        photo_id = queue.pop()
        if photo_id in affected:
            continue
        affected.add(photo_id)
        queue.extend(photo.photo_id for photo in segment_of.get(photo_id, ()))
        if photo_id in stored:
            queue.extend(members[stored[photo_id]])
        for linked in edit_links.get(photo_id, ()):
            queue.extend(linked)
    return affected


def _with_vectors(db: Any, records: dict[int, StackPhoto], ids: set[int], model: str) -> None:
    import numpy as np
    from gallery_builder.db.stacks import clip_vectors_of

    for photo_id, blob in clip_vectors_of(db, ids, model).items():
        vector = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        norm = float(np.linalg.norm(vector))
        if norm > 0 and photo_id in records:
            records[photo_id] = replace(records[photo_id], vector=vector / norm)


def restack(db: Any, context: RunContext, scope: Scope | None = None, *, everything: bool = False,
            changed_only: bool = False, dry_run: bool = False,
            edit: tuple[str, Sequence[int], str] | None = None) -> RestackReport:
    """Re-stack the photos of `scope` (all with `everything`), or with `changed_only` only those whose
    camera, time or pHash changed since the last stacking, plus their time neighbours, the stacks they
    were in and the photos a person's edits tie them to. A person's edits are replayed, never undone.

    Reads, detection and writes happen in one transaction (none with `dry_run`), so a person's edit
    made meanwhile is never lost; `edit` (action, photo ids, source) is recorded in that transaction."""
    from gallery_builder.db.connection import transaction
    from gallery_builder.db.stacks import record_edit

    if dry_run:
        return _restack(db, context, scope, everything, changed_only, (), dry_run=True)
    with transaction(db):
        seeds: Sequence[int] = ()
        if edit is not None:
            record_edit(db, edit[0], edit[1], edit[2])
            seeds = edit[1]
        return _restack(db, context, scope, everything, changed_only, seeds, dry_run=False)


def _restack(db: Any, context: RunContext, scope: Scope | None, everything: bool, changed_only: bool,
             extra_seeds: Iterable[int], dry_run: bool) -> RestackReport:
    from gallery_builder.analysis.sharpness import laplacian_variance
    from gallery_builder.core.thumb_layout import SLOTS, thumb_relpath
    from gallery_builder.db import stacks as stack_db

    rules = StackRules.from_settings(context.settings)
    rows = {row.photo_id: row for row in stack_db.stack_candidates(db)}
    stored_prints = stack_db.stack_fingerprints(db)
    in_scope = set(rows) if everything or scope is None else stack_db.photo_ids_in_scope(db, scope) & set(rows)
    if changed_only:
        seeds = {photo_id for photo_id in in_scope if stored_prints.get(photo_id) != _fingerprint(rows[photo_id])}
    else:
        seeds = set(in_scope)
    seeds |= {photo_id for photo_id in stored_prints if photo_id not in rows}  # gone, or no longer stackable
    seeds |= set(extra_seeds)
    if not seeds:
        return RestackReport()
    records = {photo_id: _record(row) for photo_id, row in rows.items()}
    stored = stack_db.memberships(db)
    edits = _edits(db)
    affected = _affected(records, seeds, rules, stored, edits)
    report = RestackReport(affected=len(affected))
    if not affected:
        return report
    present = {photo_id: records[photo_id] for photo_id in affected if photo_id in records}
    _with_vectors(db, present, set(present), context.settings.clip_model)
    groups, chosen = apply_edits(detect_groups(present.values(), rules), edits, set(present))
    sharpness: list[tuple[int, str, float | None]] = []
    grid = SLOTS[0].width
    for group in groups:
        for photo_id in group:
            row = rows[photo_id]
            if row.thumb_key and row.sharpness_key != row.thumb_key:
                value = laplacian_variance(os.path.join(context.thumbs_dir, thumb_relpath(row.thumb_key, grid)))
                sharpness.append((photo_id, row.thumb_key, value))
                present[photo_id] = replace(present[photo_id], sharpness=value)
    for group in groups:
        top = next((photo_id for photo_id in group if photo_id in chosen), None)
        report.stacks.append(describe([present[photo_id] for photo_id in group], rules, top))
    report.stacks.sort(key=lambda stack: (stack.first, stack.members[0]))
    if dry_run:
        return report
    prints = {photo_id: _fingerprint(rows[photo_id]) for photo_id in affected if photo_id in rows}
    new = [stack_db.NewStack(stack.members, stack.top, stack.kind) for stack in report.stacks]
    report.counts = stack_db.replace_stacks(db, affected, new, prints, sharpness)
    return report


def edit_stacks(db: Any, context: RunContext, action: str, photo_ids: Sequence[int], source: str) -> RestackReport:
    """Record a person's edit and re-stack what it touches, in one short transaction."""
    return restack(db, context, Scope(photo_ids=tuple(photo_ids)), changed_only=True,
                   edit=(action, tuple(photo_ids), source))


class StackAnalysis:
    """The run's analysis stage: re-stack the photos of the run's scope whose inputs changed."""

    name: ClassVar[str] = "stacks"

    def run(self, db: Any, scope: Scope, context: RunContext) -> str:
        return restack(db, context, scope, changed_only=True).summary()
