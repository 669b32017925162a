"""Open SQLite connections: one function picks a driver that can load sqlite-vec, sets pragmas.

This machine's stock `sqlite3` cannot load extensions, so we prefer `sqlean` (PyPI), then
`pysqlite3`, then the standard library when it can. Every connection gets WAL, a busy timeout,
foreign keys and sqlite-vec. Light imports only: the search sidecar uses this module too.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

BUSY_TIMEOUT_MS = 30_000
PAGE_SIZE = 16384  # 2 KB vector blobs waste space with 4 KB pages (RECIPES.md)


def _driver() -> ModuleType:
    for name in ("sqlean", "pysqlite3.dbapi2", "sqlite3"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module.Connection, "enable_load_extension"):
            return module
    raise RuntimeError("no SQLite driver here can load extensions; install sqlean-py (pip install sqlean-py)")


DRIVER = _driver()
Connection = DRIVER.Connection
Row = DRIVER.Row
IntegrityError = DRIVER.IntegrityError
OperationalError = DRIVER.OperationalError
DatabaseError = DRIVER.DatabaseError


def connect(path: str | Path, *, readonly: bool = False, migrate: bool = True) -> Any:
    """Open the gallery database with pragmas set and sqlite-vec loaded; migrate unless read-only."""
    import sqlite_vec

    if readonly:
        uri = f"file:{Path(path).resolve()}?mode=ro"
        connection = DRIVER.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                    check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = DRIVER.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                    check_same_thread=False)
        connection.execute(f"PRAGMA page_size={PAGE_SIZE}")  # only takes effect on a new file
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    connection.row_factory = DRIVER.Row
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.enable_load_extension(True)
    sqlite_vec.load(connection)
    connection.enable_load_extension(False)
    if migrate and not readonly:
        from gallery_builder.db.migrate import migrate as run_migrations

        run_migrations(connection, Path(path))
    return connection


class transaction:
    """`with transaction(db):` -> BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def __enter__(self) -> Any:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.connection.execute("COMMIT")
        else:
            self.connection.execute("ROLLBACK")
