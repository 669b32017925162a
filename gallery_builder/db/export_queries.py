"""SQL that gathers the rows of each Parquet file (see docs/parquet.md)."""
from __future__ import annotations

import itertools
import json
from typing import Any, Iterable, Iterator

from gallery_builder.db.pass_queries import error_records


PHOTO_ROWS_SQL = (
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
    " ORDER BY p.id")


def pages_of(cursor: Any, page_size: int) -> Iterator[list[Any]]:
    """A cursor's rows `page_size` at a time (one read snapshot throughout)."""
    while page := cursor.fetchmany(page_size):
        yield page


def photo_row_tuples(db: Any, page_size: int) -> Iterator[tuple[list[tuple], list[str]]]:
    """One row per photo with every fact joined in, in id order, `page_size` plain tuples at a time,
    with the column names."""
    cursor = db.cursor()
    cursor.row_factory = None  # tuples: the export turns pages into columns
    cursor.execute(PHOTO_ROWS_SQL)
    names = [column[0] for column in cursor.description]
    for page in pages_of(cursor, page_size):
        yield page, names


def _newest_per_photo(rows: Iterable[Any]) -> Iterator[tuple[int, Any]]:
    """(photo id, the last row of that photo) from rows ordered by photo id."""
    current, last = None, None
    for row in rows:
        if row[0] != current and current is not None:
            yield current, last
        current, last = row[0], row
    if current is not None:
        yield current, last


def decision_stream(db: Any) -> Iterator[tuple[int, tuple[str | None, int]]]:
    """(photo id, (flag, stars)) of every photo with a decision, in photo id order."""
    return ((row[0], (row[1], row[2])) for row in db.execute(
        "SELECT photo_id, flag, stars FROM photo_decisions ORDER BY photo_id"))


def description_stream(db: Any) -> Iterator[tuple[int, Any]]:
    """(photo id, (description, model)) in photo id order: the newest answer for the current content
    (as `descriptions.current_descriptions`)."""
    rows = db.execute(
        "SELECT a.photo_id, a.description, a.model FROM photo_descriptions a JOIN photos p ON p.id = a.photo_id"
        " WHERE a.content_hash IS p.content_hash ORDER BY a.photo_id, a.updated_at, a.rowid")
    return ((photo_id, (row[1], row[2])) for photo_id, row in _newest_per_photo(rows))


def tag_stream(db: Any) -> Iterator[tuple[int, Any]]:
    """(photo id, tags) in photo id order (as `descriptions.current_tags`)."""
    rows = db.execute(
        "SELECT a.photo_id, a.tags FROM photo_tags a JOIN photos p ON p.id = a.photo_id"
        " WHERE a.content_hash IS p.content_hash ORDER BY a.photo_id, a.updated_at, a.rowid")
    return ((photo_id, json.loads(row[1])) for photo_id, row in _newest_per_photo(rows))


def score_stream(db: Any) -> Iterator[tuple[int, Any]]:
    """(photo id, aesthetic score) in photo id order (as `quality.current_scores` of any model)."""
    rows = db.execute(
        "SELECT q.photo_id, q.score FROM photo_quality q JOIN photos p ON p.id = q.photo_id"
        " WHERE q.content_hash IS p.content_hash ORDER BY q.photo_id, q.updated_at, q.rowid")
    return ((photo_id, float(row[1])) for photo_id, row in _newest_per_photo(rows))


def critique_stream(db: Any) -> Iterator[tuple[int, Any]]:
    """(photo id, critique) in photo id order (as `quality.current_critiques`)."""
    rows = db.execute(
        "SELECT c.photo_id, c.critique FROM photo_critiques c JOIN photos p ON p.id = c.photo_id"
        " WHERE c.content_hash IS p.content_hash ORDER BY c.photo_id, c.updated_at, c.rowid")
    return ((photo_id, row[1]) for photo_id, row in _newest_per_photo(rows))


def dispute_stream(db: Any) -> Iterator[tuple[int, Any]]:
    """(photo id, {description model: disputed}) in photo id order (as `quality.disputed_descriptions`)."""
    rows = db.execute(
        "SELECT c.photo_id, c.model, c.disputed FROM description_checks c JOIN photos p ON p.id = c.photo_id"
        " WHERE c.content_hash IS p.content_hash ORDER BY c.photo_id")
    for photo_id, group in itertools.groupby(rows, key=lambda row: row[0]):
        yield photo_id, {row[1]: bool(row[2]) for row in group}


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


def duplicate_rows(db: Any) -> Iterator[dict[str, Any]]:
    """One row per photo in a duplicate group, group by group (duplicates.parquet), from a cursor."""
    return ({"group_id": row[0], "photo_id": row[1], "kind": row[2], "is_keeper": bool(row[3])} for row in db.execute(
        "SELECT group_id, photo_id, kind, is_keeper FROM duplicate_members ORDER BY group_id, photo_id"))


def collection_rows(db: Any) -> list[dict[str, Any]]:
    """One row per collection (collections.parquet); the cover is the chosen one, else the first photo."""
    from gallery_builder.db.collections import list_collections

    return [{"id": item.id, "name": item.name, "cover_photo_id": item.cover_photo_id,
             "photo_count": item.photo_count, "created_at": item.created_at, "updated_at": item.updated_at,
             "cover_chosen": bool(item.cover_chosen)}
            for item in sorted(list_collections(db), key=lambda item: item.id)]


def collection_photo_rows(db: Any) -> Iterator[dict[str, Any]]:
    """One row per photo in a collection, in each collection's order (collection_photos.parquet), from a cursor."""
    return ({"collection_id": row[0], "photo_id": row[1], "position": row[2]} for row in db.execute(
        "SELECT collection_id, photo_id, position FROM collection_photos ORDER BY collection_id, position"))


def rating_rows(db: Any) -> list[dict[str, Any]]:
    """Every photo's current rating from comparisons (Glicko-2), best first, with its confidence."""
    from gallery_builder.core.rating import Rating

    rows = db.execute("SELECT photo_id, rating, deviation, comparisons, wins FROM photo_ratings"
                      " ORDER BY rating DESC, photo_id").fetchall()
    return [{"photo_id": row["photo_id"], "rating": row["rating"], "deviation": row["deviation"],
             "confidence": round(Rating(row["rating"], row["deviation"]).confidence, 4),
             "comparisons": row["comparisons"], "wins": row["wins"]} for row in rows]


def concept_rows(db: Any) -> Iterator[dict[str, Any]]:
    """photo id, concept, score of each photo's newest concept set for its current content, in photo
    order, from two cursors walked side by side (as `quality.current_concept_rows`)."""
    newest = _newest_per_photo(db.execute(
        "SELECT c.photo_id, c.model FROM photo_concepts c JOIN photos p ON p.id = c.photo_id"
        " WHERE c.content_hash IS p.content_hash GROUP BY c.photo_id, c.model"
        " ORDER BY c.photo_id, MAX(c.updated_at), MAX(c.rowid)"))
    rows = db.execute("SELECT photo_id, model, concept, score FROM photo_concepts ORDER BY photo_id, score DESC,"
                      " concept")
    wanted_photo, wanted_model = next(newest, (None, (None, None)))
    for photo_id, model, concept, score in rows:
        while wanted_photo is not None and wanted_photo < photo_id:
            wanted_photo, wanted_model = next(newest, (None, (None, None)))
        if photo_id == wanted_photo and model == wanted_model[1]:
            yield {"photo_id": photo_id, "concept": concept, "score": float(score)}
