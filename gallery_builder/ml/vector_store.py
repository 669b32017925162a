"""The approximate-nearest-neighbour index of CLIP vectors, persisted beside the database.

`<db folder>/vectors/<model>.faiss` (faiss IVF with 8-bit scalar-quantised vectors, inner product
on unit vectors) and `<model>.json` (its manifest). Keys are `clip_vectors` ids, which only grow, so
index and database are compared id by id. The indexer (the single writer) keeps it in step with
`update_vector_index`; the sidecar memory-maps it with `open_index`. Below `EXACT_LIMIT` vectors
there is no index: exact numpy search is fast enough there.
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
FORMAT = 2              # bump when the file layout or the index parameters change: forces a rebuild
LIBRARY = "faiss-ivf-sq8"
NPROBE = 32             # lists searched per query: recall@50 ~0.98 at a few ms on 1,000,000 here
RETRAIN_GROWTH = 4      # rebuild (new lists) when the library has grown this many times since training
REBUILD_SHARE = 0.2     # rebuild from scratch when more than this share of the indexed vectors is gone
BATCH = 20_000          # vectors read from SQLite and added per step (bounded memory)


@dataclass(frozen=True)
class Manifest:
    """What the index file holds, written after it (and read before it)."""

    model: str
    dim: int
    count: int
    max_rowid: int
    trained_on: int     # vectors in the library when its lists were trained
    library: str = LIBRARY
    format: int = FORMAT

    def fits(self, model: str, dim: int | None = None) -> bool:
        return (self.model == model and self.library == LIBRARY and self.format == FORMAT
                and (dim is None or self.dim == dim))


def index_paths(db_path: str | Path, model: str) -> tuple[Path, Path]:
    """(index file, manifest) of this model, in `vectors/` beside the database file."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", model)
    folder = Path(db_path).resolve().parent / "vectors"
    return folder / f"{safe}.faiss", folder / f"{safe}.json"


def read_manifest(path: Path) -> Manifest | None:
    try:
        return Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


class PersistedIndex:
    """A faiss IVF index with its keys sorted, and where each key's code sits (list, offset)."""

    def __init__(self, index: Any, dim: int) -> None:
        import faiss

        self.index, self.dim, self.faiss = index, dim, faiss
        keys = [np.zeros(0, dtype=np.int64)]
        lists, offsets = [np.zeros(0, dtype=np.int32)], [np.zeros(0, dtype=np.int32)]
        invlists = index.invlists
        for number in range(index.nlist):
            size = invlists.list_size(number)
            if size:
                keys.append(faiss.rev_swig_ptr(invlists.get_ids(number), size).astype(np.int64))
                lists.append(np.full(size, number, dtype=np.int32))
                offsets.append(np.arange(size, dtype=np.int32))
        all_keys = np.concatenate(keys)
        order = np.argsort(all_keys, kind="stable")
        self.keys = all_keys[order]
        self.lists, self.offsets = np.concatenate(lists)[order], np.concatenate(offsets)[order]

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def contains(self, keys: np.ndarray) -> np.ndarray:
        if not len(self):
            return np.zeros(len(keys), dtype=bool)
        positions = np.minimum(np.searchsorted(self.keys, keys), len(self) - 1)
        return self.keys[positions] == keys

    def search(self, query: np.ndarray, count: int, among: np.ndarray | None = None,
               everywhere: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(keys, approximate inner products) of the `count` nearest, best first; `among` keys only;
        `everywhere` searches every list (exact ranking of the quantised vectors)."""
        count = max(1, min(count, len(self)))
        selector = self.faiss.IDSelectorBatch(among.astype(np.int64)) if among is not None else None
        params = self.faiss.SearchParametersIVF(nprobe=self.index.nlist if everywhere else NPROBE, sel=selector)
        scores, keys = self.index.search(query.reshape(1, -1).astype(np.float32), count, params=params)
        found = keys[0] >= 0
        return keys[0][found], scores[0][found]

    def vectors(self, keys: np.ndarray) -> np.ndarray:
        """Dequantised vectors of these keys (all must be in the index)."""
        positions = np.searchsorted(self.keys, keys)
        found = np.empty((len(keys), self.dim), dtype=np.float32)
        for row, position in enumerate(positions):
            self.index.reconstruct_from_offset(int(self.lists[position]), int(self.offsets[position]),
                                               self.faiss.swig_ptr(found[row]))
        return found


def open_index(db_path: str | Path, model: str) -> tuple[PersistedIndex, Manifest] | None:
    """The persisted index, memory-mapped read-only (pages are read as searches touch them), with its
    manifest; None when there is none for this model or it cannot be read."""
    index_file, manifest_file = index_paths(db_path, model)
    manifest = read_manifest(manifest_file)
    if manifest is None or not manifest.fits(model) or not index_file.exists():
        return None
    try:
        import faiss

        index = faiss.read_index(str(index_file), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except (ImportError, RuntimeError, OSError):
        return None
    return PersistedIndex(index, manifest.dim), manifest


def _new_index(db: Any, current: np.ndarray, dim: int) -> Any:
    """An empty index whose lists are trained on a sample of the library (about 2·√N lists, at least
    39 samples each)."""
    import faiss

    from gallery_builder.db import vectors

    lists = int(min(4096, len(current) // 39, max(16, 2 * np.sqrt(len(current)))))
    sample = np.sort(np.random.default_rng(0).choice(current, size=min(len(current), 40 * lists), replace=False))
    rows = [row for row in vectors.vectors_by_id(db, sample.tolist()) if row[2] == dim and len(row[3]) == dim * 4]
    matrix = np.frombuffer(b"".join(row[3] for row in rows), dtype="<f4").reshape(len(rows), dim)
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, lists, faiss.ScalarQuantizer.QT_8bit,
                                          faiss.METRIC_INNER_PRODUCT)
    index.train(np.ascontiguousarray(matrix))
    return index


def _loaded(index_file: Path, manifest: Manifest | None, model: str, dim: int, count: int) -> Any | None:
    """The persisted index read into memory for changing, or None when it must be rebuilt."""
    if (manifest is None or not manifest.fits(model, dim) or not index_file.exists()
            or count > RETRAIN_GROWTH * manifest.trained_on):
        return None
    import faiss

    try:
        return faiss.read_index(str(index_file))
    except RuntimeError:
        return None


def update_vector_index(db: Any, db_path: str | Path, model: str, *, limit: int = EXACT_LIMIT,
                        log: Callable[[str], None] = print) -> str | None:
    """Bring the persisted index of `model` in step with the database (the indexer's job).

    Adds the vectors it lacks, removes the ones that are gone, rebuilds from scratch when it is of
    another format or dimension, has lost more than `REBUILD_SHARE` of its vectors or the library has
    grown `RETRAIN_GROWTH` times since its lists were trained, and deletes it when the library has
    fewer than `limit` vectors. Returns what it did, or None when nothing."""
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
    if importlib.util.find_spec("faiss") is None:
        return f"vector index: faiss-cpu is not installed, searches stay exact (slower past {limit:,} photos)"
    import faiss

    current = np.frombuffer(vectors.vector_ids(db, model)[0], dtype=np.int64)
    manifest = read_manifest(manifest_file)
    index = _loaded(index_file, manifest, model, dim, len(current))
    held = PersistedIndex(index, dim) if index is not None else None
    present = held.contains(current) if held is not None else np.zeros(len(current), dtype=bool)
    gone_keys = held.keys[~np.isin(held.keys, current)] if held is not None else np.zeros(0, dtype=np.int64)
    rebuilt = held is None or len(gone_keys) > REBUILD_SHARE * len(held)
    if rebuilt:
        index, present, gone_keys = _new_index(db, current, dim), np.zeros(len(current), dtype=bool), gone_keys[:0]
        trained_on = len(current)
    else:
        trained_on = manifest.trained_on if manifest is not None else len(current)
    if len(gone_keys):
        index.remove_ids(faiss.IDSelectorBatch(gone_keys))
    missing = current[~present]
    if not missing.size and not len(gone_keys) and manifest is not None and manifest.count == len(current):
        return None
    for start in range(0, missing.size, BATCH):
        rows = vectors.vectors_by_id(db, missing[start:start + BATCH].tolist())
        rows = [row for row in rows if row[2] == dim and len(row[3]) == dim * 4]
        if rows:
            matrix = np.frombuffer(b"".join(row[3] for row in rows), dtype="<f4").reshape(len(rows), dim)
            index.add_with_ids(np.ascontiguousarray(matrix), np.asarray([row[0] for row in rows], dtype=np.int64))
    _save(index, index_file, manifest_file, Manifest(model, dim, int(index.ntotal), int(current.max()), trained_on))
    what = "built" if rebuilt else "updated"
    summary = f"vector index: {what} ({index.ntotal} vectors, {missing.size} added, {len(gone_keys)} removed)"
    log(summary)
    return summary


def _save(index: Any, index_file: Path, manifest_file: Path, manifest: Manifest) -> None:
    """Index first (temp file + rename: a sidecar keeps its mapping of the old file), then the manifest."""
    import faiss

    index_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = temp_path_for(index_file)
    try:
        faiss.write_index(index, str(temporary))
        os.replace(temporary, index_file)
    finally:
        temporary.unlink(missing_ok=True)
    write_json_atomic(manifest_file, asdict(manifest))
