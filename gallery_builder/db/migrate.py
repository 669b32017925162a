"""Numbered schema migrations: `migrations/NNNN_name.sql`, applied in order on open.

Each migration runs in one transaction together with its row in `schema_migrations`. A file whose
first line contains `-- rewrites-data` gets a consistent backup (SQLite backup API) first, named
`gallery.db.before-NNNN.bak` beside the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str

    @property
    def rewrites_data(self) -> bool:
        return "-- rewrites-data" in self.sql.splitlines()[0] if self.sql else False


def all_migrations() -> list[Migration]:
    folder = resources.files("gallery_builder.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.number)
    numbers = [migration.number for migration in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migration numbers must run 1..N without gaps, found {numbers}")
    return found


def current_version(connection: Any) -> int:
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'").fetchone()
    if not exists:
        return 0
    row = connection.execute("SELECT MAX(number) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def backup_to(connection: Any, destination: Path) -> None:
    """Consistent copy of a live database with the SQLite backup API (safe while others write)."""
    from gallery_builder.db.connection import DRIVER

    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.with_name(destination.name + ".partial")
    if temp.exists():
        temp.unlink()
    target = DRIVER.connect(str(temp))
    try:
        connection.backup(target, pages=1024)
    finally:
        target.close()
    temp.replace(destination)


def migrate(connection: Any, db_path: Path | None = None, target: int | None = None) -> list[int]:
    """Apply pending migrations up to `target` (default: all). Returns the numbers applied."""
    applied = []
    version = current_version(connection)
    fresh = version == 0          # a new database has nothing a backup could save
    for migration in all_migrations():
        if migration.number <= version or (target is not None and migration.number > target):
            continue
        if migration.rewrites_data and not fresh and db_path is not None and db_path.exists():
            backup_to(connection, db_path.with_name(f"{db_path.name}.before-{migration.number:04d}.bak"))
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(migration.sql):
                connection.execute(statement)
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            connection.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                               (migration.number, migration.name, datetime.now(timezone.utc).isoformat()))
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise
        applied.append(migration.number)
        version = migration.number
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration file into statements (the DRIVER's complete_statement knows triggers)."""
    from gallery_builder.db.connection import DRIVER

    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if DRIVER.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(l.strip().startswith("--") or not l.strip() for l in buffer.splitlines()):
        raise RuntimeError(f"incomplete SQL statement at the end of a migration: {buffer[:80]!r}")
    return statements
