"""The approximate-nearest-neighbour index of CLIP vectors, persisted beside the database.

`<db folder>/vectors/<model>.usearch` (usearch HNSW over int8-quantised vectors, cosine) and `<model>.json` (its manifest). Keys are `clip_vectors` ids, which only grow, so
the index can always be compared with the database id by id. The indexer (the single writer)
keeps it in step with `update_vector_index`; the sidecar memory-maps it with `open_index`.
Below `EXACT_LIMIT` vectors there is no index: exact numpy search is fast enough there.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gallery_builder.core.files import temp_path_for, write_json_atomic

EXACT_LIMIT = 150_000   # below this, exact numpy search stays under ~50 ms over HTTP here: no index
FORMAT = 1              # bump when the file layout or the index parameters change: forces a rebuild
LIBRARY = "usearch"
CONNECTIVITY = 16       # HNSW edges per node
EXPANSION_ADD = 128     # candidate list while inserting (build quality)
EXPANSION_SEARCH = 128  # candidate list while searching: recall@50 0.99 at about 1-2 ms on 1M here
REBUILD_SHARE = 0.2     # rebuild from scratch when more than this share of the indexed vectors is gone
BATCH = 20_000          # vectors read from SQLite and added per step (bounded memory)


@dataclass(frozen=True)
class Manifest:
    """What the index file holds, written after it (and read before it)."""

    model: str
    dim: int
    count: int
    max_rowid: int
    library: str = LIBRARY
    format: int = FORMAT

    def fits(self, model: str, dim: int | None = None) -> bool:
        return (self.model == model and self.library == LIBRARY and self.format == FORMAT
                and (dim is None or self.dim == dim))


def index_paths(db_path: str | Path, model: str) -> tuple[Path, Path]:
    """(index file, manifest) of this model, in `vectors/` beside the database file."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", model)
    folder = Path(db_path).resolve().parent / "vectors"
    return folder / f"{safe}.{LIBRARY}", folder / f"{safe}.json"


def read_manifest(path: Path) -> Manifest | None:
    try:
        return Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def usearch_index() -> Any:
    """`usearch.index`, imported after onnxruntime: usearch 2.26.6's extension, loaded first, makes a
    later `import onnxruntime` (1.32) crash the process with a segfault; the other order is fine."""
    if importlib.util.find_spec("onnxruntime") is not None:
        import onnxruntime  # noqa: F401

    from usearch import index

    return index


def new_index(dim: int) -> Any:
    return usearch_index().Index(ndim=dim, metric="cos", dtype="i8", connectivity=CONNECTIVITY,
                                 expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)


def open_index(db_path: str | Path, model: str) -> tuple[Any, Manifest] | None:
    """The persisted index, memory-mapped read-only (pages are read as searches touch them), with its
    manifest; None when there is none for this model or it cannot be read."""
    index_file, manifest_file = index_paths(db_path, model)
    manifest = read_manifest(manifest_file)
    if manifest is None or not manifest.fits(model) or not index_file.exists():
        return None
    try:
        index = usearch_index().Index(ndim=manifest.dim, metric="cos", dtype="i8", connectivity=CONNECTIVITY)
        index.view(str(index_file))
    except (ImportError, RuntimeError, ValueError, OSError):
        return None
    index.expansion_search = EXPANSION_SEARCH
    return index, manifest


def _load_for_update(index_file: Path, manifest: Manifest | None, model: str, dim: int) -> Any:
    """The persisted index loaded into memory for changing, or a new empty one."""
    if manifest is None or not manifest.fits(model, dim) or not index_file.exists():
        return new_index(dim)
    index = new_index(dim)
    try:
        index.load(str(index_file))
    except (RuntimeError, ValueError, OSError):
        return new_index(dim)
    return index


def update_vector_index(db: Any, db_path: str | Path, model: str, *, limit: int = EXACT_LIMIT,
                        log: Callable[[str], None] = print) -> str | None:
    """Bring the persisted index of `model` in step with the database (the indexer's job).

    Adds the vectors it lacks, removes the ones that are gone, rebuilds from scratch when it is of
    another format or dimension or has lost more than `REBUILD_SHARE` of its vectors, and deletes it
    when the library has fewer than `limit` vectors. Returns what it did, or None when nothing."""
    from gallery_builder.db import vectors

    if not vectors.has_vector_table(db):
        return None
    index_file, manifest_file = index_paths(db_path, model)
    count, dim = vectors.vector_shape(db, model)
    if count < limit:
        existed = index_file.exists() or manifest_file.exists()
        index_file.unlink(missing_ok=True)
        manifest_file.unlink(missing_ok=True)
        return f"vector index: removed ({count} vectors is below {limit}: exact search)" if existed else None
    if importlib.util.find_spec("usearch") is None:
        return f"vector index: usearch is not installed, searches stay exact (slower past {limit:,} photos)"
    rowids, _ = vectors.vector_ids(db, model)
    current = np.frombuffer(rowids, dtype=np.int64)
    manifest = read_manifest(manifest_file)
    index = _load_for_update(index_file, manifest, model, dim)
    present = index.contains(current) if len(index) else np.zeros(len(current), dtype=bool)
    gone = len(index) - int(present.sum())
    rebuilt = len(index) == 0 or gone > REBUILD_SHARE * len(index)
    if rebuilt and len(index):
        index, present, gone = new_index(dim), np.zeros(len(current), dtype=bool), 0
    if gone:
        kept = set(current[present].tolist())
        index.remove(np.asarray([key for key in np.asarray(index.keys, dtype=np.int64) if key not in kept]))
    missing = current[~present]
    if not missing.size and not gone and manifest is not None and manifest.count == len(current):
        return None
    for start in range(0, missing.size, BATCH):
        rows = vectors.vectors_by_id(db, missing[start:start + BATCH].tolist())
        rows = [row for row in rows if row[2] == dim and len(row[3]) == dim * 4]
        if rows:
            matrix = np.frombuffer(b"".join(row[3] for row in rows), dtype="<f4").reshape(len(rows), dim)
            index.add(np.asarray([row[0] for row in rows], dtype=np.uint64), matrix, threads=os.cpu_count() or 1)
    _save(index, index_file, manifest_file, Manifest(model, dim, len(index), int(current.max())))
    what = "built" if rebuilt else "updated"
    summary = f"vector index: {what} ({len(index)} vectors, {missing.size} added, {gone} removed)"
    log(summary)
    return summary


def _save(index: Any, index_file: Path, manifest_file: Path, manifest: Manifest) -> None:
    """Index first (temp file + rename: a sidecar keeps its mapping of the old file), then the manifest."""
    index_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = temp_path_for(index_file)
    try:
        index.save(str(temporary))
        os.replace(temporary, index_file)
    finally:
        temporary.unlink(missing_ok=True)
    write_json_atomic(manifest_file, asdict(manifest))
