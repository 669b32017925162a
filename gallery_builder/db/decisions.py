"""SQL of a person's decisions (flags, stars): writes, the decisions version, republish requests.

Only the CLI and the sidecar's writing routes call the writing functions. Each write is one short
transaction that changes the decision rows, appends one `decision_log` row per effective change
(its max seq is the decisions version) and records a republish request; setting what is already
set writes nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Sequence

from gallery_builder.db.connection import transaction
from gallery_builder.db.pass_queries import now_iso

Flag = Literal["pick", "reject"]
FLAGS: tuple[str, ...] = ("pick", "reject")
MAX_STARS = 5


class UnknownPhotos(LookupError):
    """Some ids name no photo; nothing was written."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.ids = sorted(ids)
        shown = ", ".join(str(photo_id) for photo_id in self.ids[:20])
        more = f" and {len(self.ids) - 20} more" if len(self.ids) > 20 else ""
        super().__init__(f"no photo with id {shown}{more}")


@dataclass(frozen=True)
class Decision:
    """The current decisions on one photo (no row yet reads as no flag, 0 stars)."""

    photo_id: int
    flag: Flag | None = None
    stars: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.photo_id, "flag": self.flag, "stars": self.stars}


@dataclass(frozen=True)
class Change:
    """One effective change a write made."""

    photo_id: int
    field: Literal["flag", "stars"]
    before: str | int | None
    after: str | int | None


@dataclass(frozen=True)
class WriteResult:
    """What a write did: the changes (empty when everything was already so) and the version after it."""

    changes: tuple[Change, ...]
    version: int

    @property
    def changed_ids(self) -> list[int]:
        return [change.photo_id for change in self.changes]


@dataclass(frozen=True)
class RepublishRequest:
    id: int
    reason: str
    requested_at: str


def _distinct(ids: Iterable[int]) -> list[int]:
    return sorted({int(photo_id) for photo_id in ids})


def _with_ids(ids: Sequence[int]) -> tuple[str, tuple[str]]:
    """A CTE `wanted(id)` over a JSON array: one parameter however many ids (no variable limit)."""
    return "WITH wanted(id) AS (SELECT DISTINCT value FROM json_each(?))", (json.dumps(list(ids)),)


def unknown_photo_ids(db: Any, ids: Iterable[int]) -> list[int]:
    """The ids among `ids` that name no photo row (any status: a missing photo can still be flagged)."""
    cte, params = _with_ids(_distinct(ids))
    return [row[0] for row in db.execute(
        f"{cte} SELECT w.id FROM wanted w LEFT JOIN photos p ON p.id = w.id WHERE p.id IS NULL ORDER BY w.id",
        params)]


def decisions_version(db: Any) -> int:
    """The decisions version: the seq of the newest decision_log row (0 before any decision)."""
    return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM decision_log").fetchone()[0])


def decisions_of(db: Any, ids: Iterable[int]) -> dict[int, Decision]:
    """Current decisions of the known photos among `ids` (unknown ids are left out)."""
    cte, params = _with_ids(_distinct(ids))
    return {row[0]: Decision(row[0], row[1], row[2]) for row in db.execute(
        f"{cte} SELECT p.id, d.flag, COALESCE(d.stars, 0) FROM wanted w JOIN photos p ON p.id = w.id"
        " LEFT JOIN photo_decisions d ON d.photo_id = p.id ORDER BY p.id", params)}


def decisions_since(db: Any, version: int) -> tuple[int, list[Decision]]:
    """(current version, current decisions of every photo changed after `version`), read together."""
    db.execute("BEGIN")
    try:
        current = decisions_version(db)
        rows = db.execute(
            "SELECT d.photo_id, d.flag, d.stars FROM photo_decisions d WHERE d.photo_id IN"
            " (SELECT photo_id FROM decision_log WHERE seq > ?) ORDER BY d.photo_id", (version,)).fetchall()
    finally:
        db.execute("COMMIT")
    return current, [Decision(row[0], row[1], row[2]) for row in rows]


def set_flag(db: Any, ids: Iterable[int], flag: Flag | None, source: str) -> WriteResult:
    """Flag photos pick or reject (None clears the flag); unknown ids raise UnknownPhotos, nothing written."""
    if flag is not None and flag not in FLAGS:
        raise ValueError(f"flag must be one of {', '.join(FLAGS)} or None, not {flag!r}")
    return _write(db, _distinct(ids), "flag", flag, source)


def set_stars(db: Any, ids: Iterable[int], stars: int, source: str) -> WriteResult:
    """Rate photos 0-5 stars (0 clears the rating); unknown ids raise UnknownPhotos, nothing written."""
    if isinstance(stars, bool) or not isinstance(stars, int) or not 0 <= stars <= MAX_STARS:
        raise ValueError(f"stars must be a whole number 0-{MAX_STARS}, not {stars!r}")
    return _write(db, _distinct(ids), "stars", stars, source)


def _write(db: Any, ids: list[int], field: Literal["flag", "stars"], value: str | int | None,
           source: str) -> WriteResult:
    cte, params = _with_ids(ids)
    column = {"flag": "flag", "stars": "stars"}[field]  # never a caller's string in the SQL
    default = "NULL" if field == "flag" else "0"
    with transaction(db):
        unknown = unknown_photo_ids(db, ids)
        if unknown:
            raise UnknownPhotos(unknown)
        before = db.execute(
            f"{cte} SELECT w.id, COALESCE(d.{column}, {default}) FROM wanted w"
            f" LEFT JOIN photo_decisions d ON d.photo_id = w.id"
            f" WHERE COALESCE(d.{column}, {default}) IS NOT ? ORDER BY w.id", (*params, value)).fetchall()
        at = now_iso()
        db.executemany(
            f"INSERT INTO photo_decisions (photo_id, {column}, updated_at) VALUES (?, ?, ?)"
            f" ON CONFLICT (photo_id) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at",
            [(row[0], value, at) for row in before])
        logged = None if value is None else str(value)
        db.executemany("INSERT INTO decision_log (photo_id, field, value, source, at) VALUES (?, ?, ?, ?, ?)",
                       [(row[0], field, logged, source, at) for row in before])
        if before:
            request_republish(db, f"{source}: {field} {value if value is not None else 'none'} on "
                                  f"{len(before)} photo(s)", in_transaction=True)
        version = decisions_version(db)
    return WriteResult(tuple(Change(row[0], field, row[1], value) for row in before), version)


def request_republish(db: Any, reason: str, *, in_transaction: bool = False) -> int:
    """Record that pages must be republished (the sidecar's republisher or the watcher does it)."""
    if in_transaction:
        return int(db.execute("INSERT INTO republish_requests (reason, requested_at) VALUES (?, ?)",
                              (reason, now_iso())).lastrowid)
    with transaction(db):
        return request_republish(db, reason, in_transaction=True)


def pending_republish_requests(db: Any) -> list[RepublishRequest]:
    """Requests not yet covered by a successful republish, oldest first."""
    return [RepublishRequest(*row) for row in db.execute(
        "SELECT id, reason, requested_at FROM republish_requests ORDER BY id")]


def clear_republish_requests(db: Any, through_id: int) -> int:
    """Forget the requests up to `through_id` (a republish that started after them succeeded)."""
    with transaction(db):
        return db.execute("DELETE FROM republish_requests WHERE id <= ?", (through_id,)).rowcount


def photo_ids_at(db: Any, root_id: int, relative_paths: Iterable[bytes]) -> dict[bytes, int]:
    """Photo ids by exact relative path bytes within one root (paths with no photo are left out)."""
    found = {}
    for relative in relative_paths:
        row = db.execute("SELECT id FROM photos WHERE root_id = ? AND path_bytes = ?",
                         (root_id, relative)).fetchone()
        if row:
            found[relative] = row[0]
    return found


def photo_ids_with_path(db: Any, relative: bytes) -> list[tuple[str, int]]:
    """(root label, id) of every photo at this relative path, in any root."""
    return [(row[0], row[1]) for row in db.execute(
        "SELECT r.label, p.id FROM photos p JOIN roots r ON r.id = p.root_id WHERE p.path_bytes = ?"
        " ORDER BY r.label", (relative,))]


def root_paths(db: Any) -> dict[str, tuple[int, str]]:
    """label -> (root id, folder path on disk) of every known root."""
    return {row[0]: (row[1], row[2]) for row in db.execute("SELECT label, id, path FROM roots ORDER BY label")}


def photo_labels(db: Any, ids: Iterable[int]) -> dict[int, str]:
    """id -> 'root/path' for printing what changed."""
    cte, params = _with_ids(_distinct(ids))
    return {row[0]: f"{row[1]}/{row[2]}" for row in db.execute(
        f"{cte} SELECT p.id, r.label, p.path FROM wanted w JOIN photos p ON p.id = w.id"
        " JOIN roots r ON r.id = p.root_id", params)}
