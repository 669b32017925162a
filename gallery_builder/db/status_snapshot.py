"""The status figures' snapshot: triggers (migration 0013) count every change to what `gallery
status` reads; figures computed at one count are stored and reused while the count and their key
(pass versions, settings) still match, so status costs a few lookups at any library size."""
from __future__ import annotations

import json
from typing import Any, Callable

from gallery_builder.db.pass_queries import now_iso

SNAPSHOT_WRITE_WAIT_MS = 50  # storing the snapshot is a courtesy: never make status wait for the indexer


def change_count(db: Any) -> int | None:
    """How many changes the status figures have seen; None on a database without the counter."""
    try:
        row = db.execute("SELECT counter FROM index_changes WHERE id = 1").fetchone()
    except Exception:  # an older schema opened read-only: no counter, no snapshot
        return None
    return int(row[0]) if row else None


def cached_figures(db: Any, key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The figures for `key`: from the snapshot when nothing changed since it was taken, else
    computed (in one read transaction, so they belong to one count) and stored for next time."""
    count = change_count(db)
    if count is None:
        return compute()
    row = db.execute("SELECT counter, body FROM status_snapshots WHERE key = ?", (key,)).fetchone()
    if row is not None and int(row[0]) == count:
        return json.loads(row[1])
    own_transaction = not db.in_transaction
    if own_transaction:
        db.execute("BEGIN")
    try:
        count = change_count(db)
        figures = compute()
    finally:
        if own_transaction:
            db.execute("COMMIT")
    _store(db, key, count, figures)
    return figures


def _store(db: Any, key: str, count: int | None, figures: dict[str, Any]) -> None:
    if count is None or db.in_transaction:
        return
    waited = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute(f"PRAGMA busy_timeout={SNAPSHOT_WRITE_WAIT_MS}")
    try:
        db.execute("INSERT INTO status_snapshots (key, counter, body, computed_at) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT(key) DO UPDATE SET counter = excluded.counter, body = excluded.body,"
                   " computed_at = excluded.computed_at", (key, count, json.dumps(figures), now_iso()))
    except Exception as error:  # busy (an index run is writing) or read-only: compute again next time
        if "locked" not in str(error) and "readonly" not in str(error) and "busy" not in str(error):
            raise
    finally:
        db.execute(f"PRAGMA busy_timeout={int(waited)}")
