"""SQL of duplicate groups: the facts detection reads, replacing the groups of the photos a detection
covered (ids kept where a group carries on), and the groups as the CLI and the export show them.

Nothing here writes `photo_decisions`: rejecting copies goes through `db/decisions.py:set_flag`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Sequence

from gallery_builder.core.records import Scope
from gallery_builder.db.connection import transaction
from gallery_builder.db.pass_queries import now_iso

Kind = Literal["exact", "near"]
CAMERA_TIME_SOURCES = ("exif", "quicktime")  # written by the camera (XMP dates may be an editor's)


@dataclass(frozen=True)
class PhotoFacts:
    """What duplicate detection knows of one present photo."""

    photo_id: int
    kind: str
    content_hash: str | None
    size: int
    phash: str | None
    width: int | None
    height: int | None
    taken_at: str | None
    time_from_camera: bool
    camera: str | None


@dataclass(frozen=True)
class Member:
    photo_id: int
    kind: Kind
    is_keeper: bool


@dataclass(frozen=True)
class DuplicateGroup:
    """A group as proposed (`id` None) or as stored."""

    id: int | None
    kind: Kind
    keeper_id: int
    members: tuple[Member, ...]


@dataclass(frozen=True)
class CopyRow:
    """One copy of a group as the CLI prints it."""

    group_id: int
    group_kind: Kind
    photo_id: int
    kind: Kind
    is_keeper: bool
    root: str
    path: str
    folder: str
    width: int | None
    height: int | None
    size: int
    taken_at: str | None
    flag: str | None


def photo_facts(db: Any) -> list[PhotoFacts]:
    """Facts of every present photo with known content, in id order."""
    marks = ",".join("?" * len(CAMERA_TIME_SOURCES))
    return [PhotoFacts(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], bool(row[8]), row[9])
            for row in db.execute(
                "SELECT p.id, p.kind, p.content_hash, p.size, h.phash, e.width, e.height, e.taken_at,"
                f" COALESCE(e.taken_at_source IN ({marks}), 0),"
                " NULLIF(TRIM(COALESCE(e.camera_make, '') || ' ' || COALESCE(e.camera_model, '')), '')"
                " FROM photos p LEFT JOIN phashes h ON h.photo_id = p.id LEFT JOIN exif e ON e.photo_id = p.id"
                " WHERE p.status = 'ok' AND p.content_hash IS NOT NULL ORDER BY p.id", CAMERA_TIME_SOURCES)]


def photo_ids_in(db: Any, scope: Scope) -> list[int]:
    """Ids of every photo of the scope, whatever its status (a missing one leaves its group)."""
    where, params = scope.sql("p")
    return [row[0] for row in db.execute(f"SELECT p.id FROM photos p WHERE 1 = 1{where} ORDER BY p.id", params)]


def unit_vectors(db: Any, model: str) -> tuple[list[int], Any]:
    """(photo ids, float32 matrix of L2-normalised rows) of the model's current CLIP vectors; ([], None)
    when there are none."""
    import numpy as np

    from gallery_builder.db.vectors import has_vector_table, iter_vectors

    if not has_vector_table(db):
        return [], None
    ids, rows = [], []
    for _, photo_id, dim, blob in iter_vectors(db, model):
        ids.append(photo_id)
        rows.append(np.frombuffer(blob, dtype="<f4", count=dim))
    if not rows:
        return [], None
    matrix = np.vstack(rows).astype(np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return ids, matrix


def members_of_groups_with(db: Any, photo_ids: Iterable[int]) -> set[int]:
    """Every photo in a stored group that holds one of `photo_ids`."""
    return {row[0] for row in db.execute(
        "WITH wanted(id) AS (SELECT value FROM json_each(?))"
        " SELECT m.photo_id FROM duplicate_members m WHERE m.group_id IN"
        " (SELECT group_id FROM duplicate_members WHERE photo_id IN (SELECT id FROM wanted))",
        (json.dumps(sorted(photo_ids)),))}


def stored_groups(db: Any) -> list[DuplicateGroup]:
    """Every stored group with its members, in id order."""
    groups: dict[int, tuple[str, int, list[Member]]] = {}
    for row in db.execute("SELECT g.id, g.kind, g.keeper_id, m.photo_id, m.kind, m.is_keeper"
                          " FROM duplicate_groups g JOIN duplicate_members m ON m.group_id = g.id"
                          " ORDER BY g.id, m.photo_id"):
        groups.setdefault(row[0], (row[1], row[2], []))[2].append(Member(row[3], row[4], bool(row[5])))
    return [DuplicateGroup(group_id, kind, keeper, tuple(members))
            for group_id, (kind, keeper, members) in groups.items()]


def replace_groups(db: Any, affected: set[int] | None, groups: Sequence[DuplicateGroup]) -> int:
    """Replace the stored groups holding any photo of `affected` (None: every group) with `groups`,
    in one transaction. A new group takes the id of the old group it shares most photos with, so a
    group that carries on keeps its id. Returns how many groups were written or dropped."""
    with transaction(db):
        old = [group for group in stored_groups(db)
               if affected is None or any(member.photo_id in affected for member in group.members)]
        old_of_photo = {member.photo_id: group.id for group in old for member in group.members}
        unchanged = {_signature(group) for group in old}
        taken: set[int] = set()
        written = 0
        at = now_iso()
        keep_ids = {}
        for number, group in enumerate(groups):
            votes: dict[int, int] = {}
            for member in group.members:
                if member.photo_id in old_of_photo:
                    votes[old_of_photo[member.photo_id]] = votes.get(old_of_photo[member.photo_id], 0) + 1
            for group_id, _ in sorted(votes.items(), key=lambda item: (-item[1], item[0])):
                if group_id not in taken:
                    taken.add(group_id)
                    keep_ids[number] = group_id
                    break
        gone = [group.id for group in old if group.id not in taken]
        db.executemany("DELETE FROM duplicate_groups WHERE id = ?", [(group_id,) for group_id in gone])
        for number, group in enumerate(groups):
            group_id = keep_ids.get(number)
            if group_id is not None and _signature(group) in unchanged:
                continue
            written += 1
            if group_id is None:
                group_id = db.execute("INSERT INTO duplicate_groups (kind, keeper_id, updated_at) VALUES (?, ?, ?)",
                                      (group.kind, group.keeper_id, at)).lastrowid
            else:
                db.execute("UPDATE duplicate_groups SET kind = ?, keeper_id = ?, updated_at = ? WHERE id = ?",
                           (group.kind, group.keeper_id, at, group_id))
                db.execute("DELETE FROM duplicate_members WHERE group_id = ?", (group_id,))
            db.execute("DELETE FROM duplicate_members WHERE photo_id IN (SELECT value FROM json_each(?))",
                       (json.dumps([member.photo_id for member in group.members]),))
            db.executemany("INSERT INTO duplicate_members (group_id, photo_id, kind, is_keeper) VALUES (?, ?, ?, ?)",
                           [(group_id, member.photo_id, member.kind, int(member.is_keeper))
                            for member in group.members])
    return written + len(gone)


def _signature(group: DuplicateGroup) -> tuple:
    return group.kind, group.keeper_id, tuple(sorted((m.photo_id, m.kind, m.is_keeper) for m in group.members))


def group_counts(db: Any) -> tuple[int, int]:
    """(groups, photos in groups) stored."""
    row = db.execute("SELECT COUNT(DISTINCT group_id), COUNT(*) FROM duplicate_members").fetchone()
    return int(row[0]), int(row[1])


def copies(db: Any, scope: Scope | None = None) -> list[CopyRow]:
    """Every copy of the stored groups (of the groups with a photo in `scope` when given), group by
    group with the keeper first."""
    where, params = scope.sql("s") if scope is not None else ("", [])
    restrict = (f" WHERE m.group_id IN (SELECT sm.group_id FROM duplicate_members sm JOIN photos s"
                f" ON s.id = sm.photo_id WHERE 1 = 1{where})") if where else ""
    return [CopyRow(*row) for row in db.execute(
        "SELECT m.group_id, g.kind, m.photo_id, m.kind, m.is_keeper, r.label, p.path, p.folder, e.width, e.height,"
        " p.size, e.taken_at, d.flag FROM duplicate_members m JOIN duplicate_groups g ON g.id = m.group_id"
        " JOIN photos p ON p.id = m.photo_id JOIN roots r ON r.id = p.root_id"
        " LEFT JOIN exif e ON e.photo_id = p.id LEFT JOIN photo_decisions d ON d.photo_id = p.id"
        f"{restrict} ORDER BY m.group_id, m.is_keeper DESC, m.photo_id", params)]


def others_of(db: Any, group_ids: Iterable[int] | None) -> dict[int, list[int]]:
    """Group id -> the non-keeper photo ids of these groups (None: of every group)."""
    ids = None if group_ids is None else sorted(set(group_ids))
    sql = "SELECT group_id, photo_id FROM duplicate_members WHERE is_keeper = 0"
    params: tuple = ()
    if ids is not None:
        sql += " AND group_id IN (SELECT value FROM json_each(?))"
        params = (json.dumps(ids),)
    found: dict[int, list[int]] = {group_id: [] for group_id in ids or []}
    for row in db.execute(sql + " ORDER BY group_id, photo_id", params):
        found.setdefault(row[0], []).append(row[1])
    return found


def known_group_ids(db: Any, group_ids: Iterable[int]) -> set[int]:
    return {row[0] for row in db.execute(
        "SELECT id FROM duplicate_groups WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(group_ids))),))}
