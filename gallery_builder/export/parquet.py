"""SQLite -> Parquet: one zstd file per table under <home>/parquet/, each written atomically.

The column contract is docs/parquet.md; the builder, the sidecar and outside users rely on it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gallery_builder.config import Settings
from gallery_builder.core.records import RunContext
from gallery_builder.db import export_queries
from gallery_builder.db.collections import collections_version as current_collections_version
from gallery_builder.db.decisions import decisions_version as current_decisions_version
from gallery_builder.core.files import temp_path_for, write_json_atomic

SCHEMA_VERSION = 1


def _photo_schema() -> Any:
    import pyarrow as pa

    return pa.schema([
        ("id", pa.int64()), ("root", pa.string()), ("path", pa.string()), ("path_bytes", pa.binary()),
        ("folder", pa.string()), ("name", pa.string()), ("kind", pa.string()), ("size", pa.int64()),
        ("mtime_ns", pa.int64()), ("content_hash", pa.string()), ("taken_at", pa.string()),
        ("tz_offset", pa.string()), ("taken_at_source", pa.string()), ("date_in_future", pa.bool_()),
        ("camera_make", pa.string()), ("camera_model", pa.string()), ("lens", pa.string()),
        ("focal_length", pa.float64()), ("aperture", pa.float64()), ("exposure_time", pa.float64()),
        ("iso", pa.int64()), ("width", pa.int64()), ("height", pa.int64()), ("orientation", pa.int64()),
        ("gps_lat", pa.float64()), ("gps_lon", pa.float64()), ("gps_alt", pa.float64()),
        ("place", pa.string()), ("admin", pa.string()), ("country", pa.string()),
        ("country_code", pa.string()), ("colors", pa.list_(pa.string())), ("phash", pa.string()),
        ("thumb_key", pa.string()), ("thumb_widths", pa.list_(pa.int32())), ("duration", pa.float64()),
        ("format", pa.string()), ("status", pa.string()), ("error_code", pa.string()), ("error", pa.string()),
        ("flag", pa.string()), ("stars", pa.int32()), ("stack_id", pa.int64()), ("stack_top", pa.bool_()),
        ("description", pa.string()), ("description_model", pa.string()), ("tags", pa.list_(pa.string())),
        ("aesthetic_score", pa.float64()), ("description_disputed", pa.bool_()), ("critique", pa.string()),
    ])


def _photo_rows(db: Any) -> list[dict[str, Any]]:
    from gallery_builder.db.descriptions import current_descriptions, current_tags
    from gallery_builder.db.quality import current_critiques, current_scores, disputed_descriptions

    descriptions, tags = current_descriptions(db), current_tags(db)
    scores, critiques, disputed = current_scores(db), current_critiques(db), disputed_descriptions(db)
    rows = []
    for row in export_queries.photo_rows(db):
        record = dict(row)
        record["path_bytes"] = bytes(record["path_bytes"])
        record["colors"] = json.loads(record["colors"]) if record["colors"] else None
        record["thumb_widths"] = json.loads(record["thumb_widths"]) if record["thumb_widths"] else None
        record["date_in_future"] = bool(record["date_in_future"]) if record["date_in_future"] is not None else None
        record["stack_top"] = bool(record["stack_top"])
        record["description"], record["description_model"] = descriptions.get(record["id"], (None, None))
        record["tags"] = tags.get(record["id"])
        record["aesthetic_score"] = scores.get(record["id"])
        record["critique"] = critiques.get(record["id"])
        record["description_disputed"] = (disputed.get((record["id"], record["description_model"]))
                                          if record["description"] is not None else None)
        rows.append(record)
    return rows


def write_table(rows: list[dict[str, Any]], path: Path, schema: Any = None) -> None:
    """Write rows as one zstd Parquet file: temp name in the same folder, then rename."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=schema) if schema is not None or rows else pa.table({})
    temp = temp_path_for(path)
    try:
        pq.write_table(table, temp, compression="zstd")
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def export_all(db: Any, settings: Settings) -> dict[str, int]:
    """Write every Parquet file into <home>/parquet/; returns row counts by file name."""
    from gallery_builder.db.review import selection_rows as review_selection_rows
    from gallery_builder.db.quality import current_concept_rows
    from gallery_builder.passes.coverage import pass_coverage

    parquet_dir = settings.parquet_dir
    import pyarrow as pa

    parquet_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    decisions_version = current_decisions_version(db)  # first: the rows hold at least it
    collections_version = current_collections_version(db)
    photos = _photo_rows(db)
    write_table(photos, parquet_dir / "photos.parquet", _photo_schema())
    counts["photos.parquet"] = len(photos)
    others = {
        "roots.parquet": (export_queries.root_rows(db), pa.schema([
            ("label", pa.string()), ("photo_count", pa.int64()), ("last_scan_at", pa.string())])),
        "pass_coverage.parquet": (pass_coverage(db, RunContext(settings)), pa.schema([
            ("pass", pa.string()), ("version", pa.int64()), ("description", pa.string()), ("ok", pa.int64()),
            ("errors", pa.int64()), ("pending", pa.int64()), ("total", pa.int64()), ("last_run", pa.string())])),
        "errors.parquet": (export_queries.error_rows(db), pa.schema([
            ("photo_id", pa.int64()), ("root", pa.string()), ("path", pa.string()), ("pass", pa.string()),
            ("error_code", pa.string()), ("error", pa.string())])),
        "skipped.parquet": (export_queries.skipped_rows(db), pa.schema([
            ("root", pa.string()), ("path", pa.string()), ("reason", pa.string())])),
        "stacks.parquet": (export_queries.stack_rows(db), pa.schema([
            ("stack_id", pa.int64()), ("top_photo_id", pa.int64()), ("size", pa.int64()),
            ("first_taken_at", pa.string()), ("last_taken_at", pa.string()), ("kind", pa.string())])),
        "duplicates.parquet": (export_queries.duplicate_rows(db), pa.schema([
            ("group_id", pa.int64()), ("photo_id", pa.int64()), ("kind", pa.string()), ("is_keeper", pa.bool_())])),
        "collections.parquet": (export_queries.collection_rows(db), pa.schema([
            ("id", pa.int64()), ("name", pa.string()), ("cover_photo_id", pa.int64()), ("photo_count", pa.int64()),
            ("created_at", pa.string()), ("updated_at", pa.string()), ("cover_chosen", pa.bool_())])),
        "collection_photos.parquet": (export_queries.collection_photo_rows(db), pa.schema([
            ("collection_id", pa.int64()), ("photo_id", pa.int64()), ("position", pa.int64())])),
        "concepts.parquet": (current_concept_rows(db), pa.schema([
            ("photo_id", pa.int64()), ("concept", pa.string()), ("score", pa.float64())])),
        "ratings.parquet": (export_queries.rating_rows(db), pa.schema([
            ("photo_id", pa.int64()), ("rating", pa.float64()), ("deviation", pa.float64()),
            ("confidence", pa.float64()), ("comparisons", pa.int64()), ("wins", pa.int64())])),
        "review_selections.parquet": (review_selection_rows(db), pa.schema([
            ("shoot_key", pa.string()), ("shoot", pa.string()), ("photo_id", pa.int64()), ("group_no", pa.int64()),
            ("proposed", pa.bool_()), ("selected", pa.bool_()), ("toggled", pa.bool_())])),
    }
    for name, (rows, schema) in others.items():
        write_table(rows, parquet_dir / name, schema)
        counts[name] = len(rows)
    from gallery_builder.export.faces import export_faces

    counts.update(export_faces(db, parquet_dir))
    from gallery_builder.db.pass_queries import now_iso

    write_json_atomic(parquet_dir / "export.json",
                      {"exported_at": now_iso(), "schema_version": SCHEMA_VERSION, "counts": counts,
                       "decisions_version": decisions_version, "collections_version": collections_version})
    return counts
