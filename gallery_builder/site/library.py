"""What the builder knows: the Parquet export read into typed records (docs/parquet.md).

The builder reads only `<home>/parquet/*.parquet` (and links to the thumbnail store); never the
originals, never the database, never a model. Columns added by later capabilities (description,
tags, score, ...) are read when present and stay empty otherwise.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gallery_builder.site.urls import original_url

PHOTO_COLUMNS = (
    "id", "root", "path", "path_bytes", "folder", "name", "kind", "size", "taken_at", "tz_offset",
    "date_in_future", "camera_make", "camera_model", "lens", "focal_length", "aperture",
    "exposure_time", "iso", "width", "height", "gps_lat", "gps_lon", "gps_alt", "place", "admin",
    "country", "country_code", "colors", "thumb_key", "thumb_widths", "duration", "format", "status",
)
OPTIONAL_COLUMNS = ("description", "tags", "score")


class LibraryError(RuntimeError):
    """The export is missing or unreadable; the message names the file and the command to run."""


@dataclass(frozen=True, slots=True)
class Photo:
    """One indexed file as the site shows it (status `ok` only)."""

    id: int
    root: str
    path: str
    folder: str
    name: str
    kind: str
    size: int
    taken_at: str | None
    tz_offset: str | None
    date_in_future: bool
    camera_make: str | None
    camera_model: str | None
    lens: str | None
    focal_length: float | None
    aperture: float | None
    exposure_time: float | None
    iso: int | None
    width: int | None
    height: int | None
    gps_lat: float | None
    gps_lon: float | None
    gps_alt: float | None
    place: str | None
    admin: str | None
    country: str | None
    country_code: str | None
    colors: tuple[str, ...]
    thumb_key: str | None
    thumb_widths: tuple[int, ...]
    duration: float | None
    format: str | None
    original: str
    description: str | None = None
    tags: tuple[str, ...] = ()
    score: float | None = None

    @property
    def day(self) -> str | None:
        return self.taken_at[:10] if self.taken_at else None

    @property
    def year(self) -> str:
        return self.taken_at[:4] if self.taken_at else "undated"

    @property
    def has_location(self) -> bool:
        return self.gps_lat is not None and self.gps_lon is not None and (self.gps_lat, self.gps_lon) != (0.0, 0.0)


@dataclass(frozen=True)
class Library:
    """Everything one build reads: photos (ok only) plus the status tables of the last export."""

    photos: tuple[Photo, ...]
    coverage: tuple[dict[str, Any], ...] = ()
    errors: tuple[dict[str, Any], ...] = ()
    roots: tuple[dict[str, Any], ...] = ()
    skipped_count: int = 0
    export_info: dict[str, Any] = field(default_factory=dict)
    file_counts: dict[str, int] = field(default_factory=dict)


def _table(path: Path, columns: list[str] | None = None) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns)
    except (OSError, ValueError) as error:
        raise LibraryError(f"{path}: cannot read the Parquet export ({error}); run `gallery export`") from error


def _rows(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(_table(path).to_pylist()) if path.exists() else ()


def _photos(path: Path) -> tuple[tuple[Photo, ...], dict[str, int]]:
    import pyarrow.parquet as pq

    if not path.exists():
        raise LibraryError(f"{path} does not exist: index photos first (`gallery index PATH --home ...`)")
    present = set(pq.read_schema(path).names)
    missing = [name for name in PHOTO_COLUMNS if name not in present]
    if missing:
        raise LibraryError(f"{path}: columns missing from the export: {', '.join(missing)}; run `gallery export`")
    optional = [name for name in OPTIONAL_COLUMNS if name in present]
    data = _table(path, list(PHOTO_COLUMNS) + optional).to_pydict()
    counts: dict[str, int] = {}
    for status in data["status"]:
        counts[status] = counts.get(status, 0) + 1
    photos = []
    for index, status in enumerate(data["status"]):
        if status == "ok":
            photos.append(_photo(data, index, optional))
    return tuple(photos), counts


def _photo(data: dict[str, list[Any]], index: int, optional: list[str]) -> Photo:
    def get(name: str) -> Any:
        return data[name][index]

    extra = {name: get(name) for name in optional}
    if "tags" in extra:
        extra["tags"] = tuple(extra["tags"] or ())
    return Photo(
        id=get("id"), root=get("root"), path=get("path"), folder=get("folder") or "", name=get("name"),
        kind=get("kind") or "photo", size=get("size") or 0, taken_at=get("taken_at"),
        tz_offset=get("tz_offset"), date_in_future=bool(get("date_in_future")),
        camera_make=get("camera_make"), camera_model=get("camera_model"), lens=get("lens"),
        focal_length=get("focal_length"), aperture=get("aperture"), exposure_time=get("exposure_time"),
        iso=get("iso"), width=get("width"), height=get("height"), gps_lat=get("gps_lat"),
        gps_lon=get("gps_lon"), gps_alt=get("gps_alt"), place=get("place"), admin=get("admin"),
        country=get("country"), country_code=get("country_code"), colors=tuple(get("colors") or ()),
        thumb_key=get("thumb_key"), thumb_widths=tuple(sorted(get("thumb_widths") or ())),
        duration=get("duration"), format=get("format"),
        original=original_url(get("root"), get("path_bytes") or get("path").encode("utf-8")),
        **extra,
    )


def load_library(parquet_dir: Path) -> Library:
    """Read the export in `parquet_dir`; photos sorted by capture time, then path."""
    photos, counts = _photos(parquet_dir / "photos.parquet")
    photos = tuple(sorted(photos, key=lambda p: (p.taken_at or "9999", p.root, p.folder, p.name, p.id)))
    skipped = parquet_dir / "skipped.parquet"
    info_path = parquet_dir / "export.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.exists() else {}
    return Library(
        photos=photos,
        coverage=_rows(parquet_dir / "pass_coverage.parquet"),
        errors=_rows(parquet_dir / "errors.parquet"),
        roots=_rows(parquet_dir / "roots.parquet"),
        skipped_count=_table(skipped, ["path"]).num_rows if skipped.exists() else 0,
        export_info=info,
        file_counts=counts,
    )
