"""Writing one Parquet file atomically (temp name in the same folder, then rename): whole from rows,
or streamed row group by row group from an iterator, so a large table never sits in memory."""
from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from gallery_builder.core.files import temp_path_for

ROW_GROUP = 50_000  # rows per row group: bounded memory on the writing side, few groups for readers


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


def chunked(rows: Iterable[dict[str, Any]], size: int = ROW_GROUP) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def write_pages(pages: Iterable[Any], path: Path, schema: Any) -> int:
    """Write pages (lists of row dicts, or Arrow record batches of `schema`) as row groups of one zstd
    Parquet file (temp, then rename); returns the row count. No pages gives an empty file with the schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = 0
    temp = temp_path_for(path)
    try:
        with pq.ParquetWriter(temp, schema, compression="zstd") as writer:
            for page in pages:
                if len(page):
                    table = pa.Table.from_pylist(page, schema=schema) if isinstance(page, list) else \
                        pa.Table.from_batches([page])
                    writer.write_table(table, row_group_size=len(page))
                    count += len(page)
            if count == 0:
                writer.write_table(schema.empty_table())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


def same_content(path: Path, rows: list[dict[str, Any]], schema: Any) -> bool:
    """The file at `path` holds exactly these rows with this schema (for small files whose inputs are
    not only tables, such as pass coverage: rewrite only when the content differs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        existing = pq.read_table(path)
    except (OSError, pa.ArrowInvalid):
        return False
    return existing.schema.equals(schema) and existing.equals(pa.Table.from_pylist(rows, schema=schema))
