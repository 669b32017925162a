"""SQL for the pass runner: what is pending, the inputs of a batch, coverage and the error record."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, Scope


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def pending_sql(pass_name: str, version: int, requires: Sequence[str], scope: Scope, force: bool = False,
                kinds: Sequence[str] = ("photo", "video", "raw")) -> tuple[str, list[Any]]:
    """The SQL (and parameters) of a pass's pending photos: rows of (id, content_hash) in id order.

    Present photos in scope whose result for this pass is absent, outdated or for old content. A
    photo whose earlier attempt failed on the same content and version is not pending: bad files
    are retried only when they change (or with force). Required passes must have succeeded.

    A whole library or a root is answered by merging sorted index ranges (EXCEPT / INTERSECT over
    (photo id, content hash), migration 0005), never one look-up per photo; a folder or a chunk of
    ids looks up its own photos. `photos_pending` and `count_photos_pending` both run this SQL.
    """
    where, scope_params = scope.sql("p")
    eligible = (f"SELECT p.id, p.content_hash FROM photos p WHERE p.status != 'missing'"
                f" AND p.content_hash IS NOT NULL AND p.kind IN ({','.join('?' * len(kinds))}){where}")
    params: list[Any] = list(kinds) + scope_params
    if scope.folder is None and not scope.photo_ids:
        sql = [eligible]
        for required in requires:
            sql.append(" INTERSECT SELECT q.photo_id, q.content_hash FROM pass_runs q"
                       " WHERE q.pass = ? AND q.status = 'ok'")
            params.append(required)
        if not force:
            for status in ("ok", "error"):  # each (pass, version, status) range is in photo order
                sql.append(" EXCEPT SELECT r.photo_id, r.content_hash FROM pass_runs r"
                           " WHERE r.pass = ? AND r.version = ? AND r.status = ?")
                params.extend([pass_name, version, status])
        sql.append(" ORDER BY 1, 2")
        return "".join(sql), params
    sql = [eligible]
    if not force:
        sql.append(" AND NOT EXISTS (SELECT 1 FROM pass_runs r WHERE r.photo_id = p.id AND r.pass = ?"
                   " AND r.version = ? AND r.content_hash IS p.content_hash)")
        params.extend([pass_name, version])
    for required in requires:
        sql.append(" AND EXISTS (SELECT 1 FROM pass_runs q WHERE q.photo_id = p.id AND q.pass = ?"
                   " AND q.status = 'ok' AND q.content_hash IS p.content_hash)")
        params.append(required)
    sql.append(" ORDER BY p.id")
    return "".join(sql), params


def photos_pending(db: Any, pass_name: str, version: int, requires: Sequence[str], scope: Scope,
                   force: bool = False, kinds: Sequence[str] = ("photo", "video", "raw")) -> list[int]:
    """Ids of the photos pending for a pass (see `pending_sql`)."""
    sql, params = pending_sql(pass_name, version, requires, scope, force, kinds)
    return [row[0] for row in db.execute(sql, params)]


def count_photos_pending(db: Any, pass_name: str, version: int, requires: Sequence[str], scope: Scope,
                         force: bool = False, kinds: Sequence[str] = ("photo", "video", "raw")) -> int:
    """How many photos `photos_pending` would return, by the same SQL, without fetching them."""
    return count_rows(db, *pending_sql(pass_name, version, requires, scope, force, kinds))


_OUTPUT_TABLES = frozenset({"clip_vectors", "photo_descriptions", "photo_tags", "photo_quality", "photo_concepts",
                            "photo_critiques", "description_checks"})


def model_output_pending_sql(output_table: str, model: str, pass_name: str, version: int, requires: Sequence[str],
                             scope: Scope, force: bool = False,
                             error_pattern: str | None = None,
                             needs: Sequence[tuple[str, str]] = ()) -> tuple[str, list[Any]]:
    """Rows of (id, content_hash) in id order: present photos in scope whose required passes
    succeeded on their current content, with no row in `output_table` from `model` for it and no
    failed run of this pass version (only failures whose message is LIKE `error_pattern`, when
    given: e.g. the model's own). For the passes whose result is keyed by a model (clip, describe,
    tags). Merged sorted index ranges for a library or a root, a look-up per photo for a folder or a
    chunk of ids (like `pending_sql`). `needs`: (table, model) outputs the photo must already have for
    its current content (e.g. the clip vectors that concepts read)."""
    for table in [output_table, *(table for table, _ in needs)]:
        if table not in _OUTPUT_TABLES:
            raise ValueError(f"not a model output table: {table!r}")
    where, params = scope.sql("p")
    sql = "SELECT p.id, p.content_hash FROM photos p WHERE p.status != 'missing' AND p.content_hash IS NOT NULL" + where
    error_filter = " AND r.error LIKE ? ESCAPE '\\'" if error_pattern is not None else ""
    failed = [pass_name, version] + ([error_pattern] if error_pattern is not None else [])
    if scope.folder is None and not scope.photo_ids:
        for required in requires:
            sql += " INTERSECT SELECT t.photo_id, t.content_hash FROM pass_runs t WHERE t.pass = ? AND t.status = 'ok'"
            params.append(required)
        for table, needed_model in needs:
            sql += f" INTERSECT SELECT n.photo_id, n.content_hash FROM {table} n WHERE n.model = ?"
            params.append(needed_model)
        if not force:
            sql += (f" EXCEPT SELECT a.photo_id, a.content_hash FROM {output_table} a WHERE a.model = ?"
                    " EXCEPT SELECT r.photo_id, r.content_hash FROM pass_runs r WHERE r.pass = ? AND r.version = ?"
                    " AND r.status = 'error'" + error_filter)
            params.extend([model, *failed])
        return sql + " ORDER BY 1, 2", params
    for required in requires:
        sql += (" AND EXISTS (SELECT 1 FROM pass_runs t WHERE t.photo_id = p.id AND t.pass = ?"
                "  AND t.status = 'ok' AND t.content_hash IS p.content_hash)")
        params.append(required)
    for table, needed_model in needs:
        sql += (f" AND EXISTS (SELECT 1 FROM {table} n WHERE n.photo_id = p.id AND n.model = ?"
                "  AND n.content_hash IS p.content_hash)")
        params.append(needed_model)
    if not force:
        sql += (f" AND NOT EXISTS (SELECT 1 FROM {output_table} a WHERE a.photo_id = p.id AND a.model = ?"
                "  AND a.content_hash IS p.content_hash)"
                " AND NOT EXISTS (SELECT 1 FROM pass_runs r WHERE r.photo_id = p.id AND r.pass = ?"
                "  AND r.version = ? AND r.status = 'error'" + error_filter + " AND r.content_hash IS p.content_hash)")
        params.extend([model, *failed])
    return sql + " ORDER BY p.id", params


def count_rows(db: Any, sql: str, params: Sequence[Any]) -> int:
    """The number of rows a SELECT returns, counted inside SQLite."""
    return int(db.execute(f"SELECT COUNT(*) FROM ({sql})", list(params)).fetchone()[0])


def photo_inputs(db: Any, photo_ids: Sequence[int]) -> list[PhotoInput]:
    """Plain inputs for a batch: absolute path, kind, hash, size, mtime."""
    if not photo_ids:
        return []
    marks = ",".join("?" * len(photo_ids))
    rows = db.execute(
        f"SELECT p.id, p.path_bytes, p.kind, p.content_hash, p.size, p.mtime_ns, r.path AS root_path"
        f" FROM photos p JOIN roots r ON r.id = p.root_id WHERE p.id IN ({marks}) ORDER BY p.id",
        list(photo_ids)).fetchall()
    return [PhotoInput(photo_id=row["id"],
                       path=os.path.join(row["root_path"], os.fsdecode(bytes(row["path_bytes"]))),
                       kind=row["kind"], content_hash=row["content_hash"], size=row["size"],
                       mtime_ns=row["mtime_ns"]) for row in rows]


def record_pass_results(db: Any, pass_name: str, version: int, results: Iterable[PhotoResult],
                        hashes: dict[int, str], marks_photo_error: bool) -> None:
    """Write coverage/error rows (inside the caller's transaction)."""
    stamp = now_iso()
    rows = []
    for result in results:
        rows.append((result.photo_id, pass_name, version, hashes.get(result.photo_id),
                     "ok" if result.ok else "error", result.error_code, result.error, stamp))
        if marks_photo_error and not result.ok:
            db.execute("UPDATE photos SET status = 'error', error_code = ?, error = ? WHERE id = ?",
                       (result.error_code, f"{pass_name}: {result.error}", result.photo_id))
        elif marks_photo_error:
            db.execute("UPDATE photos SET status = 'ok', error_code = NULL, error = NULL"
                       " WHERE id = ? AND status = 'error' AND error LIKE ?",
                       (result.photo_id, f"{pass_name}: %"))
    db.executemany("INSERT OR REPLACE INTO pass_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def pass_outcome(db: Any, pass_name: str, version: int) -> tuple[int, int, str | None]:
    """(ok, errors, newest result) of one pass version over present photos' current content.

    ok merges two sorted index ranges; errors look up only the failed photos; the newest result is
    the latest this version wrote (read from the index, whatever became of the photo since).
    """
    ok = count_rows(db, "SELECT r.photo_id, r.content_hash FROM pass_runs r WHERE r.pass = ? AND r.version = ?"
                        " AND r.status = 'ok' INTERSECT SELECT p.id, p.content_hash FROM photos p"
                        " WHERE p.status != 'missing' ORDER BY 1, 2", (pass_name, version))
    errors, last_run = db.execute(
        "SELECT (SELECT COUNT(*) FROM pass_runs r JOIN photos p ON p.id = r.photo_id WHERE r.pass = ?1"
        "  AND r.version = ?2 AND r.status = 'error' AND p.status != 'missing' AND r.content_hash IS p.content_hash),"
        " (SELECT MAX(updated_at) FROM pass_runs WHERE pass = ?1 AND version = ?2)",
        (pass_name, version)).fetchone()
    return ok, int(errors or 0), last_run


def errors_by_code(db: Any) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT pass, error_code, COUNT(*) AS count FROM ("
        "  SELECT 'scan' AS pass, error_code FROM photos WHERE status = 'error' AND error LIKE 'scan: %'"
        "  UNION ALL SELECT r.pass, r.error_code FROM pass_runs r JOIN photos p ON p.id = r.photo_id"
        "  WHERE r.status = 'error' AND p.status != 'missing' AND r.content_hash IS p.content_hash)"
        " GROUP BY pass, error_code ORDER BY count DESC").fetchall()
    return [dict(row) for row in rows]


def error_records(db: Any, limit: int | None = None, code: str | None = None) -> list[dict[str, Any]]:
    """Every current error: which file, which step, code and message."""
    sql = ("SELECT * FROM ("
           " SELECT p.id AS photo_id, ro.label AS root, p.path, 'scan' AS pass, p.error_code, p.error"
           " FROM photos p JOIN roots ro ON ro.id = p.root_id WHERE p.status = 'error' AND p.error LIKE 'scan: %'"
           " UNION ALL"
           " SELECT p.id, ro.label, p.path, r.pass, r.error_code, r.error FROM pass_runs r"
           " JOIN photos p ON p.id = r.photo_id JOIN roots ro ON ro.id = p.root_id"
           " WHERE r.status = 'error' AND p.status != 'missing' AND r.content_hash IS p.content_hash)")
    params: list[Any] = []
    if code:
        sql += " WHERE error_code = ?"
        params.append(code)
    sql += " ORDER BY root, path, pass"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [dict(row) for row in db.execute(sql, params)]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
