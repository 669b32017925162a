"""SQL that gathers the rows of each Parquet file (see docs/parquet.md)."""
from __future__ import annotations

from typing import Any

from gallery_builder.db.pass_queries import error_records


def photo_rows(db: Any) -> list[Any]:
    """One row per photo with every fact joined in, in id order."""
    return db.execute(
        "SELECT p.id, r.label AS root, p.path, p.path_bytes, p.folder, p.name, p.kind, p.size, p.mtime_ns,"
        " p.content_hash, e.taken_at, e.tz_offset, e.taken_at_source, e.date_in_future, e.camera_make,"
        " e.camera_model, e.lens, e.focal_length, e.aperture, e.exposure_time, e.iso, e.width, e.height,"
        " e.orientation, e.gps_lat, e.gps_lon, e.gps_alt, pl.place, pl.admin, pl.country, pl.country_code,"
        " c.colors, h.phash, t.thumb_key, t.widths AS thumb_widths, e.duration, e.format, p.status,"
        " p.error_code, p.error, d.flag, COALESCE(d.stars, 0) AS stars, sm.stack_id,"
        " (st.top_photo_id = p.id) AS stack_top"
        " FROM photos p JOIN roots r ON r.id = p.root_id"
        " LEFT JOIN exif e ON e.photo_id = p.id LEFT JOIN places pl ON pl.photo_id = p.id"
        " LEFT JOIN colors c ON c.photo_id = p.id LEFT JOIN phashes h ON h.photo_id = p.id"
        " LEFT JOIN thumbnails t ON t.photo_id = p.id LEFT JOIN photo_decisions d ON d.photo_id = p.id"
        " LEFT JOIN stack_members sm ON sm.photo_id = p.id LEFT JOIN stacks st ON st.id = sm.stack_id"
        " ORDER BY p.id").fetchall()


def stack_rows(db: Any) -> list[dict[str, Any]]:
    """One row per stack: its top, size, first and last capture time, kind."""
    return [dict(row) for row in db.execute(
        "SELECT s.id AS stack_id, s.top_photo_id, COUNT(*) AS size, MIN(e.taken_at) AS first_taken_at,"
        " MAX(e.taken_at) AS last_taken_at, s.kind FROM stacks s JOIN stack_members m ON m.stack_id = s.id"
        " LEFT JOIN exif e ON e.photo_id = m.photo_id GROUP BY s.id ORDER BY s.id")]


def root_rows(db: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in db.execute(
        "SELECT r.label, COUNT(p.id) AS photo_count, r.last_scan_at FROM roots r"
        " LEFT JOIN photos p ON p.root_id = r.id AND p.status != 'missing' GROUP BY r.id ORDER BY r.label")]


def present_photo_count(db: Any) -> int:
    """Photos on disk with known content (what every pass could cover)."""
    return db.execute("SELECT COUNT(*) FROM photos WHERE status != 'missing' AND content_hash IS NOT NULL"
                      ).fetchone()[0]


def error_rows(db: Any) -> list[dict[str, Any]]:
    return error_records(db)


def skipped_rows(db: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in db.execute(
        "SELECT r.label AS root, s.path, s.reason FROM skipped_files s JOIN roots r ON r.id = s.root_id"
        " ORDER BY r.label, s.path")]


def duplicate_rows(db: Any) -> list[dict[str, Any]]:
    """One row per photo in a duplicate group, group by group (duplicates.parquet)."""
    return [{"group_id": row[0], "photo_id": row[1], "kind": row[2], "is_keeper": bool(row[3])} for row in db.execute(
        "SELECT group_id, photo_id, kind, is_keeper FROM duplicate_members ORDER BY group_id, photo_id")]


def collection_rows(db: Any) -> list[dict[str, Any]]:
    """One row per collection (collections.parquet); the cover is the chosen one, else the first photo."""
    from gallery_builder.db.collections import list_collections

    return [{"id": item.id, "name": item.name, "cover_photo_id": item.cover_photo_id,
             "photo_count": item.photo_count, "created_at": item.created_at, "updated_at": item.updated_at,
             "cover_chosen": bool(item.cover_chosen)}
            for item in sorted(list_collections(db), key=lambda item: item.id)]


def collection_photo_rows(db: Any) -> list[dict[str, Any]]:
    """One row per photo in a collection, in each collection's order (collection_photos.parquet)."""
    return [{"collection_id": row[0], "photo_id": row[1], "position": row[2]} for row in db.execute(
        "SELECT collection_id, photo_id, position FROM collection_photos ORDER BY collection_id, position")]


def rating_rows(db: Any) -> list[dict[str, Any]]:
    """Every photo's current rating from comparisons (Glicko-2), best first, with its confidence."""
    from gallery_builder.core.rating import Rating

    rows = db.execute("SELECT photo_id, rating, deviation, comparisons, wins FROM photo_ratings"
                      " ORDER BY rating DESC, photo_id").fetchall()
    return [{"photo_id": row["photo_id"], "rating": row["rating"], "deviation": row["deviation"],
             "confidence": round(Rating(row["rating"], row["deviation"]).confidence, 4),
             "comparisons": row["comparisons"], "wins": row["wins"]} for row in rows]
