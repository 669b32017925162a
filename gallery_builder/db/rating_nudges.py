"""SQL of propagation nudges (`rating_nudges`, migration 0017): logging the nudges that follow a
comparison event, the nudges of the counted events for a replay, and the values an undo restores.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from gallery_builder.core.propagation import Nudge, nudged
from gallery_builder.core.rating import UNRATED, Rating


def log_nudges(db: Any, event_id: int, nudges: Sequence[Nudge], current: dict[int, Rating]) -> None:
    """Apply `nudges` to `current` (in place, in order) and log each with the rating before it."""
    for item in nudges:
        before = current.get(item.photo_id, UNRATED)
        current[item.photo_id] = nudged(before, item.amount)
        db.execute("INSERT INTO rating_nudges (event_id, photo_id, amount, distance, before) VALUES (?, ?, ?, ?, ?)",
                   (event_id, item.photo_id, item.amount, item.distance, json.dumps(list(before))))


def save_nudged(db: Any, ratings: dict[int, Rating]) -> dict[int, Rating]:
    """Write the nudged photos' ratings into the cache (their comparison counts unchanged; a photo
    nudged back to exactly unrated gets no row); returns those written."""
    nudged = {photo_id: rating for photo_id, rating in ratings.items() if rating != UNRATED}
    db.executemany(
        "INSERT INTO photo_ratings (photo_id, rating, deviation, volatility, comparisons, wins)"
        " VALUES (?, ?, ?, ?, 0, 0) ON CONFLICT (photo_id) DO UPDATE SET rating = excluded.rating,"
        " deviation = excluded.deviation, volatility = excluded.volatility",
        [(photo_id, *rating) for photo_id, rating in nudged.items()])
    return nudged


def counted_nudges(db: Any, counted: str) -> dict[int, list[tuple[int, float]]]:
    """Event id -> its nudges [(photo id, amount)] in logged order, for the events that count
    (`counted`: the SQL condition on comparison_events). The nudges are read in rowid order and
    those of the few uncounted events dropped here: a join, or an ORDER BY event_id, cost 4x more."""
    skipped = {row[0] for row in db.execute(f"SELECT id FROM comparison_events WHERE NOT ({counted})")}
    found: dict[int, list[tuple[int, float]]] = {}
    for event_id, photo_id, amount in db.execute("SELECT event_id, photo_id, amount FROM rating_nudges ORDER BY id"):
        if event_id not in skipped:
            found.setdefault(event_id, []).append((photo_id, amount))
    return found


def nudges_before(db: Any, event_ids: Iterable[int]) -> list[tuple[int, int, int, Rating]]:
    """(event id, nudge id, photo id, rating before the nudge) of the nudges that followed `event_ids`."""
    return [(row[0], row[1], row[2], Rating(*json.loads(row[3]))) for row in db.execute(
        "SELECT event_id, id, photo_id, before FROM rating_nudges WHERE event_id IN (SELECT value FROM json_each(?))"
        " ORDER BY event_id, id", (json.dumps(sorted(set(event_ids))),))]


def nudge_count(db: Any) -> int:
    """How many nudges were ever logged (counted or not)."""
    return int(db.execute("SELECT COUNT(*) FROM rating_nudges").fetchone()[0])


def stack_mates(db: Any, photo_id: int) -> list[int]:
    """The other members of the stack `photo_id` is in (none when it is in no stack)."""
    return [row[0] for row in db.execute(
        "SELECT m.photo_id FROM stack_members m JOIN stack_members me ON me.stack_id = m.stack_id"
        " WHERE me.photo_id = ? AND m.photo_id <> ? ORDER BY m.photo_id", (photo_id, photo_id))]


def phash_signature(db: Any) -> tuple[int, int]:
    """(count, largest photo id) of the stored pHashes: changes when hashes are added or removed."""
    count, largest = db.execute("SELECT COUNT(*), COALESCE(MAX(photo_id), 0) FROM phashes").fetchone()
    return int(count), int(largest)


def all_phashes(db: Any) -> tuple[list[int], list[str]]:
    """Every `ok` photo's id and pHash (16 hex digits), by id."""
    rows = db.execute("SELECT h.photo_id, h.phash FROM phashes h JOIN photos p ON p.id = h.photo_id"
                      " WHERE p.status = 'ok' ORDER BY h.photo_id").fetchall()
    return [row[0] for row in rows], [row[1] for row in rows]
