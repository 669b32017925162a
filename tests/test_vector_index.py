"""The persisted vector index: the indexer builds and keeps it beside the database, the sidecar
memory-maps it, answers like exact search on a planted set, and stays right while it is stale.

A low `limit` / `ann_limit` makes the approximate path run on a few thousand vectors.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gallery_builder.db.connection import connect, transaction
from gallery_builder.ml.vector_store import index_paths, read_manifest, update_vector_index
from search_api.vector_index import VectorIndex

pytest.importorskip("faiss")

MODEL = "planted__test"
DIM = 64
CLUSTERS, MEMBERS = 40, 60
LIMIT = 1000
REPO = Path(__file__).resolve().parents[1]


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def planted(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Cluster centres and 2,400 members: each member is far closer to its own centre than to any other.

    (Not a star: one near twin of the centre per cluster makes HNSW's neighbour pruning link every
    member to the twin alone, and recall collapses for any HNSW library, float32 too.)"""
    rng = np.random.default_rng(seed)
    centres = unit(rng.standard_normal((CLUSTERS, DIM)))
    members = unit(np.repeat(centres, MEMBERS, axis=0) + 0.35 * unit(rng.standard_normal((CLUSTERS * MEMBERS, DIM))))
    return centres, members


def add_photos(db, vectors: np.ndarray, first_id: int) -> list[int]:
    ids = list(range(first_id, first_id + len(vectors)))
    stamp = "2024-01-01T00:00:00+00:00"
    with transaction(db):
        db.execute("INSERT OR IGNORE INTO roots (id, label, path) VALUES (1, 'photos', '/photos')")
        db.executemany(
            "INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns, content_hash,"
            " first_seen, last_seen) VALUES (?, 1, ?, ?, 'f', ?, 'photo', 1, 0, ?, ?, ?)",
            [(i, f"f/{i}.jpg", f"f/{i}.jpg".encode(), f"{i}.jpg", f"{i:032x}", stamp, stamp) for i in ids])
        db.executemany(
            "INSERT INTO clip_vectors (photo_id, model, dim, vector, content_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(i, MODEL, DIM, vector.astype("<f4").tobytes(), f"{i:032x}", stamp) for i, vector in zip(ids, vectors)])
    return ids


def delete_photos(db, ids: list[int]) -> None:
    with transaction(db):
        db.executemany("DELETE FROM clip_vectors WHERE photo_id = ?", [(i,) for i in ids])


@pytest.fixture
def library(tmp_path):
    centres, members = planted()
    db = connect(tmp_path / "gallery.db")
    add_photos(db, members, 1)
    yield tmp_path / "gallery.db", db, centres, members
    db.close()


def sidecar_index(db_path: Path, ann_limit: int = LIMIT) -> tuple[VectorIndex, object]:
    reader = connect(db_path, readonly=True)
    index = VectorIndex(MODEL, ann_limit=ann_limit)
    index.refresh(reader)
    return index, reader


def test_the_indexer_builds_and_persists_the_index_beside_the_database(library):
    db_path, db, _, members = library
    said: list[str] = []
    summary = update_vector_index(db, db_path, MODEL, limit=LIMIT, log=said.append)
    index_file, manifest_file = index_paths(db_path, MODEL)
    assert index_file.parent == db_path.parent / "vectors" and index_file.stat().st_size > 0
    assert read_manifest(manifest_file).count == len(members) and read_manifest(manifest_file).dim == DIM
    assert json.loads(manifest_file.read_text())["max_rowid"] == len(members)
    assert said == [summary] and "built" in summary
    assert update_vector_index(db, db_path, MODEL, limit=LIMIT) is None  # nothing to do: not rewritten


def test_approximate_search_gives_the_exact_top_results_on_a_planted_set(library):
    db_path, db, centres, _ = library
    update_vector_index(db, db_path, MODEL, limit=LIMIT)
    approximate, reader = sidecar_index(db_path)
    exact, _ = sidecar_index(db_path, ann_limit=10**9)
    assert approximate.mode == "approximate" and exact.mode == "exact"
    assert approximate.snapshot.matrix.shape == (0, DIM)  # nothing held as float32 in the sidecar
    for number, centre in enumerate(centres):
        ids, scores, total = approximate.top(centre, MEMBERS)
        exact_ids, exact_scores, exact_total = exact.top(centre, MEMBERS)
        assert set(ids) == set(exact_ids) == set(range(number * MEMBERS + 1, (number + 1) * MEMBERS + 1))
        assert total == exact_total == CLUSTERS * MEMBERS
        member = number * MEMBERS + 7
        nearest = approximate.top(approximate.vector_of(member), 1)[0]
        assert nearest == exact.top(exact.vector_of(member), 1)[0] == [member]
        assert np.allclose(scores, sorted(exact_scores, reverse=True), atol=0.03)
    reader.close()


def test_find_similar_and_filters_match_exact_search(library):
    db_path, db, _, members = library
    update_vector_index(db, db_path, MODEL, limit=LIMIT)
    approximate, reader = sidecar_index(db_path)
    exact, _ = sidecar_index(db_path, ann_limit=10**9)
    vector = approximate.vector_of(75)
    assert vector is not None and float(vector @ members[74]) > 0.99
    same_cluster = set(range(MEMBERS + 1, 2 * MEMBERS + 1)) - {75}
    assert set(approximate.top(vector, MEMBERS - 1, exclude=75)[0]) == same_cluster
    small = list(range(1, len(members) + 1, 7))        # ranked exactly from the index's vectors
    large = list(range(1, len(members) + 1, 2))        # the index's answers, filtered
    for among in (small, large):
        ids, _, total = approximate.top(vector, 20, among, exclude=75)
        exact_ids, _, exact_total = exact.top(vector, 20, among, exclude=75)
        assert set(ids) == set(exact_ids) and total == exact_total
    reader.close()


def test_a_stale_index_never_answers_a_deleted_vector_and_finds_new_ones(library):
    db_path, db, centres, members = library
    update_vector_index(db, db_path, MODEL, limit=LIMIT)
    delete_photos(db, list(range(1, 31)))                      # half of the first cluster is gone
    newcomers = add_photos(db, unit(centres[:1] + 0.01 * np.ones((5, DIM))), 10_001)
    index, reader = sidecar_index(db_path)
    assert index.mode == "approximate" and index.snapshot.ann.stale == 30
    ids, _, total = index.top(centres[0], MEMBERS)
    assert set(ids[:5]) == set(newcomers) and not set(ids) & set(range(1, 31))
    assert set(ids) >= set(range(31, MEMBERS + 1)) and total == len(members) - 30 + 5
    said = update_vector_index(db, db_path, MODEL, limit=LIMIT)
    assert said == "vector index: updated (2375 vectors, 5 added, 30 removed)"
    rebuilt, _ = sidecar_index(db_path)
    assert rebuilt.snapshot.ann.stale == 0 and rebuilt.snapshot.ann.exact_rows.size == 0
    assert set(rebuilt.top(centres[0], 35)[0]) == set(newcomers) | set(range(31, MEMBERS + 1))
    reader.close()


def test_an_index_that_lost_much_is_rebuilt_and_a_small_library_has_none(library):
    db_path, db, _, members = library
    update_vector_index(db, db_path, MODEL, limit=LIMIT)
    delete_photos(db, list(range(1, 700)))
    assert update_vector_index(db, db_path, MODEL, limit=LIMIT).startswith("vector index: built (1701 vectors")
    delete_photos(db, list(range(700, 1800)))
    said = update_vector_index(db, db_path, MODEL, limit=LIMIT)
    assert said.startswith("vector index: removed") and not any(path.exists() for path in index_paths(db_path, MODEL))
    index, reader = sidecar_index(db_path)
    assert index.mode == "exact" and index.snapshot.count == len(members) - 1799
    reader.close()


def test_the_sidecar_takes_a_newer_index_without_a_database_change(library):
    db_path, db, centres, _ = library
    index, reader = sidecar_index(db_path)
    assert index.mode == "exact"                       # above the limit, but no index yet
    update_vector_index(db, db_path, MODEL, limit=LIMIT)
    index.checked_at = 0.0                             # as if RECHECK_SECONDS had passed
    ids = index.top(centres[3], MEMBERS)[0]
    assert index.mode == "approximate" and set(ids) == set(range(3 * MEMBERS + 1, 4 * MEMBERS + 1))
    reader.close()


def test_an_index_of_another_model_or_format_is_not_used(library):
    db_path, db, _, _ = library
    update_vector_index(db, db_path, MODEL, limit=LIMIT)
    manifest_file = index_paths(db_path, MODEL)[1]
    manifest = json.loads(manifest_file.read_text())
    manifest_file.write_text(json.dumps({**manifest, "format": manifest["format"] + 1}))
    index, reader = sidecar_index(db_path)
    assert index.mode == "exact"
    assert update_vector_index(db, db_path, MODEL, limit=LIMIT).startswith("vector index: built")
    reader.close()


def test_the_sidecar_loads_the_index_without_forbidden_modules(library):
    db_path, db, centres, _ = library
    update_vector_index(db, db_path, MODEL, limit=LIMIT)
    script = (
        "import sys, numpy as np\n"
        "from gallery_builder.db.connection import connect\n"
        "from search_api.vector_index import VectorIndex\n"
        f"index = VectorIndex({MODEL!r}, ann_limit={LIMIT})\n"
        f"index.refresh(connect({str(db_path)!r}, readonly=True))\n"
        f"ids = index.top(np.asarray({centres[0].tolist()!r}, dtype=np.float32), 5)[0]\n"
        "heavy = [m for m in ('torch', 'PIL', 'jinja2', 'pyarrow', 'open_clip', 'insightface') if m in sys.modules]\n"
        "print(index.mode, heavy, ids)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    mode, rest = done.stdout.split(" ", 1)
    assert mode == "approximate" and rest.startswith("[] ")

