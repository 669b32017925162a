"""Builder test input written directly in the Parquet export's documented schema (docs/parquet.md),
plus small real thumbnail files (Pillow) at the thumb_layout paths, so site tests never wait on
the indexer. `golden_rows()` is the fixed small library of the golden build.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gallery_builder.core.thumb_layout import SLOT_BY_WIDTH, slots_for, thumb_relpath, thumb_size

PHOTO_SCHEMA_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "int64"), ("root", "string"), ("path", "string"), ("path_bytes", "binary"), ("folder", "string"),
    ("name", "string"), ("kind", "string"), ("size", "int64"), ("mtime_ns", "int64"), ("content_hash", "string"),
    ("taken_at", "string"), ("tz_offset", "string"), ("taken_at_source", "string"), ("date_in_future", "bool"),
    ("camera_make", "string"), ("camera_model", "string"), ("lens", "string"), ("focal_length", "float64"),
    ("aperture", "float64"), ("exposure_time", "float64"), ("iso", "int64"), ("width", "int64"),
    ("height", "int64"), ("orientation", "int64"), ("gps_lat", "float64"), ("gps_lon", "float64"),
    ("gps_alt", "float64"), ("place", "string"), ("admin", "string"), ("country", "string"),
    ("country_code", "string"), ("colors", "list<string>"), ("phash", "string"), ("thumb_key", "string"),
    ("thumb_widths", "list<int32>"), ("duration", "float64"), ("format", "string"), ("status", "string"),
    ("error_code", "string"), ("error", "string"),
)


@dataclass(frozen=True)
class Row:
    """One photos.parquet row; `path` is relative to its root. Unset fields are null."""

    id: int
    root: str
    path: str
    taken_at: str | None
    width: int = 640
    height: int = 480
    kind: str = "photo"
    format: str = "JPEG"
    status: str = "ok"
    path_bytes: bytes | None = None
    colors: tuple[str, ...] = ("#3366cc", "#f0c040", "#202020")
    extra: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        folder, _, name = self.path.rpartition("/")
        key = hashlib.blake2b(f"{self.root}/{self.path}/{self.id}".encode(), digest_size=16).hexdigest()
        has_thumbs = self.status == "ok"
        record: dict[str, Any] = {name_: None for name_, _ in PHOTO_SCHEMA_FIELDS}
        record.update(
            id=self.id, root=self.root, path=self.path,
            path_bytes=self.path_bytes if self.path_bytes is not None else self.path.encode("utf-8"),
            folder=folder, name=name, kind=self.kind, size=1000 + self.id, mtime_ns=1_600_000_000_000_000_000,
            content_hash=key, taken_at=self.taken_at, taken_at_source="exif" if self.taken_at else None,
            date_in_future=False, width=self.width, height=self.height, orientation=1,
            colors=list(self.colors), phash="0" * 16, thumb_key=key if has_thumbs else None,
            thumb_widths=[slot.width for slot in slots_for(self.width, self.height)] if has_thumbs else None,
            format=self.format, status=self.status)
        record.update(self.extra)
        return record


def with_changes(row: Row, **changes: Any) -> Row:
    return replace(row, **changes)


def _arrow_type(name: str) -> Any:
    import pyarrow as pa

    simple = {"int64": pa.int64(), "string": pa.string(), "binary": pa.binary(), "bool": pa.bool_(),
              "float64": pa.float64()}
    if name in simple:
        return simple[name]
    return pa.list_(pa.string()) if name == "list<string>" else pa.list_(pa.int32())


def _write_table(path: Path, records: list[dict[str, Any]], fields: list[tuple[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(name, kind) for name, kind in fields])
    table = pa.Table.from_pylist(records, schema=schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    pq.write_table(table, temp, compression="zstd")
    temp.replace(path)


def _scene(width: int, height: int, color: str) -> Any:
    """A small landscape-like picture: sky gradient, a sun, hills in the photo's main colour."""
    from PIL import Image, ImageDraw

    sky = Image.linear_gradient("L").resize((width, height)).point(lambda value: 150 + value // 3)
    image = Image.merge("RGB", (sky.point(lambda v: v - 60), sky.point(lambda v: v - 20), sky))
    draw = ImageDraw.Draw(image)
    radius = max(2, height // 9)
    draw.ellipse((width * 0.7 - radius, height * 0.25 - radius, width * 0.7 + radius, height * 0.25 + radius),
                 fill="#fff3b0")
    draw.polygon([(0, height * 0.65), (width * 0.35, height * 0.45), (width * 0.7, height * 0.62), (width, height * 0.5),
                  (width, height), (0, height)], fill=color)
    return image


def write_thumbnails(thumbs_dir: Path, record: dict[str, Any]) -> None:
    """Real small image files at the thumb_layout paths, coloured from the row's first colour."""
    if not record["thumb_key"]:
        return
    width, height = record["width"], record["height"]
    color = record["colors"][0] if record["colors"] else "#808080"
    for slot_width in record["thumb_widths"]:
        path = thumbs_dir / thumb_relpath(record["thumb_key"], slot_width)
        if path.exists():
            continue
        out_width, out_height = thumb_size(slot_width, width, height)
        image = _scene(out_width, out_height, color)
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, quality=60) if SLOT_BY_WIDTH[slot_width].ext == "jpg" else image.save(path, quality=50)


def write_library(home: Path, rows: list[Row], *, coverage: list[dict] | None = None,
                  errors: list[dict] | None = None, thumbnails: bool = True) -> None:
    """Write home/parquet/*.parquet (and thumbnails) for `rows`, like `gallery export` would."""
    write_records(home, [row.record() for row in rows], coverage=coverage, errors=errors, thumbnails=thumbnails)


def write_records(home: Path, records: list[dict[str, Any]], *, coverage: list[dict] | None = None,
                  errors: list[dict] | None = None, thumbnails: bool = True,
                  extra_fields: list[tuple[str, str]] = ()) -> None:
    """Like write_library, from photos.parquet records (see Row.record); `extra_fields` adds
    columns of later capabilities (e.g. ("description", "string"))."""
    parquet = home / "parquet"
    fields = list(PHOTO_SCHEMA_FIELDS) + list(extra_fields)
    _write_table(parquet / "photos.parquet", records, [(n, _arrow_type(t)) for n, t in fields])
    labels = sorted({record["root"] for record in records})
    _write_table(parquet / "roots.parquet",
                 [{"label": label, "photo_count": sum(r["root"] == label for r in records),
                   "last_scan_at": "2024-01-02T03:04:05"} for label in labels],
                 [("label", _arrow_type("string")), ("photo_count", _arrow_type("int64")),
                  ("last_scan_at", _arrow_type("string"))])
    coverage_fields = [("pass", "string"), ("version", "int64"), ("description", "string"), ("ok", "int64"),
                       ("errors", "int64"), ("pending", "int64"), ("total", "int64"), ("last_run", "string")]
    _write_table(parquet / "pass_coverage.parquet", coverage or [],
                 [(n, _arrow_type(t)) for n, t in coverage_fields])
    error_fields = [("photo_id", "int64"), ("root", "string"), ("path", "string"), ("pass", "string"),
                    ("error_code", "string"), ("error", "string")]
    _write_table(parquet / "errors.parquet", errors or [], [(n, _arrow_type(t)) for n, t in error_fields])
    _write_table(parquet / "skipped.parquet", [{"root": "photos", "path": "2021/._IMG_0001.JPG", "reason": "appledouble"}],
                 [(n, _arrow_type("string")) for n in ("root", "path", "reason")])
    (parquet / "export.json").write_text(json.dumps({"exported_at": "2024-01-02T03:04:06", "schema_version": 1,
                                                     "rows": {"photos": len(records)}}), encoding="utf-8")
    if thumbnails:
        for record in records:
            write_thumbnails(home / "thumbs", record)


COLLECTION_FIELDS = (("id", "int64"), ("name", "string"), ("cover_photo_id", "int64"), ("photo_count", "int64"),
                     ("created_at", "string"), ("updated_at", "string"))


def write_collections(home: Path, collections: list[tuple[int, str, list[int], int | None, str]]) -> None:
    """Write collections.parquet and collection_photos.parquet for (id, name, photo ids in manual
    order, cover photo id or None for the first, updated_at) tuples."""
    parquet = home / "parquet"
    records = [{"id": ident, "name": name,
                "cover_photo_id": cover if cover is not None else (ids[0] if ids else None), "photo_count": len(ids),
                "created_at": "2024-01-01T00:00:00+00:00", "updated_at": updated}
               for ident, name, ids, cover, updated in collections]
    _write_table(parquet / "collections.parquet", records, [(n, _arrow_type(t)) for n, t in COLLECTION_FIELDS])
    members = [{"collection_id": ident, "photo_id": photo, "position": position}
               for ident, _, ids, _, _ in collections for position, photo in enumerate(ids)]
    _write_table(parquet / "collection_photos.parquet", members,
                 [(n, _arrow_type("int64")) for n in ("collection_id", "photo_id", "position")])


def write_concepts(home: Path, rows: list[tuple[int, str, float]]) -> None:
    """Write concepts.parquet for (photo id, concept, score) rows."""
    _write_table(home / "parquet" / "concepts.parquet",
                 [{"photo_id": photo, "concept": concept, "score": score} for photo, concept, score in rows],
                 [("photo_id", _arrow_type("int64")), ("concept", _arrow_type("string")),
                  ("score", _arrow_type("float64"))])


def _nice(**values: Any) -> dict[str, Any]:
    return {"camera_make": "Canon", "camera_model": "Canon EOS R6", "lens": "RF24-105mm F4 L IS USM",
            "focal_length": 35.0, "aperture": 4.0, "exposure_time": 1 / 250, "iso": 100, **values}


NICE = dict(gps_lat=43.7031, gps_lon=7.2661, gps_alt=12.0, place="Nice", admin="Provence-Alpes-Cote d'Azur",
            country="France", country_code="FR")
TOKYO = dict(gps_lat=35.6895, gps_lon=139.6917, place="Tokyo", admin="Tokyo", country="Japan", country_code="JP")


def golden_rows() -> list[Row]:
    """The fixed small library: three years, nested folders, hostile names, a video, HEIC, RAW,
    a non-UTF-8 folder, an undated photo, a future date, a missing and a failed file."""
    beach = "2021/2021-07-14 Beach"
    return [
        Row(1, "photos", f"{beach}/IMG_0001.JPG", "2021-07-14T10:00:00", extra=_nice(**NICE)),
        Row(2, "photos", f"{beach}/IMG_0002.JPG", "2021-07-14T10:05:00", width=480, height=640,
            colors=("#f0c040", "#3366cc"), extra=_nice(**NICE)),
        Row(3, "photos", f"{beach}/IMG_0003.JPG", "2021-07-14T11:30:00", extra=_nice(**NICE, tz_offset="+02:00")),
        Row(4, "photos", f"{beach}/IMG_0004.JPG", "2021-07-15T09:00:00", colors=("#30a050",), extra=_nice(**NICE)),
        Row(5, "photos", "2021/2021-12-24/Christmas tree.jpg", "2021-12-24T18:00:00", colors=("#c03030", "#30a050")),
        Row(6, "photos", "2021/2021-12-24/VID_0006.mp4", "2021-12-24T18:10:00", kind="video", format="mp4",
            width=640, height=360, extra={"duration": 65.0}),
        Row(7, "photos", "2022/Family & Friends <3/<img src=x onerror=alert(1)>.jpg", "2022-03-05T12:00:00",
            extra={"camera_make": "<b>Evil</b>", "camera_model": "\"><img src=x onerror=alert(2)>"}),
        Row(8, "photos", "2022/Family & Friends <3/Ünïcödé 写真.heic", "2022-03-05T12:01:00", format="HEIF",
            width=400, height=300, colors=("#a040c0",)),
        Row(9, "photos", "2022/Family & Friends <3/IMG_0009.CR2", "2022-03-05T12:02:00", kind="raw", format="CR2",
            width=600, height=400, colors=("#202020",)),
        Row(10, "photos", "2023/06/IMG_0010.JPG", "2023-06-01T08:00:00", extra=_nice(**TOKYO)),
        Row(11, "photos", "2023/06/IMG_0011.JPG", "2023-06-01T08:30:00", extra=_nice(**TOKYO)),
        Row(12, "photos", "2023/06/IMG_0012.JPG", "2023-06-02T19:00:00", colors=("#f08020",), extra=_nice(**TOKYO)),
        Row(13, "photos", "caf\\xe9/menu.jpg", "2023-06-02T20:00:00", path_bytes=b"caf\xe9/menu.jpg"),
        Row(14, "photos", "scans/old photo #1?.png", None, format="PNG", colors=("#e0e0e0",)),
        Row(15, "phone", "DCIM/Camera/PXL_0015.jpg", "2023-06-01T09:00:00", extra={"camera_make": "Google",
            "camera_model": "Pixel 7", **TOKYO}),
        Row(16, "phone", "DCIM/Camera/PXL_0016.jpg", "2031-01-01T00:00:00", extra={"date_in_future": True}),
        Row(17, "photos", "2021/gone.jpg", "2021-01-01T00:00:00", status="missing"),
        Row(18, "photos", "2021/broken.jpg", None, status="error",
            extra={"error_code": "truncated", "error": "image file is truncated"}),
    ]


GOLDEN_COVERAGE = [
    {"pass": "exif", "version": 1, "description": "capture time, camera, GPS", "ok": 16, "errors": 1, "pending": 0,
     "total": 17, "last_run": "2024-01-02T03:04:00"},
    {"pass": "thumbs", "version": 1, "description": "grid and preview thumbnails", "ok": 16, "errors": 0,
     "pending": 1, "total": 17, "last_run": "2024-01-02T03:04:01"},
]
GOLDEN_ERRORS = [
    {"photo_id": 18, "root": "photos", "path": "2021/broken.jpg", "pass": "scan", "error_code": "truncated",
     "error": "image file is truncated <script>x</script>"},
]


def write_golden_library(home: Path) -> None:
    write_library(home, golden_rows(), coverage=GOLDEN_COVERAGE, errors=GOLDEN_ERRORS)


def build(home: Path, **options: Any) -> Any:
    """Run the real builder on `home` (parquet/ and thumbs/), publishing to home/site."""
    from gallery_builder.site.builder import BuildOptions, build_site

    return build_site(BuildOptions(parquet_dir=home / "parquet", thumbs_dir=home / "thumbs", out=home / "site",
                                   **options))


def site_files(site: Path) -> dict[str, Path]:
    """Every file of a published site by its site-relative path, following the generation's
    symlinks into the shared store (but not into the thumbnail store or the asset bundle)."""
    import os

    files = {}
    for folder, subfolders, names in os.walk(site, followlinks=True):
        relative = Path(folder).relative_to(site).as_posix()
        if relative == ".":
            subfolders[:] = [name for name in subfolders if name not in ("thumbs", "assets")]
        for name in names:
            if relative != "." or name not in ("thumbs", "assets"):     # a dangling link without thumbnails
                files[name if relative == "." else f"{relative}/{name}"] = Path(folder) / name
    return dict(sorted(files.items()))
