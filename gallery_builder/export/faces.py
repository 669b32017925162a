"""Faces and people in the Parquet export: faces.parquet (streamed page by page), people.parquet
and face_clusters.parquet (the columns are in docs/parquet.md)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from gallery_builder.db import face_queries
from gallery_builder.export.writer import write_pages, write_table


def face_schema() -> Any:
    import pyarrow as pa

    box = pa.struct([("x", pa.float64()), ("y", pa.float64()), ("w", pa.float64()), ("h", pa.float64())])
    return pa.schema([
        ("face_id", pa.int64()), ("photo_id", pa.int64()), ("person_id", pa.int64()), ("cluster_id", pa.int64()),
        ("box", box), ("score", pa.float64()), ("backend", pa.string()), ("crop_key", pa.string()),
        ("clusterable", pa.bool_()), ("assigned_by", pa.string())])


def people_schema() -> Any:
    import pyarrow as pa

    return pa.schema([("person_id", pa.int64()), ("name", pa.string()), ("hidden", pa.bool_()),
                      ("face_count", pa.int64()), ("photo_count", pa.int64()), ("cover_face_id", pa.int64())])


def cluster_schema() -> Any:
    import pyarrow as pa

    return pa.schema([("cluster_id", pa.int64()), ("ignored", pa.bool_()), ("face_count", pa.int64())])


def face_record_pages(db: Any) -> Iterator[list[dict[str, Any]]]:
    """faces.parquet's records, one page of faces at a time (keyset paging)."""
    for page in face_queries.face_pages(db):
        yield [{"face_id": row.face_id, "photo_id": row.photo_id, "person_id": row.person_id,
                "cluster_id": row.cluster_id, "box": {"x": row.x, "y": row.y, "w": row.w, "h": row.h},
                "score": row.score, "backend": row.backend, "crop_key": row.crop_key,
                "clusterable": row.clusterable, "assigned_by": row.assigned_by} for row in page]


def write_faces(db: Any, path: Path) -> int:
    """faces.parquet, one row group per page of faces (a temp file renamed at the end)."""
    return write_pages(face_record_pages(db), path, face_schema())


def people_rows(db: Any) -> list[dict[str, Any]]:
    return [{"person_id": row.person_id, "name": row.name, "hidden": row.hidden, "face_count": row.face_count,
             "photo_count": row.photo_count, "cover_face_id": row.cover_face_id} for row in face_queries.people(db)]


def cluster_rows(db: Any) -> list[dict[str, Any]]:
    return [{"cluster_id": row.cluster_id, "ignored": row.ignored, "face_count": row.face_count}
            for row in face_queries.clusters(db)]


CLUSTER_PAGE_MIN_FACES = 3  # the site gives an unknown cluster a page from this many faces (site/faces.py)


def mark_paged_clusters_shown(db: Any, clusters: list[dict[str, Any]]) -> None:
    """The clusters the site will show (a page each) are marked shown, so re-clustering keeps their ids."""
    from gallery_builder.db.people import mark_clusters_shown

    paged = [row["cluster_id"] for row in clusters if not row["ignored"] and row["face_count"] >= CLUSTER_PAGE_MIN_FACES]
    if paged:
        mark_clusters_shown(db, paged)


def export_faces(db: Any, parquet_dir: Path) -> dict[str, int]:
    """Write the three files into `parquet_dir`; returns row counts by file name. The clusters the site
    will show (a page each) are marked shown, so re-clustering keeps their ids from now on."""
    parquet_dir.mkdir(parents=True, exist_ok=True)
    counts = {"faces.parquet": write_faces(db, parquet_dir / "faces.parquet")}
    clusters = cluster_rows(db)
    for name, rows, schema in (("people.parquet", people_rows(db), people_schema()),
                               ("face_clusters.parquet", clusters, cluster_schema())):
        write_table(rows, parquet_dir / name, schema)
        counts[name] = len(rows)
    mark_paged_clusters_shown(db, clusters)
    return counts
