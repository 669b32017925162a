"""SQL of stacks: the facts stacking reads, the stacks it stores, a person's stack edits, listings.

Analysis calls `replace_stacks` inside one transaction per re-stacking; a person's edit is one short
transaction (`record_edit` plus the re-stacking of the photos it touches), through the CLI.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from gallery_builder.core.records import Scope
from gallery_builder.db.pass_queries import now_iso
from gallery_builder.db.quality import current_score_sql

STACKABLE_KINDS = ("photo", "raw")
UNRELIABLE_TIME_SOURCES = ("mtime", "folder")  # a copy's file time says nothing about when it was shot


@dataclass(frozen=True)
class CandidateRow:
    """One photo as stacking sees it. `eligible`: detection may stack it (a photo, a capture time
    from the file's metadata or name); other rows are here only because a person's edit names them."""

    photo_id: int
    camera_make: str | None
    camera_model: str | None
    taken_at: str | None
    phash: str | None
    stars: int
    thumb_key: str | None
    sharpness_key: str | None
    sharpness: float | None
    eligible: bool
    rating: float | None = None     # what the "best first" order of its top reads
    comparisons: int = 0
    aesthetic: float | None = None


@dataclass(frozen=True)
class EditRow:
    seq: int
    action: str
    photo_ids: tuple[int, ...]


@dataclass(frozen=True)
class NewStack:
    members: tuple[int, ...]
    top: int
    kind: str


@dataclass(frozen=True)
class StackListing:
    """One stored stack, for printing and export."""

    stack_id: int
    kind: str
    top_photo_id: int
    size: int
    first_taken_at: str | None
    last_taken_at: str | None
    top_label: str


def _with_ids(ids: Iterable[int]) -> tuple[str, tuple[str]]:
    """A CTE `wanted(id)` over a JSON array: one parameter however many ids."""
    return "WITH wanted(id) AS (SELECT DISTINCT value FROM json_each(?))", (json.dumps(sorted(set(ids))),)


def stack_candidates(db: Any) -> list[CandidateRow]:
    """Every present photo detection may stack, plus those a person's edit names."""
    eligible = (f"(p.kind IN {STACKABLE_KINDS!r} AND e.taken_at IS NOT NULL"
                f" AND COALESCE(e.taken_at_source, '') NOT IN {UNRELIABLE_TIME_SOURCES!r})")
    rows = db.execute(
        f"SELECT p.id, e.camera_make, e.camera_model, e.taken_at, h.phash, COALESCE(d.stars, 0), t.thumb_key,"
        f" s.thumb_key, s.sharpness, {eligible}, r.rating, COALESCE(r.comparisons, 0), {current_score_sql('p')}"
        " FROM photos p LEFT JOIN exif e ON e.photo_id = p.id LEFT JOIN phashes h ON h.photo_id = p.id"
        " LEFT JOIN photo_decisions d ON d.photo_id = p.id LEFT JOIN thumbnails t ON t.photo_id = p.id"
        " LEFT JOIN stack_sharpness s ON s.photo_id = p.id LEFT JOIN photo_ratings r ON r.photo_id = p.id"
        f" WHERE p.status != 'missing' AND ({eligible} OR p.id IN (SELECT photo_id FROM stack_edit_photos))")
    return [CandidateRow(*row[:9], bool(row[9]), *row[10:]) for row in rows]


def photo_ids_in_scope(db: Any, scope: Scope) -> set[int]:
    where, params = scope.sql("p")
    return {row[0] for row in db.execute(f"SELECT p.id FROM photos p WHERE 1 = 1{where}", params)}


def stack_fingerprints(db: Any) -> dict[int, str]:
    """What each photo looked like to the last stacking."""
    return {row[0]: row[1] for row in db.execute("SELECT photo_id, fingerprint FROM stack_inputs")}


def memberships(db: Any) -> dict[int, int]:
    """photo id -> stack id of every stacked photo."""
    return {row[0]: row[1] for row in db.execute("SELECT photo_id, stack_id FROM stack_members")}


def stack_edits(db: Any) -> list[EditRow]:
    """A person's edits in the order they were made."""
    photos: dict[int, list[int]] = {}
    for seq, photo_id in db.execute("SELECT seq, photo_id FROM stack_edit_photos ORDER BY seq, position"):
        photos.setdefault(seq, []).append(photo_id)
    return [EditRow(seq, action, tuple(photos.get(seq, ()))) for seq, action in
            db.execute("SELECT seq, action FROM stack_edits ORDER BY seq")]


def record_edit(db: Any, action: str, photo_ids: Sequence[int], source: str) -> int:
    """Append one edit (inside the caller's transaction); returns its seq."""
    seq = int(db.execute("INSERT INTO stack_edits (action, source, at) VALUES (?, ?, ?)",
                         (action, source, now_iso())).lastrowid)
    db.executemany("INSERT INTO stack_edit_photos (seq, position, photo_id) VALUES (?, ?, ?)",
                   [(seq, position, photo_id) for position, photo_id in enumerate(photo_ids)])
    return seq


def replace_stacks(db: Any, affected: Iterable[int], stacks: Sequence[NewStack], fingerprints: dict[int, str],
                   sharpness: Sequence[tuple[int, str, float | None]]) -> dict[str, int]:
    """Store the stacks of the `affected` photos (inside the caller's transaction): an old stack id is
    kept by the new stack holding most of its members; stacks left empty go. Returns counts."""
    affected = set(affected)
    cte, params = _with_ids(affected)
    old = {row[0]: row[1] for row in db.execute(
        f"{cte} SELECT m.photo_id, m.stack_id FROM wanted w JOIN stack_members m ON m.photo_id = w.id", params)}
    old_groups: dict[int, set[int]] = {}
    for photo_id, stack_id in old.items():
        old_groups.setdefault(stack_id, set()).add(photo_id)
    old_tops = {row[0]: row[1] for row in db.execute(
        f"WITH ids(id) AS (SELECT value FROM json_each(?)) SELECT s.id, s.top_photo_id FROM ids JOIN stacks s"
        " ON s.id = ids.id", (json.dumps(sorted(old_groups)),))}
    db.execute(f"{cte} DELETE FROM stack_members WHERE photo_id IN (SELECT id FROM wanted)", params)
    taken: set[int] = set()
    counts = {"new": 0, "changed": 0, "unchanged": 0, "dissolved": 0}
    at = now_iso()
    for stack in sorted(stacks, key=lambda item: item.members):
        votes: dict[int, int] = {}
        for photo_id in stack.members:
            if photo_id in old and old[photo_id] not in taken:
                votes[old[photo_id]] = votes.get(old[photo_id], 0) + 1
        stack_id = max(votes, key=lambda key: (votes[key], -key)) if votes else None
        if stack_id is None:
            stack_id = int(db.execute("INSERT INTO stacks (kind, top_photo_id, updated_at) VALUES (?, ?, ?)",
                                      (stack.kind, stack.top, at)).lastrowid)
            counts["new"] += 1
        else:
            same = old_groups[stack_id] == set(stack.members) and old_tops.get(stack_id) == stack.top
            counts["unchanged" if same else "changed"] += 1
            db.execute("UPDATE stacks SET kind = ?, top_photo_id = ?, updated_at = ? WHERE id = ?"
                       " AND (kind != ? OR top_photo_id != ?)", (stack.kind, stack.top, at, stack_id, stack.kind, stack.top))
        taken.add(stack_id)
        db.executemany("INSERT INTO stack_members (photo_id, stack_id) VALUES (?, ?)",
                       [(photo_id, stack_id) for photo_id in stack.members])
    gone = [stack_id for stack_id in old_groups if stack_id not in taken]
    db.executemany("DELETE FROM stacks WHERE id = ? AND NOT EXISTS (SELECT 1 FROM stack_members WHERE stack_id = ?)",
                   [(stack_id, stack_id) for stack_id in gone])
    counts["dissolved"] = len(gone)
    db.execute(f"{cte} DELETE FROM stack_inputs WHERE photo_id IN (SELECT id FROM wanted)", params)
    db.executemany("INSERT INTO stack_inputs (photo_id, fingerprint) VALUES (?, ?)", sorted(fingerprints.items()))
    db.executemany("INSERT OR REPLACE INTO stack_sharpness (photo_id, thumb_key, sharpness) VALUES (?, ?, ?)",
                   list(sharpness))
    return counts


def stack_of_photo(db: Any, photo_id: int) -> int | None:
    row = db.execute("SELECT stack_id FROM stack_members WHERE photo_id = ?", (photo_id,)).fetchone()
    return row[0] if row else None


def stack_member_ids(db: Any, stack_id: int) -> list[int]:
    return [row[0] for row in db.execute(
        "SELECT m.photo_id FROM stack_members m LEFT JOIN exif e ON e.photo_id = m.photo_id"
        " WHERE m.stack_id = ? ORDER BY e.taken_at, m.photo_id", (stack_id,))]


def photo_exists(db: Any, photo_id: int) -> bool:
    return db.execute("SELECT 1 FROM photos WHERE id = ?", (photo_id,)).fetchone() is not None


def stack_listings(db: Any, photo_ids: Iterable[int] | None = None) -> list[StackListing]:
    """Stored stacks (all, or those holding any of `photo_ids`) in capture-time order."""
    sql = ("SELECT s.id, s.kind, s.top_photo_id, COUNT(*), MIN(e.taken_at), MAX(e.taken_at),"
           " (SELECT r.label || '/' || p.path FROM photos p JOIN roots r ON r.id = p.root_id WHERE p.id = s.top_photo_id)"
           " FROM stacks s JOIN stack_members m ON m.stack_id = s.id LEFT JOIN exif e ON e.photo_id = m.photo_id")
    params: tuple[Any, ...] = ()
    if photo_ids is not None:
        cte, params = _with_ids(photo_ids)
        sql = (f"{cte} {sql} WHERE s.id IN (SELECT stack_id FROM stack_members"
               " WHERE photo_id IN (SELECT id FROM wanted))")
    sql += " GROUP BY s.id ORDER BY MIN(e.taken_at), s.id"
    return [StackListing(*row) for row in db.execute(sql, params)]


def photo_labels(db: Any, photo_ids: Iterable[int]) -> dict[int, str]:
    """id -> 'root/path'."""
    cte, params = _with_ids(photo_ids)
    return {row[0]: f"{row[1]}/{row[2]}" for row in db.execute(
        f"{cte} SELECT p.id, r.label, p.path FROM wanted w JOIN photos p ON p.id = w.id"
        " JOIN roots r ON r.id = p.root_id", params)}


def clip_vectors_of(db: Any, photo_ids: Iterable[int], model: str) -> dict[int, bytes]:
    """Current CLIP vectors (float32 blobs) of these photos for this model; photos without one are absent."""
    cte, params = _with_ids(photo_ids)
    return {row[0]: bytes(row[1]) for row in db.execute(
        f"{cte} SELECT v.photo_id, v.vector FROM wanted w JOIN clip_vectors v ON v.photo_id = w.id"
        " JOIN photos p ON p.id = v.photo_id WHERE v.model = ? AND v.content_hash IS p.content_hash",
        (*params, model))}


class NotStacked(LookupError):
    """The photo is in no stack (or the stack does not exist); nothing was written."""


@dataclass(frozen=True)
class StackEditResult:
    """What a person's stack edit did at once: the stack (None once dissolved), its members and top
    after the edit, and the change lines (empty when it was already so)."""

    stack_id: int
    action: str
    members: tuple[int, ...]
    top: int | None
    changes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack_id, "action": self.action, "members": list(self.members), "top": self.top,
                "changes": list(self.changes)}


BROWSER_EDITS = ("set_top", "remove", "not_a_stack")


def edit_stack_now(db: Any, action: str, photo_id: int | None, stack_id: int | None, source: str) -> StackEditResult:
    """A person's stack edit (set top, remove a photo, not a stack), in one short transaction: the
    edit is recorded (re-stacking replays it, so it survives) and applied to the stored stacks at once,
    with a republish request. `photo_id` names the photo (set_top, remove), `stack_id` the stack
    (not_a_stack; or taken from the photo). Unknown photos raise UnknownPhotos; NotStacked when
    there is no such stack."""
    from gallery_builder.db.connection import transaction
    from gallery_builder.db.decisions import UnknownPhotos, request_republish

    if action not in BROWSER_EDITS:
        raise ValueError(f"action must be one of {', '.join(BROWSER_EDITS)}, not {action!r}")
    with transaction(db):
        if photo_id is not None:
            if not photo_exists(db, photo_id):
                raise UnknownPhotos([photo_id])
            stack_id = stack_of_photo(db, photo_id)
            if stack_id is None:
                raise NotStacked(f"photo {photo_id} is in no stack")
        members = stack_member_ids(db, stack_id) if stack_id is not None else []
        if not members:
            raise NotStacked(f"no stack with id {stack_id}")
        top = db.execute("SELECT top_photo_id FROM stacks WHERE id = ?", (stack_id,)).fetchone()[0]
        if action == "set_top" and top == photo_id:
            return StackEditResult(stack_id, action, tuple(members), top, ())
        record_edit(db, action, members if action == "not_a_stack" else [photo_id], source)
        at = now_iso()
        if action == "set_top":
            db.execute("UPDATE stacks SET top_photo_id = ?, updated_at = ? WHERE id = ?", (photo_id, at, stack_id))
            change, top = f"photo {photo_id} is now the top of stack {stack_id}", photo_id
        else:
            leaving = members if action == "not_a_stack" else [photo_id]
            left = [member for member in members if member not in leaving]
            if len(left) < 2:        # one photo is no stack
                db.execute("DELETE FROM stacks WHERE id = ?", (stack_id,))
                members, top = [], None
                change = f"stack {stack_id} split into single photos"
            else:
                db.execute("DELETE FROM stack_members WHERE photo_id = ?", (photo_id,))
                top = top if top in left else left[0]
                db.execute("UPDATE stacks SET top_photo_id = ?, updated_at = ? WHERE id = ?", (top, at, stack_id))
                members, change = left, f"photo {photo_id} left stack {stack_id}"
        request_republish(db, f"{source}: {change}", in_transaction=True)
        return StackEditResult(stack_id, action, tuple(members), top, (change,))
