"""The clip pass through the real runner, the vectors it stores, and the in-memory index built from them."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gallery_builder.config import load_settings
from gallery_builder.db.connection import connect, transaction
from gallery_builder.db.vectors import nearest_in_sql, save_clip_vectors, VectorRow
from gallery_builder.indexing.run import run_context
from gallery_builder.passes import get_pass, registry
from gallery_builder.core.records import RunContext, Scope
from gallery_builder.indexing.runner import PassRunner
from gallery_builder.core.thumb_layout import thumb_relpath
from search_api.vector_index import VectorIndex
from tests.search_library import MODEL, SHOTS, build_home
from tests.tiny_clip import expected_image_embedding, write_bundle


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return build_home(tmp_path_factory.mktemp("clip_pass"))


def _vectors(db, model=MODEL):
    return {row[0]: np.frombuffer(row[1], dtype="<f4") for row in db.execute(
        "SELECT p.name, v.vector FROM clip_vectors v JOIN photos p ON p.id = v.photo_id WHERE v.model = ?", (model,))}


def test_the_pass_is_registered_and_off_by_default():
    the_pass = registry()["clip"]
    assert the_pass.requires == ("thumbs",) and the_pass.default is False


def test_every_photo_gets_the_planted_vector_from_its_thumbnail(home):
    db = connect(home / "gallery.db")
    vectors = _vectors(db)
    assert len(vectors) == len(SHOTS)
    for shot in SHOTS:
        expected = expected_image_embedding(shot.background, shot.thing)
        assert np.allclose(vectors[shot.path.rsplit("/", 1)[1]], expected, atol=0.02), shot.path
    assert get_pass("clip").pending(db, Scope(), RunContext.for_home(home, clip_model=MODEL)) == []


def test_it_reads_the_lightbox_thumbnail_not_the_grid_one_nor_the_original(home, tmp_path):
    db = connect(home / "gallery.db")
    settings = load_settings(home, {"clip_model": MODEL}, environ={})
    row = db.execute("SELECT t.photo_id, t.thumb_key FROM thumbnails t JOIN photos p ON p.id = t.photo_id"
                     " WHERE p.name = 'DSC06241.JPG'").fetchone()
    context = _context_with_own_thumbs(settings, tmp_path)
    for width, colour in ((400, (20, 20, 220)), (1280, (20, 220, 20))):
        path = Path(context.thumbs_dir) / thumb_relpath(row["thumb_key"], width)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 64), colour).save(path)
    the_pass = get_pass("clip")
    [item] = the_pass.inputs(db, [row["photo_id"]], context)
    assert item.extra["thumb"].endswith("-1280.jpg")
    [result] = the_pass.run([item], context)
    vector = np.frombuffer(result.data["vector"], dtype="<f4")
    assert np.allclose(vector, expected_image_embedding((20, 220, 20)), atol=0.02)  # the green 1280 file


def test_missing_thumbnail_is_a_per_photo_error(home, tmp_path):
    db = connect(home / "gallery.db")
    settings = load_settings(home, {"clip_model": MODEL}, environ={})
    context = _context_with_own_thumbs(settings, tmp_path)
    ids = [row[0] for row in db.execute("SELECT id FROM photos ORDER BY id LIMIT 2")]
    results = get_pass("clip").run(get_pass("clip").inputs(db, ids, context), context)
    assert [result.error_code for result in results] == ["missing_input", "missing_input"]
    assert "--force-thumbs" in results[0].error


def test_without_a_model_the_pass_says_how_to_get_one(home):
    settings = load_settings(home, {"clip_model": "ViT-B-32__laion2b-s34b-b79k"}, environ={})
    message = get_pass("clip").check_ready(run_context(settings))
    assert "gallery models fetch ViT-B-32__laion2b-s34b-b79k" in message
    assert get_pass("clip").check_ready(run_context(load_settings(home, {"clip_model": MODEL}, environ={}))) is None


def _run_clip(db, settings, force=False):
    runner = PassRunner(db, run_context(settings), workers=1, log=lambda line: None)
    report = runner.run(["clip"], Scope(), frozenset({"clip"}) if force else frozenset())
    return {item.name: item for item in report.passes}["clip"]


def test_a_model_change_re_embeds_and_force_re_embeds_the_same_model(home, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    write_bundle(copy / "models", "tiny-clip__second")
    db = connect(copy / "gallery.db")
    second = load_settings(copy, {"clip_model": "tiny-clip__second"}, environ={})
    report = _run_clip(db, second)
    assert report.done == len(SHOTS) and report.errors == 0
    assert set(_vectors(db, "tiny-clip__second")) == set(_vectors(db, MODEL))  # both models kept
    again = _run_clip(db, second)
    assert again.done == 0
    before = {row[0]: row[1] for row in db.execute("SELECT photo_id, id FROM clip_vectors WHERE model = ?",
                                                   ("tiny-clip__second",))}
    forced = _run_clip(db, second, force=True)
    after = {row[0]: row[1] for row in db.execute("SELECT photo_id, id FROM clip_vectors WHERE model = ?",
                                                  ("tiny-clip__second",))}
    assert forced.done == len(SHOTS) and set(before) == set(after) and all(after[k] != before[k] for k in before)


def test_memory_search_matches_sqlite_vec_and_follows_changes(home, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    db = connect(copy / "gallery.db")
    index = VectorIndex(MODEL)
    assert index.refresh(db) and not index.refresh(db)
    query = np.frombuffer(db.execute("SELECT vector FROM clip_vectors LIMIT 1").fetchone()[0], dtype="<f4")
    ids, scores, total = index.top(query, 10)
    reference = nearest_in_sql(db, query.astype("<f4").tobytes(), MODEL, 10)
    assert total == len(SHOTS) and ids == [photo_id for photo_id, _ in reference]
    assert np.allclose(scores, [1 - distance for _, distance in reference], atol=1e-5)
    photo_id = ids[-1]
    with transaction(db):  # the indexer adds a vector: only that row is read
        db.execute("DELETE FROM clip_vectors WHERE photo_id = ?", (photo_id,))
        save_clip_vectors(db, [VectorRow(photo_id, MODEL, query.astype("<f4").tobytes(), 8,
                                         db.execute("SELECT content_hash FROM photos WHERE id = ?",
                                                    (photo_id,)).fetchone()[0])])
    assert index.refresh(db)
    ids, scores, _ = index.top(query, 2, among=[photo_id, ids[0]])
    assert sorted(ids) == sorted([photo_id, ids[0]]) and np.allclose(scores, [1.0, 1.0], atol=1e-5)
    with transaction(db):
        db.execute("UPDATE photos SET status = 'missing' WHERE id = ?", (photo_id,))
    assert index.refresh(db) and index.snapshot.count == len(SHOTS) - 1 and index.vector_of(photo_id) is None
    ids, _, total = index.top(query, 10, exclude=ids[0])
    assert total == len(SHOTS) - 2 and photo_id not in ids


def test_vectors_are_stored_in_sqlite_vec_format(home):
    db = connect(home / "gallery.db", readonly=True)
    row = db.execute("SELECT vector, dim, vec_length(vector) FROM clip_vectors LIMIT 1").fetchone()
    assert row[2] == row[1] == 8 and len(row[0]) == 32
    assert abs(float(np.linalg.norm(np.frombuffer(row[0], dtype="<f4"))) - 1) < 1e-5
    assert json.loads(db.execute("SELECT vec_to_json(vector) FROM clip_vectors LIMIT 1").fetchone()[0])
    assert os.path.exists(home / "gallery.db")


def _context_with_own_thumbs(settings, tmp_path):
    """The same settings and models, but a home of its own whose thumbs/ the test fills (or not)."""
    (tmp_path / "own-home").mkdir()
    (tmp_path / "own-home" / "models").symlink_to(settings.models_dir)
    return RunContext.for_home(tmp_path / "own-home", clip_model=settings.clip_model)
