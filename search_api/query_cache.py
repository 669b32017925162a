"""Recent query embeddings and result pages, persisted in `<home>/search-cache.db`.

A file of its own, so the sidecar never takes the main database's write lock. Embeddings are keyed
by the text model's fingerprint (a new model file invalidates them); result pages by the library
signature, and all pages are dropped as soon as the library changes.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

MAX_EMBEDDINGS = 2000
MAX_RESULTS = 500


class QueryCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lock = threading.Lock()
        self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._prepare(sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None))
        except sqlite3.DatabaseError:
            # a damaged cache is only a cache: start a new one
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            return self._prepare(sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None))

    @staticmethod
    def _prepare(db: sqlite3.Connection) -> sqlite3.Connection:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")  # a cache: losing the last entries in a power cut is fine
        db.execute("PRAGMA busy_timeout=5000")
        db.execute("CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, text TEXT NOT NULL,"
                   " vector BLOB NOT NULL, used_at REAL NOT NULL, PRIMARY KEY (model, text))")
        db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, signature TEXT NOT NULL,"
                   " body TEXT NOT NULL, used_at REAL NOT NULL)")
        return db

    def embedding(self, model: str, text: str) -> bytes | None:
        with self.lock:
            row = self.db.execute("SELECT vector FROM embeddings WHERE model = ? AND text = ?",
                                  (model, text)).fetchone()
            if row:
                self.db.execute("UPDATE embeddings SET used_at = ? WHERE model = ? AND text = ?",
                                (time.time(), model, text))
            return bytes(row[0]) if row else None

    def store_embedding(self, model: str, text: str, vector: bytes) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", (model, text, vector, time.time()))
            self._trim("embeddings", MAX_EMBEDDINGS)

    def result(self, key: str, signature: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute("SELECT body FROM results WHERE key = ? AND signature = ?",
                                  (key, signature)).fetchone()
            return json.loads(row[0]) if row else None

    def store_result(self, key: str, signature: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
                            (key, signature, json.dumps(body, ensure_ascii=False), time.time()))
            self._trim("results", MAX_RESULTS)

    def drop_results_except(self, signature: str) -> None:
        with self.lock:
            self.db.execute("DELETE FROM results WHERE signature != ?", (signature,))

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {table: self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                    for table in ("embeddings", "results")}

    def _trim(self, table: str, keep: int) -> None:
        count = self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        if count > keep * 1.1:
            self.db.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table}"
                            f" ORDER BY used_at LIMIT ?)", (count - keep,))

    def close(self) -> None:
        with self.lock:
            self.db.close()
