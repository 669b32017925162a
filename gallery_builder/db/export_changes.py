"""Which tables an export read, and whether they changed since: per-table change counters kept by
triggers (migration 0018) and SQLite's authorizer, which names every table and column a statement reads.

Why counters and not `PRAGMA data_version`: data_version only tells one open connection that some
other connection wrote since its last look; it is per connection, not per table, and gone when the
process ends, so a `gallery export` started by the sidecar could not tell a flag from a rescan.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

SQLITE_READ = 20  # sqlite3.SQLITE_READ, not exported by every driver
SQLITE_OK = 0
# Columns counted apart from their table (see 0018): what a rescan or the export itself rewrites
# without changing any exported fact.
SPLIT_COLUMNS = {("photos", "first_seen"), ("photos", "last_seen"), ("photos", "missing_since"),
                 ("roots", "last_scan_at"), ("face_clusters", "shown")}
UNTRACKED = -1  # the counter recorded for a table no trigger counts: the file is rewritten every time


def change_counters(db: Any) -> dict[str, int]:
    """Every counted table (and `table.column` counted apart) with its change counter."""
    return dict(db.execute("SELECT name, counter FROM export_changes").fetchall())


def counter_key(table: str, column: str) -> str:
    return f"{table}.{column}" if (table, column) in SPLIT_COLUMNS else table


@contextmanager
def recorded_reads(db: Any) -> Iterator[set[str]]:
    """Collect the counter keys of every table and column the statements prepared inside read.

    Setting an authorizer expires the connection's prepared statements, so a statement the cache
    kept from earlier is prepared again (and seen) here."""
    reads: set[str] = set()

    def authorize(action: int, table: str | None, column: str | None, *_: Any) -> int:
        if action == SQLITE_READ and table and not table.startswith("sqlite_"):
            reads.add(counter_key(table, column or ""))
        return SQLITE_OK

    db.set_authorizer(authorize)
    try:
        yield reads
    finally:
        db.set_authorizer(None)


def counters_of(reads: set[str], counters: dict[str, int]) -> dict[str, int]:
    """The counters of what a file read, UNTRACKED for a table no trigger counts."""
    return {key: counters.get(key, UNTRACKED) for key in sorted(reads) if key != "export_changes"}
