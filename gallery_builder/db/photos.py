"""SQL about roots and photo rows: what the scan knows, inserts, moves, missing marks, purge."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from gallery_builder.db.pass_queries import dumps, now_iso


@dataclass(frozen=True)
class KnownFile:
    """A photo row as the scan compares it with the disk."""

    id: int
    path_bytes: bytes
    size: int
    mtime_ns: int
    content_hash: str | None
    status: str
    error_code: str | None


@dataclass(frozen=True)
class FileRecord:
    """What the scan writes for a file: identity, kind, size, time, hash, and a scan error if any."""

    path_bytes: bytes
    path: str
    folder: str
    name: str
    kind: str
    size: int
    mtime_ns: int
    content_hash: str | None
    error_code: str | None = None
    error: str | None = None


def ensure_root(db: Any, label: str, path: str) -> int:
    """The id of the root with this label, created or with its path updated."""
    row = db.execute("SELECT id FROM roots WHERE label = ?", (label,)).fetchone()
    if row:
        db.execute("UPDATE roots SET path = ? WHERE id = ?", (path, row[0]))
        return int(row[0])
    return int(db.execute("INSERT INTO roots (label, path) VALUES (?, ?)", (label, path)).lastrowid)


def root_ids_by_label(db: Any) -> dict[str, int]:
    return {row["label"]: row["id"] for row in db.execute("SELECT id, label FROM roots")}


def known_files(db: Any, root_id: int) -> dict[bytes, KnownFile]:
    rows = db.execute("SELECT id, path_bytes, size, mtime_ns, content_hash, status, error_code"
                      " FROM photos WHERE root_id = ?", (root_id,))
    return {bytes(row[1]): KnownFile(row[0], bytes(row[1]), row[2], row[3], row[4], row[5], row[6])
            for row in rows}


def count_present(db: Any, root_id: int) -> int:
    return db.execute("SELECT COUNT(*) FROM photos WHERE root_id = ? AND status != 'missing'",
                      (root_id,)).fetchone()[0]


def insert_file(db: Any, root_id: int, record: FileRecord) -> int:
    stamp = now_iso()
    status = "error" if record.error_code else "ok"
    cursor = db.execute(
        "INSERT INTO photos (root_id, path, path_bytes, folder, name, kind, size, mtime_ns, content_hash,"
        " status, error_code, error, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (root_id, record.path, record.path_bytes, record.folder, record.name, record.kind, record.size,
         record.mtime_ns, record.content_hash, status, record.error_code,
         f"scan: {record.error}" if record.error else None, stamp, stamp))
    return int(cursor.lastrowid)


def update_file(db: Any, photo_id: int, record: FileRecord) -> None:
    """Same photo id, new facts (changed content, a move, a return from missing, or a scan error)."""
    status = "error" if record.error_code else "ok"
    db.execute(
        "UPDATE photos SET path = ?, path_bytes = ?, folder = ?, name = ?, kind = ?, size = ?, mtime_ns = ?,"
        " content_hash = ?, status = ?, error_code = ?, error = ?, last_seen = ?, missing_since = NULL"
        " WHERE id = ?",
        (record.path, record.path_bytes, record.folder, record.name, record.kind, record.size,
         record.mtime_ns, record.content_hash, status, record.error_code,
         f"scan: {record.error}" if record.error else None, now_iso(), photo_id))


def touch_mtime(db: Any, photo_id: int, mtime_ns: int) -> None:
    db.execute("UPDATE photos SET mtime_ns = ?, last_seen = ? WHERE id = ?", (mtime_ns, now_iso(), photo_id))


def mark_missing(db: Any, photo_ids: Iterable[int]) -> int:
    stamp = now_iso()
    rows = [(stamp, photo_id) for photo_id in photo_ids]
    db.executemany("UPDATE photos SET status = 'missing', missing_since = COALESCE(missing_since, ?)"
                   " WHERE id = ? AND status != 'missing'", rows)
    return len(rows)


def replace_skipped(db: Any, root_id: int, skipped: list[tuple[str, str]]) -> None:
    db.execute("DELETE FROM skipped_files WHERE root_id = ?", (root_id,))
    db.executemany("INSERT OR REPLACE INTO skipped_files (root_id, path, reason) VALUES (?, ?, ?)",
                   [(root_id, path, reason) for path, reason in skipped])


def record_scan(db: Any, root_id: int, started_at: str, counts: dict[str, int]) -> None:
    finished = now_iso()
    db.execute("INSERT INTO scan_runs (root_id, started_at, finished_at, counts) VALUES (?, ?, ?, ?)",
               (root_id, started_at, finished, dumps(counts)))
    db.execute("UPDATE roots SET last_scan_at = ? WHERE id = ?", (finished, root_id))


def missing_photos(db: Any, root_ids: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    """Photos marked missing (for purge), with their thumbnail key."""
    where = f" AND p.root_id IN ({','.join('?' * len(root_ids))})" if root_ids else ""
    rows = db.execute(
        "SELECT p.id, p.path, p.content_hash, t.thumb_key, t.widths FROM photos p"
        f" LEFT JOIN thumbnails t ON t.photo_id = p.id WHERE p.status = 'missing'{where}", list(root_ids))
    return [dict(row) for row in rows]


def thumb_key_in_use(db: Any, thumb_key: str) -> bool:
    return db.execute("SELECT 1 FROM thumbnails t JOIN photos p ON p.id = t.photo_id"
                      " WHERE t.thumb_key = ? AND p.status != 'missing' LIMIT 1", (thumb_key,)).fetchone() is not None


def delete_photos(db: Any, photo_ids: Iterable[int]) -> None:
    db.executemany("DELETE FROM photos WHERE id = ?", [(photo_id,) for photo_id in photo_ids])


def photo_tallies(db: Any) -> dict[str, Any]:
    """Photos by root, status and kind (one read of the index photos_root_status_kind, not of the
    photos) and skips by reason: the part of `gallery status` that grows with the library."""
    by_status: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    by_root: dict[str, dict[str, int]] = {}
    for root_id, status, kind, count in db.execute(
            "SELECT root_id, status, kind, COUNT(*) FROM photos GROUP BY root_id, status, kind"):
        by_status[status] = by_status.get(status, 0) + count
        tally = by_root.setdefault(str(root_id), {"present": 0, "missing": 0})
        if status == "missing":
            tally["missing"] += count
        else:
            by_kind[kind] = by_kind.get(kind, 0) + count
            tally["present"] += count
    skipped = {row[0]: row[1] for row in
               db.execute("SELECT reason, COUNT(*) FROM skipped_files GROUP BY reason ORDER BY 2 DESC")}
    return {"by_status": by_status, "by_kind": by_kind, "by_root": by_root, "skipped": skipped}


def status_counts(db: Any, tallies: dict[str, Any] | None = None) -> dict[str, Any]:
    """Counts for `gallery status`: photos by root, status and kind, and skips by reason (the
    tallies may come from the status snapshot; roots' names and scan times are read live)."""
    tallies = tallies if tallies is not None else photo_tallies(db)
    roots = []
    for row in db.execute("SELECT id, label, path, last_scan_at FROM roots ORDER BY label"):
        tally = tallies["by_root"].get(str(row["id"]))
        roots.append({"label": row["label"], "path": row["path"], "last_scan_at": row["last_scan_at"],
                      "present": tally["present"] if tally else None, "missing": tally["missing"] if tally else None})
    return {"by_status": tallies["by_status"], "by_kind": tallies["by_kind"], "roots": roots,
            "skipped": tallies["skipped"]}


def count_without_thumbnails(db: Any) -> int:
    """Present photos with no thumbnails yet (what an indexing run still has to write to disk)."""
    return db.execute("SELECT COUNT(*) FROM photos p WHERE p.status != 'missing' AND NOT EXISTS"
                      " (SELECT 1 FROM thumbnails t WHERE t.photo_id = p.id)").fetchone()[0]
