"""photos.parquet, streamed: one cursor over the joined photo rows, with descriptions, tags, scores,
critiques and checks merged in from their own cursors walked in photo id order (no per-library dict)."""
from __future__ import annotations

import json
from typing import Any, Iterator

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


def photo_record_pages(db: Any, page_size: int) -> Iterator[list[dict[str, Any]]]:
    """photos.parquet's records, `page_size` at a time, in id order."""
    descriptions = _Beside(export_queries.description_stream(db))
    tags, scores = _Beside(export_queries.tag_stream(db)), _Beside(export_queries.score_stream(db))
    critiques, disputes = _Beside(export_queries.critique_stream(db)), _Beside(export_queries.dispute_stream(db))
    for page in export_queries.photo_row_pages(db, page_size):
        records = []
        for row in page:
            record = dict(row)
            photo_id = record["id"]
            record["path_bytes"] = bytes(record["path_bytes"])
            record["colors"] = json.loads(record["colors"]) if record["colors"] else None
            record["thumb_widths"] = json.loads(record["thumb_widths"]) if record["thumb_widths"] else None
            record["date_in_future"] = bool(record["date_in_future"]) if record["date_in_future"] is not None else None
            record["stack_top"] = bool(record["stack_top"])
            record["description"], record["description_model"] = descriptions.get(photo_id, (None, None))
            record["tags"] = tags.get(photo_id)
            record["aesthetic_score"] = scores.get(photo_id)
            record["critique"] = critiques.get(photo_id)
            record["description_disputed"] = (disputes.get(photo_id, {}).get(record["description_model"])
                                              if record["description"] is not None else None)
            records.append(record)
        yield records
