"""The pieces of a remote batch without a cluster: model checksums (cached, refusing a missing or
different copy) and a batch shipped as bytes giving the very results, errors included, that a local
run gives. The real cluster is in test_dask_cluster.py."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gallery_builder.config import load_settings
from gallery_builder.db.connection import connect
from gallery_builder.indexing.remote_task import RemoteBatch, run_remote_batch, ship_inputs
from gallery_builder.indexing.run import run_context
from gallery_builder.ml.bundle_checksum import CACHE_FILE, ModelRefused, files_checksum, refusal
from gallery_builder.passes import get_pass
from tests.search_library import MODEL, build_home
from tests.tiny_clip import write_bundle


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("remote_pass"), passes=("exif", "thumbs"))


def clip_inputs(home: Path):
    settings = load_settings(home, {"clip_model": MODEL}, environ={})
    context = run_context(settings)
    db = connect(settings.db_path)
    ids = [row[0] for row in db.execute("SELECT id FROM photos ORDER BY id")]
    inputs = get_pass("clip").inputs(db, ids, context)
    db.close()
    return settings, context, inputs


def test_the_clip_pass_names_its_model_files_and_their_checksum(home):
    settings, context, _ = clip_inputs(home)
    requirement = get_pass("clip").model_requirement(context)
    assert requirement.files == (f"clip/{MODEL}/config.json", f"clip/{MODEL}/visual/model.onnx",
                                 f"clip/{MODEL}/visual/preprocess_cfg.json")
    assert requirement.checksum == files_checksum(settings.models_dir, requirement.files)
    assert refusal(requirement, settings.models_dir) is None


def test_a_missing_or_different_copy_is_refused_with_what_to_do(home, tmp_path):
    settings, context, _ = clip_inputs(home)
    requirement = get_pass("clip").model_requirement(context)
    assert "is not installed in" in refusal(requirement, tmp_path / "empty")
    write_bundle(tmp_path / "other", MODEL, fixed_batch=True)  # same name, other weights
    message = refusal(requirement, tmp_path / "other")
    assert "differs from the NAS's" in message and requirement.checksum[:12] in message


def test_checksums_are_cached_on_disk_and_follow_a_replaced_file(tmp_path):
    models = tmp_path / "models"
    write_bundle(models, "a")
    files = ["clip/a/visual/model.onnx"]
    first = files_checksum(models, files)
    cached = json.loads((models / CACHE_FILE).read_text())
    assert [entry["sha256"] for entry in cached.values()] and first == files_checksum(models, files)
    model = models / files[0]
    model.write_bytes(model.read_bytes() + b"\0")  # a replaced file: new size, new sum
    assert files_checksum(models, files) != first


def test_a_shipped_batch_gives_the_local_results_and_errors_with_the_nas_paths(home, tmp_path, monkeypatch):
    settings, context, inputs = clip_inputs(home)
    missing = inputs[0].extra["thumb"]
    moved = tmp_path / "moved.jpg"
    shutil.move(missing, moved)
    try:
        local = get_pass("clip").run(inputs, context)
        shipped = ship_inputs(inputs, get_pass("clip").remote_files)
    finally:
        shutil.move(moved, missing)
    assert all(isinstance(item.extra["thumb"].data, bytes) for item in shipped[1:])
    worker_models = tmp_path / "worker-models"
    shutil.copytree(settings.models_dir, worker_models)
    monkeypatch.setenv("GALLERY_MODELS", str(worker_models))  # what `gallery worker --models` sets
    batch = run_remote_batch("clip", shipped, settings, get_pass("clip").model_requirement(context))
    assert isinstance(batch, RemoteBatch) and batch.worker
    assert batch.results == local
    assert local[0].error_code == "missing_input" and missing in local[0].error


def test_a_worker_with_another_model_refuses_the_task(home, tmp_path, monkeypatch):
    settings, context, inputs = clip_inputs(home)
    write_bundle(tmp_path / "other", MODEL, fixed_batch=True)
    monkeypatch.setenv("GALLERY_MODELS", str(tmp_path / "other"))
    with pytest.raises(ModelRefused, match="differs from the NAS's"):
        run_remote_batch("clip", ship_inputs(inputs, ("thumb",)), settings, get_pass("clip").model_requirement(context))


def test_a_model_caught_half_written_refuses_the_batch_instead_of_failing_its_photos(home, tmp_path, monkeypatch):
    settings, context, inputs = clip_inputs(home)
    worker_models = tmp_path / "worker-models"
    shutil.copytree(settings.models_dir, worker_models)
    monkeypatch.setenv("GALLERY_MODELS", str(worker_models))
    config = worker_models / "clip" / MODEL / "config.json"
    whole = config.read_bytes()
    clip = get_pass("clip")
    run = clip.run

    def read_while_copied(items, run_context):   # the copy truncates config.json, the pass reads it, the copy ends
        config.write_bytes(b"")
        try:
            return run(items, run_context)
        finally:
            config.write_bytes(whole)                # the same bytes again: the checksum matches afterwards

    monkeypatch.setattr(clip, "run", read_while_copied)
    with pytest.raises(ModelRefused, match="cannot read"):
        run_remote_batch("clip", ship_inputs(inputs, ("thumb",)), settings, clip.model_requirement(context))


def test_workers_are_shown_by_name_even_when_the_name_is_zero():
    from gallery_builder.indexing.cluster import worker_label

    assert worker_label("tcp://10.0.0.2:4000", {"name": 0}) == "0"  # LocalCluster names its workers 0, 1, ...
    assert worker_label("tcp://10.0.0.2:4000", {"name": "laptop"}) == "laptop"
    assert worker_label("tcp://10.0.0.2:4000", {}) == "tcp://10.0.0.2:4000"
