"""photos.parquet, streamed: one cursor over the joined photo rows, with descriptions, tags, scores,
critiques and checks merged in from their own cursors walked in photo id order (no per-library dict);
and the cheap rewrite after a flag or a star, which reads back the file and replaces two columns."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

from gallery_builder.core.files import temp_path_for
from gallery_builder.db import export_queries


def photo_schema() -> Any:
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


class _Beside:
    """Values of one ordered (photo id, value) stream, asked for in increasing photo id."""

    def __init__(self, stream: Iterator[tuple[int, Any]]) -> None:
        self.stream = stream
        self.photo_id, self.value = next(stream, (None, None))

    def get(self, photo_id: int, default: Any = None) -> Any:
        while self.photo_id is not None and self.photo_id < photo_id:
            self.photo_id, self.value = next(self.stream, (None, None))
        return self.value if self.photo_id == photo_id else default


def _parsed_json(values: list[Any]) -> list[Any]:
    """JSON lists parsed once per distinct text (colour and width lists repeat a lot)."""
    seen: dict[str, Any] = {}
    return [(seen[text] if text in seen else seen.setdefault(text, json.loads(text))) if text else None
            for text in values]


def photo_batches(db: Any, page_size: int) -> Iterator[Any]:
    """photos.parquet, `page_size` rows at a time as Arrow record batches in id order: the joined rows
    turned into columns (no object per row), the side facts merged in by photo id."""
    import pyarrow as pa

    schema = photo_schema()
    descriptions = _Beside(export_queries.description_stream(db))
    tags, scores = _Beside(export_queries.tag_stream(db)), _Beside(export_queries.score_stream(db))
    critiques, disputes = _Beside(export_queries.critique_stream(db)), _Beside(export_queries.dispute_stream(db))
    for page, names in export_queries.photo_row_tuples(db, page_size):
        columns = dict(zip(names, (list(column) for column in zip(*page))))
        ids = columns["id"]
        columns["colors"] = _parsed_json(columns["colors"])
        columns["thumb_widths"] = _parsed_json(columns["thumb_widths"])
        columns["date_in_future"] = [None if value is None else bool(value) for value in columns["date_in_future"]]
        columns["stack_top"] = [bool(value) for value in columns["stack_top"]]
        described = [descriptions.get(photo_id, (None, None)) for photo_id in ids]
        columns["description"] = [text for text, _ in described]
        columns["description_model"] = [model for _, model in described]
        columns["tags"] = [tags.get(photo_id) for photo_id in ids]
        columns["aesthetic_score"] = [scores.get(photo_id) for photo_id in ids]
        columns["critique"] = [critiques.get(photo_id) for photo_id in ids]
        columns["description_disputed"] = [disputes.get(photo_id, {}).get(model) if text is not None else None
                                           for photo_id, (text, model) in zip(ids, described)]
        yield pa.RecordBatch.from_arrays([pa.array(columns[field.name], type=field.type) for field in schema],
                                         schema=schema)


def patch_decisions(db: Any, path: Path, schema: Any, row_group: int) -> int:
    """Rewrite photos.parquet with only `flag` and `stars` read again (when decisions are all that
    changed since it was written): the file is read back row group by row group, its two columns
    replaced from one cursor over photo_decisions, and written to a temp name renamed over it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    decisions = _Beside(export_queries.decision_stream(db))
    flag_at, stars_at = schema.get_field_index("flag"), schema.get_field_index("stars")
    count = 0
    temp = temp_path_for(path)
    try:
        with pq.ParquetWriter(temp, schema, compression="zstd") as writer:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=row_group):
                found = [decisions.get(photo_id, (None, 0)) for photo_id in batch.column("id").to_pylist()]
                columns = list(batch.columns)
                columns[flag_at] = pa.array([flag for flag, _ in found], type=pa.string())
                columns[stars_at] = pa.array([stars for _, stars in found], type=pa.int32())
                writer.write_table(pa.Table.from_batches([pa.RecordBatch.from_arrays(columns, schema=schema)]),
                                   row_group_size=batch.num_rows)
                count += batch.num_rows
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count
