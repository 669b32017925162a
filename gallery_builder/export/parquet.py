"""SQLite -> Parquet: one zstd file per table under <home>/parquet/, each written atomically and
streamed in row groups; a file whose input tables did not change since the last export is kept.

The column contract is docs/parquet.md; the builder, the sidecar and outside users rely on it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Literal

from gallery_builder.config import Settings
from gallery_builder.core.files import write_json_atomic
from gallery_builder.core.records import RunContext
from gallery_builder.db import export_queries
from gallery_builder.db.collections import collections_version as current_collections_version
from gallery_builder.db.decisions import decisions_version as current_decisions_version
from gallery_builder.db.export_changes import UNTRACKED, change_counters, counters_of, recorded_reads
from gallery_builder.export.writer import ROW_GROUP, chunked, same_content, write_pages, write_table

__all__ = ["SCHEMA_VERSION", "EXPORT_FILES", "export_all", "write_table"]

SCHEMA_VERSION = 1
DATABASE_KEY = "~database"  # export_changes' random token of this database (migration 0018)

Pages = Iterable[list[dict[str, Any]]]
Producer = Callable[[Any, Settings, int], Pages]  # (db, settings, rows per group) -> pages


@dataclass(frozen=True)
class ExportFile:
    """One Parquet file: its schema and its records page by page. `compare_content`: its inputs are
    more than tables (settings, models on disk), so it is computed every time and written only when
    its content differs. `patch`: (the one table, a cheap rewrite) for when that table is all that
    changed since the file was written, such as flags and stars in photos.parquet."""
    name: str
    schema: Callable[[], Any]
    pages: Producer
    compare_content: bool = False
    patch: tuple[str, Callable[[Any, Path, Any, int], int]] | None = None


def _schema(*columns: tuple[str, str]) -> Callable[[], Any]:
    def build() -> Any:
        import pyarrow as pa

        types = {"int64": pa.int64(), "string": pa.string(), "float64": pa.float64(), "bool": pa.bool_()}
        return pa.schema([(name, types[kind]) for name, kind in columns])
    return build


def _rows(produce: Callable[[Any], Iterable[dict[str, Any]]]) -> Producer:
    return lambda db, settings, row_group: chunked(produce(db), row_group)


def _photo_pages(db: Any, settings: Settings, row_group: int) -> Pages:
    from gallery_builder.export.photos import photo_batches

    return photo_batches(db, row_group)


def _patch_decisions(db: Any, path: Path, schema: Any, row_group: int) -> int:
    from gallery_builder.export.photos import patch_decisions

    return patch_decisions(db, path, schema, row_group)


def _photo_schema() -> Any:
    from gallery_builder.export.photos import photo_schema

    return photo_schema()


def _coverage(db: Any, settings: Settings, row_group: int) -> Pages:
    from gallery_builder.passes.coverage import pass_coverage

    return [pass_coverage(db, RunContext(settings))]


def _concepts(db: Any) -> Iterable[dict[str, Any]]:
    return export_queries.concept_rows(db)


def _review(db: Any) -> Iterable[dict[str, Any]]:
    from gallery_builder.db.review import selection_rows

    return selection_rows(db)


def _face_files() -> tuple[ExportFile, ...]:
    from gallery_builder.export import faces

    return (ExportFile("faces.parquet", faces.face_schema, lambda db, settings, row_group: faces.face_record_pages(db)),
            ExportFile("people.parquet", faces.people_schema, _rows(faces.people_rows)),
            ExportFile("face_clusters.parquet", faces.cluster_schema, _rows(faces.cluster_rows)))


EXPORT_FILES: tuple[ExportFile, ...] = (
    ExportFile("photos.parquet", _photo_schema, _photo_pages, patch=("photo_decisions", _patch_decisions)),
    ExportFile("roots.parquet", _schema(("label", "string"), ("photo_count", "int64"), ("last_scan_at", "string")),
               _rows(export_queries.root_rows)),
    ExportFile("pass_coverage.parquet", _schema(
        ("pass", "string"), ("version", "int64"), ("description", "string"), ("ok", "int64"), ("errors", "int64"),
        ("pending", "int64"), ("total", "int64"), ("last_run", "string")), _coverage, compare_content=True),
    ExportFile("errors.parquet", _schema(("photo_id", "int64"), ("root", "string"), ("path", "string"),
                                         ("pass", "string"), ("error_code", "string"), ("error", "string")),
               _rows(export_queries.error_rows)),
    ExportFile("skipped.parquet", _schema(("root", "string"), ("path", "string"), ("reason", "string")),
               _rows(export_queries.skipped_rows)),
    ExportFile("stacks.parquet", _schema(("stack_id", "int64"), ("top_photo_id", "int64"), ("size", "int64"),
                                         ("first_taken_at", "string"), ("last_taken_at", "string"), ("kind", "string")),
               _rows(export_queries.stack_rows)),
    ExportFile("duplicates.parquet", _schema(("group_id", "int64"), ("photo_id", "int64"), ("kind", "string"),
                                             ("is_keeper", "bool")), _rows(export_queries.duplicate_rows)),
    ExportFile("collections.parquet", _schema(("id", "int64"), ("name", "string"), ("cover_photo_id", "int64"),
                                              ("photo_count", "int64"), ("created_at", "string"),
                                              ("updated_at", "string"), ("cover_chosen", "bool")),
               _rows(export_queries.collection_rows)),
    ExportFile("collection_photos.parquet", _schema(("collection_id", "int64"), ("photo_id", "int64"),
                                                    ("position", "int64")), _rows(export_queries.collection_photo_rows)),
    ExportFile("concepts.parquet", _schema(("photo_id", "int64"), ("concept", "string"), ("score", "float64")),
               _rows(_concepts)),
    ExportFile("ratings.parquet", _schema(("photo_id", "int64"), ("rating", "float64"), ("deviation", "float64"),
                                          ("confidence", "float64"), ("comparisons", "int64"), ("wins", "int64")),
               _rows(export_queries.rating_rows)),
    ExportFile("review_selections.parquet", _schema(
        ("shoot_key", "string"), ("shoot", "string"), ("photo_id", "int64"), ("group_no", "int64"),
        ("proposed", "bool"), ("selected", "bool"), ("toggled", "bool")), _rows(_review)),
    *_face_files(),
)


def _schema_id(schema: Any) -> str:
    return hashlib.sha256(f"{SCHEMA_VERSION}\n{schema.to_string()}".encode()).hexdigest()[:16]


def _previous(parquet_dir: Path, database: int | None) -> dict[str, Any]:
    """The last export.json, if it was written from this database."""
    try:
        info = json.loads((parquet_dir / "export.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) and info.get("database") == database else {}


def _changed(record: Any, schema_id: str, counters: dict[str, int]) -> set[str] | None:
    """What the file read that changed since it was written; None when that cannot be told (no
    record, another schema, a table no trigger counts)."""
    if not isinstance(record, dict) or record.get("schema") != schema_id or not record.get("reads"):
        return None
    if any(value == UNTRACKED for value in record["reads"].values()):
        return None
    return {key for key, value in record["reads"].items() if counters.get(key) != value}


def _write(spec: ExportFile, db: Any, settings: Settings, path: Path, schema: Any, row_group: int,
           full: bool) -> tuple[int, bool]:
    """(rows, rewritten): write the file, or for a compare_content file only when it differs."""
    if spec.compare_content and not full:
        rows = [row for page in spec.pages(db, settings, row_group) for row in page]
        if same_content(path, rows, schema):
            return len(rows), False
        return write_pages([rows], path, schema), True
    return write_pages(spec.pages(db, settings, row_group), path, schema), True


Outcome = Literal["kept", "patched", "written", "same content"]


def _export_file(spec: ExportFile, db: Any, settings: Settings, counters: dict[str, int], previous: dict[str, Any],
                 row_group: int, full: bool) -> tuple[int, dict[str, Any], Outcome]:
    """One file: kept when nothing it read changed, patched when its patch table is all that changed,
    else written. Returns its row count, its record for export.json and what was done."""
    path, schema = settings.parquet_dir / spec.name, spec.schema()
    schema_id = _schema_id(schema)
    record = (previous.get("files") or {}).get(spec.name)
    known = not spec.compare_content and path.exists() and spec.name in (previous.get("counts") or {})
    changed = _changed(record, schema_id, counters) if known else None
    if changed is not None and not changed:
        return previous["counts"][spec.name], record, "kept"
    if spec.patch and changed == {spec.patch[0]}:
        table = spec.patch[0]
        return (spec.patch[1](db, path, schema, row_group),
                {"schema": schema_id, "reads": {**record["reads"], table: counters[table]}}, "patched")
    with recorded_reads(db) as reads:
        count, was_written = _write(spec, db, settings, path, schema, row_group, full)
    return count, {"schema": schema_id, "reads": counters_of(reads, counters)}, "written" if was_written else "same content"


def export_all(db: Any, settings: Settings, *, full: bool = False, row_group: int = ROW_GROUP,
               progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write the Parquet files into <home>/parquet/ whose inputs changed since the last export (every
    file with `full`); returns row counts by file name. export.json records, per file, the change
    counter of each table it read (db/export_changes.py) and which files this run rewrote."""
    settings.parquet_dir.mkdir(parents=True, exist_ok=True)
    decisions_version = current_decisions_version(db)  # first: the rows hold at least it
    collections_version = current_collections_version(db)
    counters = change_counters(db)  # before any row: a change made during the export shows next time
    database = counters.get(DATABASE_KEY)
    previous = {} if full else _previous(settings.parquet_dir, database)
    counts: dict[str, int] = {}
    files: dict[str, Any] = {}
    outcomes: dict[str, Outcome] = {}
    for spec in EXPORT_FILES:
        if progress:
            progress(spec.name)
        counts[spec.name], files[spec.name], outcomes[spec.name] = _export_file(
            spec, db, settings, counters, previous, row_group, full)
    rewritten = [name for name, outcome in outcomes.items() if outcome in ("patched", "written")]
    patched = [name for name, outcome in outcomes.items() if outcome == "patched"]
    if "face_clusters.parquet" in rewritten:
        from gallery_builder.export.faces import cluster_rows, mark_paged_clusters_shown

        mark_paged_clusters_shown(db, cluster_rows(db))
    from gallery_builder.db.pass_queries import now_iso

    write_json_atomic(settings.parquet_dir / "export.json",
                      {"exported_at": now_iso(), "schema_version": SCHEMA_VERSION, "counts": counts,
                       "decisions_version": decisions_version, "collections_version": collections_version,
                       "database": database, "rewritten": rewritten, "patched": patched,
                       "files": files})
    return counts
