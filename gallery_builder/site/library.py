"""What the builder knows: the Parquet export read into typed records (docs/parquet.md).

The builder reads only `<home>/parquet/*.parquet` (and links to the thumbnail store); never the
originals, never the database, never a model. Optional columns (description, tags, score, and a
person's flag and stars) and optional tables (collections, faces and people) are read when present and stay empty otherwise.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from gallery_builder.core.urls import original_url
from gallery_builder.site.faces import FaceBox, FaceTable, fold_into_digests, load_faces

PHOTO_COLUMNS = (
    "id", "root", "path", "path_bytes", "folder", "name", "kind", "size", "taken_at", "tz_offset",
    "date_in_future", "camera_make", "camera_model", "lens", "focal_length", "aperture",
    "exposure_time", "iso", "width", "height", "gps_lat", "gps_lon", "gps_alt", "place", "admin",
    "country", "country_code", "colors", "thumb_key", "thumb_widths", "duration", "format", "status",
)
OPTIONAL_COLUMNS = ("description", "tags", "aesthetic_score", "flag", "stars", "description_disputed", "critique",
                    "concepts", "stack_id", "stack_top")   # read when present; add one here and to Photo
CONCEPT_SHOWN = 0.5        # a concept is shown (and fingerprinted) when it has at least this share of its question
BATCH_ROWS = 32_768        # rows digested at a time while reading photos.parquet


class LibraryError(RuntimeError):
    """The export is missing or unreadable; the message names the file and the command to run."""


class Photo(NamedTuple):
    """One indexed file as the site shows it (status `ok` only), fields in PHOTO_COLUMNS order.

    A named tuple, made only for the rows a page shows (PhotoTable.photos).
    """

    id: int
    root: str
    path: str
    path_bytes: bytes
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
    status: str
    digest: str                      # hash of every column of the row (see row_digests)
    description: str | None = None
    tags: tuple[str, ...] = ()
    aesthetic_score: float | None = None   # the quality pass's score, about 1-10
    flag: str | None = None          # a person's decision: "pick", "reject" or None
    stars: int = 0                   # a person's rating, 0-5
    description_disputed: bool | None = None   # the verify pass doubts the description
    critique: str | None = None
    concepts: tuple[str, ...] = ()   # "sharp 98%", ... from concepts.parquet, highest first (CONCEPT_SHOWN)
    stack_id: int | None = None      # the stack (burst, bracket, sequence) the photo is in
    stack_top: bool = False          # the photo its stack shows in grids
    faces: tuple[FaceBox, ...] = ()  # faces.parquet's boxes of this photo, with the names shown (always last:
                                     # `photos()` appends it after PHOTO_COLUMNS, the digest and OPTIONAL_COLUMNS)

    @property
    def day(self) -> str | None:
        return self.taken_at[:10] if self.taken_at else None

    @property
    def year(self) -> str:
        return self.taken_at[:4] if self.taken_at else "undated"

    @property
    def has_location(self) -> bool:
        return self.gps_lat is not None and self.gps_lon is not None and (self.gps_lat, self.gps_lon) != (0.0, 0.0)

    @property
    def original(self) -> str:
        """Site-relative URL of the original (exact bytes of its path, percent-encoded)."""
        return original_url(self.root, self.path_bytes)


class PhotoTable:
    """The `ok` photos of the export, kept columnar (Arrow) in the order read, with `order`, the
    capture order (taken_at, root, folder, name, id). Positions ("rows") below are in capture
    order. A `Photo` is made only for the rows a page or card shows (`photos(rows)`), so a build
    never holds one Python object per photo of a large library; vectorised per-row facts (ids,
    12-byte row digests, ...) are numpy arrays."""

    def __init__(self, table: Any, order: Any, digests: Any, optional: tuple[str, ...]) -> None:
        import numpy as np

        self.table = table
        self.order = order                   # capture position -> row of `table`
        self.digests = digests               # (count, 12) uint8, in capture order
        self.optional = optional             # OPTIONAL_COLUMNS present in the export
        self.ids = table.column("id").to_numpy()[order] if len(order) else np.zeros(0, np.int64)
        self.materialised = 0                # rows turned into Photo records so far (tests, reports)
        self.batches = table.to_batches()    # the chunks as read (one per Parquet batch), no copy
        self.batch_starts = np.cumsum([0] + [batch.num_rows for batch in self.batches])
        self.faces = FaceTable()             # set by load_library (faces.parquet)
        self.name_digests = np.zeros((len(order), 8), np.uint8)   # names on each photo (FaceTable.name_digests)

    def __len__(self) -> int:
        return len(self.order)

    def column(self, name: str, rows: Any = None) -> Any:
        """One Arrow column in capture order (all rows, or `rows`)."""
        return self.table.column(name).take(self.order if rows is None else self.order[rows])

    def take(self, indices: Any) -> Any:
        """Rows of `table` (by index in the order read) as a table, batch by batch: a take over
        all chunks at once costs a pass over the whole library, and combining the chunks first
        would double the table in memory while it copies."""
        import numpy as np
        import pyarrow as pa

        indices = np.asarray(indices, dtype=np.int64)
        if len(self.batches) <= 1:
            return self.table.take(indices)
        ascending = np.argsort(indices, kind="stable")
        wanted = indices[ascending]
        owners = np.searchsorted(self.batch_starts, wanted, side="right") - 1
        cuts = np.flatnonzero(np.diff(owners, prepend=-1))
        parts = [self.batches[owners[start]].take(pa.array(wanted[start:stop] - self.batch_starts[owners[start]]))
                 for start, stop in zip(cuts.tolist(), cuts[1:].tolist() + [len(wanted)])]
        gathered = pa.Table.from_batches(parts, schema=self.table.schema).combine_chunks()
        return gathered.take(np.argsort(ascending, kind="stable"))

    def digest_hex(self, row: int) -> str:
        return self.digests[row].tobytes().hex()

    def photos(self, rows: Any) -> list[Photo]:
        """The Photo records of capture positions `rows`, in that order."""
        import numpy as np

        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return []
        self.materialised += len(rows)
        part = self.take(self.order[rows])
        columns = [_column(part, name) for name in PHOTO_COLUMNS]
        columns.append([self.digests[row].tobytes().hex() for row in rows.tolist()])
        for name in OPTIONAL_COLUMNS:
            columns.append(_column(part, name) if name in self.optional else [Photo._field_defaults[name]] * len(rows))
        faces = self.faces
        columns.append([faces.face_boxes(row) for row in rows.tolist()] if len(faces) else [()] * len(rows))
        return list(map(Photo._make, zip(*columns)))


@dataclass(frozen=True, eq=False)
class Collection:
    """One collection (album) of collections.parquet, with its members' photo ids in manual order."""

    id: int
    name: str
    cover_photo_id: int | None       # the chosen cover, else the first photo; None when empty
    photo_count: int
    created_at: str
    updated_at: str
    photo_ids: Any                   # numpy int64 array, by `position` (may name photos that are not `ok`)
    cover_chosen: bool = True        # a person chose the cover (an export without the column: as before)

    @property
    def row(self) -> tuple:
        """The collection's own facts (its collections.parquet row), for fingerprints."""
        return (self.id, self.name, self.cover_photo_id, self.photo_count, self.created_at, self.updated_at,
                self.cover_chosen)


@dataclass(frozen=True, eq=False)
class Ratings:
    """ratings.parquet (one row per rated photo, small): photo ids sorted, their ratings and
    comparison counts, as numpy arrays; empty when nothing was compared yet."""

    ids: Any
    ratings: Any
    comparisons: Any

    @classmethod
    def empty(cls) -> "Ratings":
        import numpy as np

        return cls(np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def lookup(self, photo_ids: Any) -> tuple[Any, Any]:
        """(ratings with NaN for unrated photos, comparison counts with 0) of `photo_ids` (numpy)."""
        import numpy as np

        photo_ids = np.asarray(photo_ids, dtype=np.int64)
        ratings, counts = np.full(len(photo_ids), np.nan), np.zeros(len(photo_ids), np.int64)
        if len(self.ids) and len(photo_ids):
            at = np.minimum(np.searchsorted(self.ids, photo_ids), len(self.ids) - 1)
            found = self.ids[at] == photo_ids
            ratings[found], counts[found] = self.ratings[at[found]], self.comparisons[at[found]]
        return ratings, counts


@dataclass(frozen=True)
class Library:
    """Everything one build reads: photos (ok only, columnar) plus the status tables of the last export."""

    table: PhotoTable
    coverage: tuple[dict[str, Any], ...] = ()
    errors: tuple[dict[str, Any], ...] = ()
    roots: tuple[dict[str, Any], ...] = ()
    skipped_count: int = 0
    export_info: dict[str, Any] = field(default_factory=dict)
    file_counts: dict[str, int] = field(default_factory=dict)
    collections: tuple[Collection, ...] = ()     # by id; empty when the export has none
    faces: FaceTable = field(default_factory=FaceTable)   # faces, people, clusters; empty without faces.parquet
    duplicates: Any = None                       # duplicates.parquet (Arrow: group_id, photo_id, kind, is_keeper), or None
    ratings: Ratings = field(default_factory=Ratings.empty)   # comparisons' ratings (ratings.parquet)

    @property
    def photos(self) -> tuple[Photo, ...]:
        """Every photo as a record, in capture order: for tests and small tools only (a million of
        them do not fit a NAS's memory; page kinds materialise the rows they show)."""
        return tuple(self.table.photos(range(len(self.table))))


def _table(path: Path, columns: list[str] | None = None) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns)
    except (OSError, ValueError) as error:
        raise LibraryError(f"{path}: cannot read the Parquet export ({error}); run `gallery export`") from error


def _rows(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(_table(path).to_pylist()) if path.exists() else ()


def _collections(parquet_dir: Path) -> tuple[Collection, ...]:
    """collections.parquet with each collection's members from collection_photos.parquet (both
    small: one row per collection and per membership); no table, no collections."""
    import numpy as np
    import pyarrow.compute as pc

    path = parquet_dir / "collections.parquet"
    if not path.exists():
        return ()
    members_path = parquet_dir / "collection_photos.parquet"
    members = _table(members_path, ["collection_id", "photo_id", "position"]) if members_path.exists() else None
    by_collection: dict[int, Any] = {}
    if members is not None and members.num_rows:
        members = members.take(pc.sort_indices(members, [("collection_id", "ascending"),
                                                          ("position", "ascending")]))
        owners = members.column("collection_id").to_numpy()
        photo_ids = members.column("photo_id").to_numpy().astype(np.int64)
        cuts = np.flatnonzero(np.diff(owners, prepend=owners[0] - 1))
        for start, stop in zip(cuts.tolist(), cuts[1:].tolist() + [len(owners)]):
            by_collection[int(owners[start])] = photo_ids[start:stop]
    empty = np.zeros(0, np.int64)
    return tuple(
        Collection(id=row["id"], name=row["name"], cover_photo_id=row["cover_photo_id"],
                   photo_count=row["photo_count"] or 0, created_at=row["created_at"] or "",
                   updated_at=row["updated_at"] or "", photo_ids=by_collection.get(row["id"], empty),
                   cover_chosen=bool(row.get("cover_chosen", True)))
        for row in sorted(_table(path).to_pylist(), key=lambda row: row["id"]))


def row_digests(table: Any) -> Any:
    """A 12-byte digest of every column of each row (a (rows, 12) uint8 array), the photo's fingerprint. The columns are flattened
    by Arrow and numpy first: a Python repr of 100,000 rows costs seconds on every build."""
    import hashlib

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers, nulls, texts = [], [], []
    for column in table.columns:
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            nulls.append(pc.is_null(column).to_numpy(zero_copy_only=False))
            filled = pc.fill_null(column, False if pa.types.is_boolean(kind) else 0).to_numpy(zero_copy_only=False)
            numbers.append(filled.astype(np.float64).view(np.int64) if pa.types.is_floating(kind)
                           else filled.astype(np.int64))
        else:
            if pa.types.is_list(kind):
                column = pc.binary_join(pc.cast(column, pa.list_(pa.string())), "\x1d")
            texts.append(pc.cast(column, pa.binary()))
    count = table.num_rows
    fixed = np.hstack([np.column_stack(numbers).view(np.uint8).reshape(count, -1),
                       np.column_stack(nulls).astype(np.uint8)])
    fixed_rows = np.ascontiguousarray(fixed).view(np.dtype((np.void, fixed.shape[1]))).ravel().tolist()
    joined = pc.binary_join_element_wise(*texts, b"\x1f", null_handling="replace", null_replacement=b"\x1e")
    blake = hashlib.blake2b
    packed = b"".join([blake(numeric + text, digest_size=12).digest()
                       for numeric, text in zip(fixed_rows, joined.to_pylist())])
    return np.frombuffer(packed, dtype=np.uint8).reshape(count, 12)


def _column(table: Any, name: str) -> list[Any]:
    """One column as Python values, normalised the way Photo documents them."""
    values = table.column(name).to_pylist()
    if name == "colors":
        return [tuple(value) if value else () for value in values]
    if name == "thumb_widths":
        return [tuple(sorted(value)) if value else () for value in values]
    if name in ("tags", "concepts"):
        return [tuple(value) if value else () for value in values]
    if name == "stars":
        return [int(value or 0) for value in values]
    if name == "stack_top":
        return [bool(value) for value in values]
    if name == "folder":
        return [value or "" for value in values]
    if name == "kind":
        return [value or "photo" for value in values]
    if name == "date_in_future":
        return [bool(value) for value in values]
    if name == "path_bytes":
        paths = table.column("path").to_pylist()
        return [value or path.encode("utf-8") for value, path in zip(values, paths)]
    return values


def capture_order(table: Any) -> Any:
    """Row indices of `table` sorted by (taken_at or "9999", root, folder, name, id), the order
    pages list photos in (Arrow sorts strings by UTF-8 bytes, the same as Python's code points)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    taken = pc.fill_null(table.column("taken_at"), "")
    keys = pa.table({"t": pc.if_else(pc.equal(pc.utf8_length(taken), 0), "9999", taken),
                     "r": table.column("root"), "f": pc.fill_null(table.column("folder"), ""),
                     "n": table.column("name"), "i": table.column("id")})
    return pc.sort_indices(keys, [(name, "ascending") for name in "trfni"]).to_numpy()


def _batches(path: Path, columns: list[str]) -> Any:
    """The export's rows in batches of at most BATCH_ROWS (a row group is read at a time)."""
    import pyarrow.parquet as pq

    try:
        yield from pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS, columns=columns)
    except (OSError, ValueError) as error:
        raise LibraryError(f"{path}: cannot read the Parquet export ({error}); run `gallery export`") from error


def _concept_labels(path: Path) -> dict[int, list[str]] | None:
    """The concepts shown per photo id ("sharp 98%", highest first) from concepts.parquet; None without it."""
    import pyarrow.compute as pc

    if not path.exists():
        return None
    table = _table(path, ["photo_id", "concept", "score"])
    table = table.filter(pc.greater_equal(table.column("score"), CONCEPT_SHOWN))
    table = table.take(pc.sort_indices(table, [("photo_id", "ascending"), ("score", "descending"),
                                               ("concept", "ascending")]))
    labels: dict[int, list[str]] = {}
    for photo_id, concept, score in zip(*(table.column(name).to_pylist() for name in ("photo_id", "concept", "score"))):
        labels.setdefault(photo_id, []).append(f"{concept} {round(score * 100)}%")
    return labels


def _with_concepts(batch: Any, labels: dict[int, list[str]]) -> Any:
    """The batch with a `concepts` column, so each photo's row digest covers its concepts."""
    import pyarrow as pa

    column = pa.array([labels.get(photo_id) for photo_id in batch.column("id").to_pylist()], pa.list_(pa.string()))
    return pa.RecordBatch.from_arrays(batch.columns + [column], names=batch.schema.names + ["concepts"])


def _photos(path: Path) -> tuple[PhotoTable, dict[str, int]]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if not path.exists():
        raise LibraryError(f"{path} does not exist: index photos first (`gallery index PATH --home ...`)")
    present = set(pq.read_schema(path).names)
    missing = [name for name in PHOTO_COLUMNS if name not in present]
    if missing:
        raise LibraryError(f"{path}: columns missing from the export: {', '.join(missing)}; run `gallery export`")
    labels = _concept_labels(path.with_name("concepts.parquet"))
    optional = tuple(name for name in OPTIONAL_COLUMNS if name in present or (name == "concepts" and labels is not None))
    counts: dict[str, int] = {}
    batches, digests = [], []
    for batch in _batches(path, list(PHOTO_COLUMNS) + [name for name in optional if name in present]):
        if labels is not None:
            batch = _with_concepts(batch, labels)
        for item in pc.value_counts(batch.column("status")).to_pylist():
            counts[str(item["values"])] = counts.get(str(item["values"]), 0) + int(item["counts"])
        batch = batch.filter(pc.equal(batch.column("status"), "ok"))
        if batch.num_rows:
            batches.append(batch)
            digests.append(row_digests(batch))       # per batch: a million rows never become Python objects at once
    if not batches:
        schema = pq.read_schema(path)
        fields = [schema.field(name) if name in present else pa.field(name, pa.list_(pa.string()))
                  for name in list(PHOTO_COLUMNS) + list(optional)]
        empty = pa.schema(fields).empty_table()
        return PhotoTable(empty, np.zeros(0, np.int64),
                          np.zeros((0, 12), np.uint8), optional), counts
    table = pa.Table.from_batches(batches)
    order = capture_order(table)
    digests = np.concatenate(digests)[order]
    return PhotoTable(table, order, digests, optional), counts


def load_library(parquet_dir: Path) -> Library:
    """Read the export in `parquet_dir`; photos in capture order (capture time, then path)."""
    table, counts = _photos(parquet_dir / "photos.parquet")
    table.faces = faces = load_faces(parquet_dir, table.ids)
    fold_into_digests(faces, table.digests)      # a page showing a photo also shows its faces (ids, boxes)
    table.name_digests = faces.name_digests(len(table))   # and a photo page their names
    skipped = parquet_dir / "skipped.parquet"
    info_path = parquet_dir / "export.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.exists() else {}
    return Library(
        table=table,
        coverage=_rows(parquet_dir / "pass_coverage.parquet"),
        errors=_rows(parquet_dir / "errors.parquet"),
        roots=_rows(parquet_dir / "roots.parquet"),
        skipped_count=_table(skipped, ["path"]).num_rows if skipped.exists() else 0,
        export_info=info,
        file_counts=counts,
        collections=_collections(parquet_dir),
        faces=faces,
        duplicates=_duplicates(parquet_dir),
        ratings=_ratings(parquet_dir / "ratings.parquet"),
    )


def _duplicates(parquet_dir: Path) -> Any:
    """duplicates.parquet sorted by group (exact groups first) then keeper first; None when absent or empty."""
    import pyarrow.compute as pc

    path = parquet_dir / "duplicates.parquet"
    if not path.exists():
        return None
    table = _table(path, ["group_id", "photo_id", "kind", "is_keeper"])
    if not table.num_rows:
        return None
    return table.take(pc.sort_indices(table, [("group_id", "ascending"), ("is_keeper", "descending"),
                                              ("photo_id", "ascending")]))


def _ratings(path: Path) -> Ratings:
    """ratings.parquet sorted by photo id; empty when absent (an export from before the ranking)."""
    import numpy as np

    if not path.exists():
        return Ratings.empty()
    table = _table(path, ["photo_id", "rating", "comparisons"])
    ids = table.column("photo_id").to_numpy().astype(np.int64)
    order = np.argsort(ids, kind="stable")
    return Ratings(ids[order], table.column("rating").to_numpy().astype(np.float64)[order],
                   table.column("comparisons").to_numpy().astype(np.int64)[order])
