"""SQL for the facts the default passes store: exif, thumbnails, colours, perceptual hashes, places.

Each `save_*` runs inside the runner's batch transaction. A photo whose pass failed loses its old
row for that pass (`forget_*`), so facts of a file's previous content never outlive a change.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from gallery_builder.db.pass_queries import dumps

EXIF_COLUMNS = (
    "taken_at", "tz_offset", "taken_at_source", "date_in_future", "camera_make", "camera_model", "lens",
    "focal_length", "aperture", "exposure_time", "iso", "width", "height", "orientation", "gps_lat",
    "gps_lon", "gps_alt", "duration", "format",
)
_FACT_TABLES = frozenset({"exif", "thumbnails", "colors", "phashes", "places"})


def _marks(count: int) -> str:
    return ",".join("?" * count)


def forget_facts(db: Any, table: str, photo_ids: Iterable[int]) -> None:
    """Drop one table's rows for these photos (their pass failed or found nothing)."""
    if table not in _FACT_TABLES:
        raise ValueError(f"not a fact table: {table}")
    ids = list(photo_ids)
    if ids:
        db.execute(f"DELETE FROM {table} WHERE photo_id IN ({_marks(len(ids))})", ids)


def save_exif(db: Any, rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Upsert exif rows; a size the file's headers do not give keeps the one the thumbs pass found."""
    columns = ", ".join(EXIF_COLUMNS)
    updates = ", ".join(f"{name} = excluded.{name}" if name not in ("width", "height")
                        else f"{name} = COALESCE(excluded.{name}, exif.{name})" for name in EXIF_COLUMNS)
    db.executemany(
        f"INSERT INTO exif (photo_id, {columns}) VALUES (?, {_marks(len(EXIF_COLUMNS))})"
        f" ON CONFLICT(photo_id) DO UPDATE SET {updates}",
        [(photo_id, *(facts.get(name) for name in EXIF_COLUMNS)) for photo_id, facts in rows])


def save_thumbnails(db: Any, rows: Sequence[tuple[int, str, list[int], int, int]]) -> None:
    """(photo_id, thumb_key, widths, decoded width, decoded height); the decoded size fills an exif
    row whose width the headers did not give."""
    db.executemany("INSERT OR REPLACE INTO thumbnails (photo_id, thumb_key, widths) VALUES (?, ?, ?)",
                   [(photo_id, key, dumps(widths)) for photo_id, key, widths, _, _ in rows])
    db.executemany("UPDATE exif SET width = ?, height = ? WHERE photo_id = ? AND width IS NULL",
                   [(width, height, photo_id) for photo_id, _, _, width, height in rows])


def save_colors(db: Any, rows: Sequence[tuple[int, list[str]]]) -> None:
    db.executemany("INSERT OR REPLACE INTO colors (photo_id, colors) VALUES (?, ?)",
                   [(photo_id, dumps(colors)) for photo_id, colors in rows])


def save_phashes(db: Any, rows: Sequence[tuple[int, str]]) -> None:
    db.executemany("INSERT OR REPLACE INTO phashes (photo_id, phash) VALUES (?, ?)", list(rows))


def save_places(db: Any, rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO places (photo_id, place, admin, country, country_code) VALUES (?, ?, ?, ?, ?)",
        [(photo_id, place["place"], place["admin"], place["country"], place["country_code"])
         for photo_id, place in rows])


def thumbnail_keys(db: Any, photo_ids: Sequence[int]) -> dict[int, tuple[str, list[int]]]:
    """Thumbnail key and slot widths per photo (photos without thumbnails are absent)."""
    if not photo_ids:
        return {}
    rows = db.execute(f"SELECT photo_id, thumb_key, widths FROM thumbnails WHERE photo_id IN"
                      f" ({_marks(len(photo_ids))})", list(photo_ids))
    return {row[0]: (row[1], json.loads(row[2])) for row in rows}


def gps_positions(db: Any, photo_ids: Sequence[int]) -> dict[int, tuple[float, float]]:
    """(lat, lon) per photo that has a location (photos without one are absent)."""
    if not photo_ids:
        return {}
    rows = db.execute(f"SELECT photo_id, gps_lat, gps_lon FROM exif WHERE gps_lat IS NOT NULL AND"
                      f" gps_lon IS NOT NULL AND photo_id IN ({_marks(len(photo_ids))})", list(photo_ids))
    return {row[0]: (row[1], row[2]) for row in rows}
