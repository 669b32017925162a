"""A selection's rows as a CSV or JSON file, written batch by batch (any size in bounded memory): the
same columns and shape for `gallery export-selection` and the sidecar's download route."""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable, Iterator, Sequence

FORMATS: tuple[str, ...] = ("csv", "json")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class SelectionWriter:
    """`begin()`, then `rows(batch)` as often as needed, then `end()`, each returning text to send.

    CSV: a header line and one line per photo (a list, such as collections, joined with '; ').
    JSON: `{"selection": about, "photos": [row, ...], "count": N}`."""

    def __init__(self, file_format: str, fields: Sequence[str], about: dict[str, Any]) -> None:
        if file_format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {file_format!r}")
        self.file_format, self.fields, self.about, self.count = file_format, list(fields), about, 0

    def begin(self) -> str:
        if self.file_format == "json":
            return '{"selection": ' + json.dumps(self.about, ensure_ascii=False) + ', "photos": ['
        buffer = io.StringIO()
        csv.DictWriter(buffer, fieldnames=self.fields, lineterminator="\r\n").writeheader()
        return buffer.getvalue()

    def rows(self, rows: Iterable[dict[str, Any]]) -> str:
        buffer = io.StringIO()
        if self.file_format == "json":
            for row in rows:
                buffer.write(("," if self.count else "") + "\n  " + json.dumps(
                    {key: row.get(key) for key in self.fields}, ensure_ascii=False))
                self.count += 1
            return buffer.getvalue()
        writer = csv.DictWriter(buffer, fieldnames=self.fields, lineterminator="\r\n", extrasaction="ignore")
        for row in rows:
            writer.writerow({key: "; ".join(value) if isinstance(value, list) else value
                             for key, value in row.items()})
            self.count += 1
        return buffer.getvalue()

    def end(self) -> str:
        return f'\n], "count": {self.count}}}\n' if self.file_format == "json" else ""


def selection_text(rows: Iterable[dict[str, Any]], file_format: str, fields: Sequence[str],
                   about: dict[str, Any], batch: int = 500) -> Iterator[str]:
    """The whole file as text chunks, `batch` rows at a time."""
    writer = SelectionWriter(file_format, fields, about)
    yield writer.begin()
    pending: list[dict[str, Any]] = []
    for row in rows:
        pending.append(row)
        if len(pending) == batch:
            yield writer.rows(pending)
            pending = []
    yield writer.rows(pending)
    yield writer.end()
