"""SQL of comparisons and ratings: scopes, recording a pick (one short transaction that appends its
events and updates the ratings cache), undo of the last pick, reset / undo-reset, recomputation from
the log, and the questions the CLI, the sidecar and the export ask (top of a scope, status, board).

Events are never deleted: undo and reset only mark them. The cache (`photo_ratings`) always equals a
replay of the counted events in id order (`recompute` rebuilds it that way).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Sequence

from gallery_builder.core.propagation import Neighbour, closest, nudges_for, replay_with_nudges
from gallery_builder.core.rating import UNRATED, Rating, compare
from gallery_builder.db.connection import transaction
from gallery_builder.db.rating_nudges import counted_nudges, log_nudges, nudges_before, save_nudged
from gallery_builder.db.decisions import UnknownPhotos, request_republish, unknown_photo_ids
from gallery_builder.db.pass_queries import now_iso

Mode = Literal["swiss", "mosaic", "top", "cli"]
MODES: tuple[str, ...] = ("swiss", "mosaic", "top", "cli")
COUNTED = "undone_at IS NULL AND reset_id IS NULL"
_YEAR = re.compile(r"^year:(\d{4})$")
_NUMBERED = re.compile(r"^(collection|stack):(\d+)$")
MAX_SCOPE_IDS = 2000          # an `ids:` scope (a search result) names at most this many photos
SCOPE_FORMS = "all, year:YYYY, folder:ROOT/PATH, collection:ID, stack:ID or ids:1,2,3"


@dataclass(frozen=True)
class Scope:
    """Which photos: `all`, `year:2019` (by capture date), `folder:ROOT/PATH` (that folder and below),
    `collection:ID`, `stack:ID`, or `ids:1,2,3` (a search result, as the page that shows it lists it)."""

    text: str
    kind: Literal["all", "year", "folder", "collection", "stack", "ids"]
    year: int = 0
    root: str = ""
    folder: str = ""
    number: int = 0                     # the collection or stack id
    ids: tuple[int, ...] = ()


def parse_scope(text: str | None) -> Scope:
    """A Scope from its text (None or '' mean all); ValueError with the accepted forms otherwise."""
    text = (text or "all").strip()
    if text == "all":
        return Scope("all", "all")
    match = _YEAR.match(text)
    if match:
        return Scope(text, "year", year=int(match.group(1)))
    if text.startswith("folder:") and text[7:].strip("/"):
        root, _, folder = text[7:].strip("/").partition("/")
        return Scope(f"folder:{root}/{folder}".rstrip("/"), "folder", root=root, folder=folder)
    numbered = _NUMBERED.match(text)
    if numbered:
        return Scope(text, numbered.group(1), number=int(numbered.group(2)))  # type: ignore[arg-type]
    if text.startswith("ids:"):
        parts = [part.strip() for part in text[4:].split(",") if part.strip()]
        if parts and len(parts) <= MAX_SCOPE_IDS and all(part.isdigit() for part in parts):
            ids = tuple(sorted({int(part) for part in parts}))
            return Scope("ids:" + ",".join(map(str, ids)), "ids", ids=ids)
    raise ValueError(f"unknown scope {text!r}: use {SCOPE_FORMS} (at most {MAX_SCOPE_IDS} ids)")


def scope_filter(scope: Scope, alias: str = "p") -> tuple[str, list[Any]]:
    """(SQL condition on photos `alias`, parameters) selecting the ok, non-video photos of `scope`."""
    base = f"{alias}.status = 'ok' AND {alias}.kind <> 'video'"
    if scope.kind == "year":
        return (f"{base} AND {alias}.id IN (SELECT photo_id FROM exif WHERE taken_at >= ? AND taken_at < ?)",
                [f"{scope.year:04d}", f"{scope.year + 1:04d}"])
    if scope.kind == "folder":
        condition = f"{base} AND {alias}.root_id = (SELECT id FROM roots WHERE label = ?)"
        if not scope.folder:
            return condition, [scope.root]
        return (f"{condition} AND ({alias}.folder = ? OR substr({alias}.folder, 1, ?) = ?)",
                [scope.root, scope.folder, len(scope.folder) + 1, scope.folder + "/"])
    if scope.kind == "collection":
        return f"{base} AND {alias}.id IN (SELECT photo_id FROM collection_photos WHERE collection_id = ?)", [scope.number]
    if scope.kind == "stack":
        return f"{base} AND {alias}.id IN (SELECT photo_id FROM stack_members WHERE stack_id = ?)", [scope.number]
    if scope.kind == "ids":
        return f"{base} AND {alias}.id IN (SELECT value FROM json_each(?))", [json.dumps(list(scope.ids))]
    return base, []


@dataclass(frozen=True)
class Standing:
    """A photo's place in a ranking."""

    photo_id: int
    rating: float
    deviation: float
    comparisons: int
    wins: int
    label: str = ""

    @property
    def confidence(self) -> float:
        return Rating(self.rating, self.deviation).confidence

    def to_json(self) -> dict[str, Any]:
        return {"id": self.photo_id, "rating": round(self.rating, 1), "deviation": round(self.deviation, 1),
                "confidence": round(self.confidence, 3), "comparisons": self.comparisons, "wins": self.wins,
                "path": self.label}


@dataclass(frozen=True)
class Recorded:
    """What recording a pick did: its id, the events' ids, the photos' ratings after it, the version,
    and the ratings after it of the look-alike photos it nudged (propagation)."""

    pick: int
    event_ids: tuple[int, ...]
    ratings: dict[int, Rating]
    version: int
    nudged: dict[int, Rating] = field(default_factory=dict)


@dataclass(frozen=True)
class Board:
    """The candidates of a scope for pairing, in id order: ids, ratings, deviations, comparison counts."""

    ids: list[int]
    ratings: list[float]
    deviations: list[float]
    comparisons: list[int]


def ranking_version(db: Any) -> int:
    """A counter every ranking write bumps (0 before any): the sidecar's cached boards compare it."""
    row = db.execute("SELECT value FROM ranking_state WHERE key = 'version'").fetchone()
    return int(row[0]) if row else 0


def _changed(db: Any, reason: str) -> int:
    """A change to the ratings (inside the caller's transaction): bump the ranking version and ask
    for a republish, since the best-first pages, grids and covers follow the ratings."""
    request_republish(db, reason, in_transaction=True)
    return _bump(db)


def _bump(db: Any, key: str = "version", value: int | None = None) -> int:
    if value is None:
        db.execute("INSERT INTO ranking_state (key, value) VALUES (?, 1)"
                   " ON CONFLICT (key) DO UPDATE SET value = value + 1", (key,))
    else:
        db.execute("INSERT INTO ranking_state (key, value) VALUES (?, ?)"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
    return int(db.execute("SELECT value FROM ranking_state WHERE key = ?", (key,)).fetchone()[0])


def ratings_of(db: Any, ids: Iterable[int]) -> dict[int, Rating]:
    """Current ratings of `ids` (a photo never compared reads as unrated)."""
    wanted = sorted({int(photo_id) for photo_id in ids})
    found = {row[0]: Rating(row[1], row[2], row[3]) for row in db.execute(
        "SELECT photo_id, rating, deviation, volatility FROM photo_ratings"
        " WHERE photo_id IN (SELECT value FROM json_each(?))", (json.dumps(wanted),))}
    return {photo_id: found.get(photo_id, UNRATED) for photo_id in wanted}


LookAlikes = Callable[[int], Sequence[Neighbour]]


def record_pick(db: Any, events: Sequence[tuple[int, int]], mode: Mode, scope: str, source: str,
                look_alikes: LookAlikes | None = None) -> Recorded:
    """Record one pick (one Swiss choice, one Mosaic choice: its (winner, loser) events, in order) and
    update the ratings cache, in one transaction. Unknown ids raise UnknownPhotos; nothing written.
    With `look_alikes` (photo id -> its similar photos), each event nudges the winner's and the
    loser's look-alikes (not the pick's own photos) and logs the nudges (propagation)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if not events or any(winner == loser for winner, loser in events):
        raise ValueError("a pick needs at least one comparison of two different photos")
    ids = {photo_id for pair in events for photo_id in pair}
    at = now_iso()
    neighbours = {photo_id: closest(look_alikes(photo_id), exclude=ids) for photo_id in ids} if look_alikes else {}
    around = {item.photo_id for found in neighbours.values() for item in found}
    with transaction(db):
        unknown = unknown_photo_ids(db, ids)
        if unknown:
            raise UnknownPhotos(unknown)
        current = ratings_of(db, ids | around)
        pick = int(db.execute("SELECT COALESCE(MAX(pick), 0) + 1 FROM comparison_events").fetchone()[0])
        event_ids = []
        for winner, loser in events:
            before_w, before_l = current[winner], current[loser]
            current[winner], current[loser] = compare(before_w, before_l)
            event_ids.append(db.execute(
                "INSERT INTO comparison_events (pick, winner, loser, mode, scope, source, at, winner_before,"
                " loser_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pick, winner, loser, mode, scope, source, at, json.dumps(list(before_w)),
                 json.dumps(list(before_l)))).lastrowid)
            if neighbours:
                log_nudges(db, event_ids[-1], nudges_for(current[winner].rating - before_w.rating, neighbours[winner])
                           + nudges_for(current[loser].rating - before_l.rating, neighbours[loser]), current)
        wins = {photo_id: sum(1 for winner, _ in events if winner == photo_id) for photo_id in ids}
        played = {photo_id: sum(1 for pair in events if photo_id in pair) for photo_id in ids}
        db.executemany(
            "INSERT INTO photo_ratings (photo_id, rating, deviation, volatility, comparisons, wins)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (photo_id) DO UPDATE SET rating = excluded.rating,"
            " deviation = excluded.deviation, volatility = excluded.volatility,"
            " comparisons = comparisons + excluded.comparisons, wins = wins + excluded.wins",
            [(photo_id, *current[photo_id], played[photo_id], wins[photo_id]) for photo_id in sorted(ids)])
        nudged = save_nudged(db, {photo_id: current[photo_id] for photo_id in sorted(around)})
        version = _changed(db, f"{source}: {mode} pick {pick} ({len(events)} comparison(s))")
    return Recorded(pick, tuple(event_ids), {photo_id: current[photo_id] for photo_id in sorted(ids)}, version,
                    nudged)


def undo_last_pick(db: Any) -> Recorded | None:
    """Take back the newest counted pick (all its events); None when there is none. The ratings it
    changed are restored exactly (from the values stored before it), or replayed after a reset."""
    with transaction(db):
        row = db.execute(f"SELECT MAX(pick) FROM comparison_events WHERE {COUNTED}").fetchone()
        if row[0] is None:
            return None
        pick = int(row[0])
        rows = db.execute(f"SELECT id, winner, loser, winner_before, loser_before FROM comparison_events"
                          f" WHERE pick = ? AND {COUNTED} ORDER BY id DESC", (pick,)).fetchall()
        db.execute(f"UPDATE comparison_events SET undone_at = ? WHERE pick = ? AND {COUNTED}", (now_iso(), pick))
        through = db.execute("SELECT value FROM ranking_state WHERE key = 'recomputed_through'").fetchone()
        if through is not None and rows[-1][0] <= through[0]:
            _recompute(db)   # the cache was rebuilt after this pick: its stored "before" values are stale
        else:
            befores = [((r[0], 0, 0), r[1], Rating(*json.loads(r[3]))) for r in rows]
            befores += [((r[0], 0, 1), r[2], Rating(*json.loads(r[4]))) for r in rows]
            befores += [((event_id, 1, nudge_id), photo_id, before)
                        for event_id, nudge_id, photo_id, before in nudges_before(db, (r[0] for r in rows))]
            restored: dict[int, Rating] = {}
            for _, photo_id, before in sorted(befores, reverse=True):   # newest first: the oldest "before" wins
                restored[photo_id] = before
            for photo_id, rating in restored.items():
                played = sum(1 for r in rows if photo_id in (r[1], r[2]))
                won = sum(1 for r in rows if r[1] == photo_id)
                db.execute("UPDATE photo_ratings SET rating = ?, deviation = ?, volatility = ?,"
                           " comparisons = comparisons - ?, wins = wins - ? WHERE photo_id = ?",
                           (*rating, played, won, photo_id))
            db.execute("DELETE FROM photo_ratings WHERE comparisons <= 0 AND rating = ? AND deviation = ?"
                       " AND volatility = ?", tuple(UNRATED))
        ids = {photo_id for r in rows for photo_id in (r[1], r[2])}
        ids |= {photo_id for _, _, photo_id, _ in nudges_before(db, (r[0] for r in rows))}
        version = _changed(db, f"ranking: pick {pick} undone")
        after = ratings_of(db, ids)
    return Recorded(pick, tuple(r[0] for r in reversed(rows)), after, version)


def _recompute(db: Any) -> int:
    """Rebuild the cache from the counted events (inside the caller's transaction); returns their count."""
    rows = db.execute(f"SELECT id, winner, loser FROM comparison_events WHERE {COUNTED} ORDER BY id").fetchall()
    ratings = replay_with_nudges(rows, counted_nudges(db, COUNTED))   # = rating.replay when none
    played: dict[int, int] = {}
    wins: dict[int, int] = {}
    for _, winner, loser in rows:
        played[winner] = played.get(winner, 0) + 1
        played[loser] = played.get(loser, 0) + 1
        wins[winner] = wins.get(winner, 0) + 1
    db.execute("DELETE FROM photo_ratings")
    db.executemany(
        "INSERT INTO photo_ratings (photo_id, rating, deviation, volatility, comparisons, wins)"
        " SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM photos WHERE id = ?)",
        [(photo_id, *rating, played.get(photo_id, 0), wins.get(photo_id, 0), photo_id)
         for photo_id, rating in ratings.items() if played.get(photo_id) or rating != UNRATED])
    last = db.execute("SELECT COALESCE(MAX(id), 0) FROM comparison_events").fetchone()[0]
    _bump(db, "recomputed_through", int(last))
    return len(rows)


def recompute(db: Any) -> int:
    """Rebuild every rating from the log in one transaction; returns how many events were replayed."""
    with transaction(db):
        count = _recompute(db)
        _changed(db, "ranking: recomputed from the log")
    return count


def _touching(scope: Scope) -> tuple[str, list[Any]]:
    condition, params = scope_filter(scope)
    return (f"(winner IN (SELECT p.id FROM photos p WHERE {condition})"
            f" OR loser IN (SELECT p.id FROM photos p WHERE {condition}))", params + params)


def reset_scope(db: Any, scope: Scope) -> tuple[int, int]:
    """Archive every counted event that involves a photo of `scope` (nothing is deleted) and replay
    the rest: (reset id, events archived)."""
    touching, params = _touching(scope)
    with transaction(db):
        reset_id = int(db.execute("INSERT INTO rank_resets (scope, at, events) VALUES (?, ?, 0)",
                                  (scope.text, now_iso())).lastrowid)
        count = db.execute(f"UPDATE comparison_events SET reset_id = ? WHERE {COUNTED} AND {touching}",
                           (reset_id, *params)).rowcount
        db.execute("UPDATE rank_resets SET events = ? WHERE id = ?", (count, reset_id))
        _recompute(db)
        _changed(db, f"ranking: reset of {scope.text}")
    return reset_id, count


@dataclass(frozen=True)
class Reset:
    id: int
    scope: str
    at: str
    events: int
    undone_at: str | None


def resets(db: Any) -> list[Reset]:
    """Every reset, newest first."""
    return [Reset(*row) for row in db.execute(
        "SELECT id, scope, at, events, undone_at FROM rank_resets ORDER BY id DESC")]


def undo_reset(db: Any, reset_id: int | None = None) -> Reset | None:
    """Count again the events of a reset (default: the newest one not undone) and replay; None if none."""
    with transaction(db):
        if reset_id is None:
            row = db.execute("SELECT MAX(id) FROM rank_resets WHERE undone_at IS NULL").fetchone()
            reset_id = row[0]
        found = db.execute("SELECT id, scope, at, events, undone_at FROM rank_resets WHERE id = ?",
                           (reset_id,)).fetchone() if reset_id is not None else None
        if found is None or found[4] is not None:
            return None
        undone = now_iso()
        db.execute("UPDATE rank_resets SET undone_at = ? WHERE id = ?", (undone, reset_id))
        db.execute("UPDATE comparison_events SET reset_id = NULL WHERE reset_id = ?", (reset_id,))
        _recompute(db)
        _changed(db, f"ranking: reset {reset_id} undone")
    return Reset(found[0], found[1], found[2], found[3], undone)


def standings(db: Any, scope: Scope, limit: int | None = None) -> list[Standing]:
    """The rated photos of `scope`, best first (ties: more comparisons, then id)."""
    condition, params = scope_filter(scope)
    limit_sql = " LIMIT ?" if limit is not None else ""
    return [Standing(*row) for row in db.execute(
        f"SELECT r.photo_id, r.rating, r.deviation, r.comparisons, r.wins, ro.label || '/' || p.path"
        f" FROM photo_ratings r JOIN photos p ON p.id = r.photo_id JOIN roots ro ON ro.id = p.root_id"
        f" WHERE {condition} ORDER BY r.rating DESC, r.comparisons DESC, r.photo_id{limit_sql}",
        params + ([limit] if limit is not None else []))]


@dataclass(frozen=True)
class Status:
    scope: str
    photos: int             # candidates in the scope
    rated: int              # of which have a counted comparison
    comparisons: int        # counted events involving a photo of the scope
    undone: int             # events taken back by undo (whole library)
    archived: int           # events archived by resets not undone (whole library)
    version: int


def ranking_status(db: Any, scope: Scope) -> Status:
    condition, params = scope_filter(scope)
    touching, touching_params = _touching(scope)
    db.execute("BEGIN")
    try:
        photos, rated = db.execute(
            f"SELECT COUNT(*), COUNT(r.photo_id) FROM photos p LEFT JOIN photo_ratings r ON r.photo_id = p.id"
            f" WHERE {condition}", params).fetchone()
        comparisons = db.execute(f"SELECT COUNT(*) FROM comparison_events WHERE {COUNTED} AND {touching}",
                                 touching_params).fetchone()[0]
        undone, archived = db.execute(
            "SELECT COUNT(undone_at), COUNT(reset_id) FROM comparison_events").fetchone()
        version = ranking_version(db)
    finally:
        db.execute("COMMIT")
    return Status(scope.text, photos, rated, comparisons, undone, archived, version)


def board(db: Any, scope: Scope) -> Board:
    """Every candidate of `scope` with its rating, deviation and comparison count (unrated: defaults)."""
    condition, params = scope_filter(scope)
    rows = db.execute(
        f"SELECT p.id, COALESCE(r.rating, {UNRATED.rating}), COALESCE(r.deviation, {UNRATED.deviation}),"
        f" COALESCE(r.comparisons, 0) FROM photos p LEFT JOIN photo_ratings r ON r.photo_id = p.id"
        f" WHERE {condition} ORDER BY p.id", params).fetchall()
    return Board([row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows],
                 [row[3] for row in rows])


def recent_picks(db: Any, limit: int) -> list[tuple[int, int]]:
    """The (winner, loser) of the newest counted events, newest first."""
    return [(row[0], row[1]) for row in db.execute(
        f"SELECT winner, loser FROM comparison_events WHERE {COUNTED} ORDER BY id DESC LIMIT ?", (limit,))]


def opponents_of(db: Any, photo_id: int) -> dict[int, int]:
    """How many counted comparisons `photo_id` had against each opponent."""
    found: dict[int, int] = {}
    for (other,) in db.execute(
            f"SELECT loser FROM comparison_events WHERE winner = ? AND {COUNTED}"
            f" UNION ALL SELECT winner FROM comparison_events WHERE loser = ? AND {COUNTED}", (photo_id, photo_id)):
        found[other] = found.get(other, 0) + 1
    return found
