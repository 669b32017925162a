"""The faces and quality passes on Dask workers (issue 15): a batch shipped as bytes and run as a worker
runs it (its own models folder, nothing written to the NAS's disk) stores, once saved on the NAS, the
very faces, crop files and scores of a local run; a worker without the models (or with another copy)
is refused in one line. The last test runs both passes on a real loopback scheduler and worker."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gallery_builder.config import load_settings, resolve_roots, save_settings
from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db.connection import connect, transaction
from gallery_builder.indexing.progress import Progress
from gallery_builder.indexing.remote_task import run_remote_batch, ship_inputs
from gallery_builder.indexing.runner import PassRunner
from gallery_builder.ml import bundle_checksum
from gallery_builder.ml.bundle_checksum import ModelRefused, ModelRequirement, refusal
from gallery_builder.passes import get_pass
from gallery_builder.passes.base import goes_remote
from tests.search_library import MODEL, build_home
from tests.test_faces_pass import _library
from tests.tiny_aesthetic import write_head
from tests.tiny_clip import write_bundle
from tests.tiny_faces import write_buffalo_bundle

HEAD = "laion-improved__ViT-L-14__openai"   # the default name, planted weights (an image-embedding mlp head)
HEAD_CLIP = "tiny-clip__other"              # the head's own CLIP model, not the clip pass's


@pytest.fixture(scope="module")
def faces_home(tmp_path_factory) -> Path:
    """Planted faces (tests/test_faces_pass.py's library) up to thumbnails, the tiny buffalo_l bundle."""
    from gallery_builder.indexing.run import index_roots

    base = tmp_path_factory.mktemp("remote_faces")
    home = base / "home"
    write_buffalo_bundle(home / "models")
    settings, roots = resolve_roots(load_settings(home, {"workers": 1}, environ={}), [_library(base / "photos")])
    save_settings(settings)
    index_roots(settings, roots, ["exif", "thumbs"], show_bar=False, log=lambda line: None, export=False)
    return home


@pytest.fixture(scope="module")
def quality_home(tmp_path_factory) -> Path:
    home = build_home(tmp_path_factory.mktemp("remote_quality"), passes=("exif", "thumbs", "clip"))
    write_bundle(home / "models", HEAD_CLIP)
    write_head(home / "models", HEAD, HEAD_CLIP, kind="mlp")
    return home


def copy_home(home: Path, target: Path) -> Path:
    shutil.copytree(home, target)
    return target


def context_of(home: Path, **overrides) -> RunContext:
    return RunContext(load_settings(home, overrides, environ={}))


def run_locally(home: Path, context: RunContext, name: str) -> None:
    db = connect(home / "gallery.db")
    try:
        report = {item.name: item for item in PassRunner(db, context, workers=1, log=lambda line: None).run(
            [name], Scope()).passes}[name]
        assert report.done and not report.skipped_reason
    finally:
        db.close()


def run_as_a_worker(home: Path, context: RunContext, name: str, worker_models: Path, monkeypatch) -> list:
    """What the NAS and a worker do for one batch, with the worker's own models folder."""
    the_pass = get_pass(name)
    db = connect(home / "gallery.db")
    try:
        inputs = the_pass.inputs(db, the_pass.pending(db, Scope(), context), context)
    finally:
        db.close()
    shipped = ship_inputs(inputs, the_pass.remote_files)
    assert all(isinstance(item.extra["thumb"].data, bytes) for item in shipped)
    settings = the_pass.remote_settings(context) if hasattr(the_pass, "remote_settings") else context.settings
    monkeypatch.setenv("GALLERY_MODELS", str(worker_models))  # what `gallery worker --models` sets
    return run_remote_batch(name, shipped, settings, the_pass.model_requirement(context)).results


def save_on_the_nas(home: Path, name: str, results: list) -> None:
    db = connect(home / "gallery.db")
    try:
        with transaction(db):
            get_pass(name).save(db, [result for result in results if result.ok])
    finally:
        db.close()


def stored(home: Path, sql: str) -> list[tuple]:
    db = connect(home / "gallery.db")
    try:
        return [tuple(row) for row in db.execute(sql)]
    finally:
        db.close()


FACES_SQL = ("SELECT p.name, f.backend, f.x, f.y, f.w, f.h, f.landmarks, f.score, f.size_px, f.clusterable,"
             " f.embedding, f.crop_key FROM faces f JOIN photos p ON p.id = f.photo_id ORDER BY p.name, f.x, f.y")


def crop_files(home: Path) -> dict[str, bytes]:
    root = home / "thumbs" / "faces"
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*.jpg"))}


def test_faces_through_a_worker_store_the_same_faces_and_crops_as_a_local_run(faces_home, tmp_path, monkeypatch):
    local, remote = copy_home(faces_home, tmp_path / "local"), copy_home(faces_home, tmp_path / "remote")
    run_locally(local, context_of(local), "faces")
    context = context_of(remote)
    assert context.settings.face_backend == "auto"
    assert get_pass("faces").remote_settings(context).face_backend == "buffalo_l"  # pinned to the NAS's choice
    worker_models = shutil.copytree(remote / "models", tmp_path / "worker-models")
    results = run_as_a_worker(remote, context, "faces", worker_models, monkeypatch)
    assert sum(len(result.data["faces"]) for result in results if result.ok) == 4
    assert not (remote / "thumbs" / "faces").exists()  # the worker wrote nothing on the NAS's disk
    save_on_the_nas(remote, "faces", results)
    assert len(stored(local, FACES_SQL)) == 4
    assert stored(remote, FACES_SQL) == stored(local, FACES_SQL)
    assert len(crop_files(local)) == 4 and crop_files(remote) == crop_files(local)


def test_the_remote_runner_ships_the_backend_chosen_here_not_auto(faces_home):
    """A worker holding buffalo_l would pick it under `auto` while the NAS picked dlib: never mix them."""
    from types import SimpleNamespace

    from gallery_builder.indexing.remote_runner import RemotePass

    submitted: list[tuple] = []
    client = SimpleNamespace(submit=lambda *args, **kwargs: submitted.append(args) or len(submitted))
    context = context_of(faces_home)
    db = connect(faces_home / "gallery.db")
    try:
        inputs = get_pass("faces").inputs(db, get_pass("faces").pending(db, Scope(), context), context)
    finally:
        db.close()
    remote = RemotePass(SimpleNamespace(client=client), get_pass("faces"), None, context, save=lambda *args: None,
                        progress=Progress(None, show_bar=False), log=lambda line: None, wait_seconds=1)
    remote._submit(inputs)
    [(_, name, shipped, settings, requirement)] = submitted
    assert (name, settings.face_backend, requirement.label) == ("faces", "buffalo_l", "face backend buffalo_l")
    assert [item.extra["thumb"].original for item in shipped] == [item.extra["thumb"] for item in inputs]


def test_a_worker_without_the_face_models_is_refused_in_one_line(faces_home, tmp_path, monkeypatch):
    context = context_of(faces_home)
    requirement = get_pass("faces").model_requirement(context)
    assert requirement.files == ("faces/buffalo_l/detection/model.onnx", "faces/buffalo_l/recognition/model.onnx")
    assert refusal(requirement, faces_home / "models") is None
    empty = tmp_path / "empty-models"
    empty.mkdir()
    message = refusal(requirement, empty)
    assert "\n" not in message
    assert message.startswith(f"face backend buffalo_l is not installed in {empty} (missing: "
                              "faces/buffalo_l/detection/model.onnx, faces/buffalo_l/recognition/model.onnx)")
    monkeypatch.setenv("GALLERY_MODELS", str(empty))
    with pytest.raises(ModelRefused, match="face backend buffalo_l is not installed"):
        run_remote_batch("faces", [], get_pass("faces").remote_settings(context), requirement)


def test_dlib_faces_need_the_same_face_recognition_models_files_on_the_worker(faces_home, tmp_path, monkeypatch):
    pytest.importorskip("dlib")
    context = context_of(faces_home, face_backend="dlib")
    requirement = get_pass("faces").model_requirement(context)
    nas_copy = bundle_checksum.package_folder("face_recognition_models")
    assert requirement.package == "face_recognition_models" and requirement.modules == ("dlib",)
    assert all((nas_copy / name).is_file() for name in requirement.files)
    assert refusal(requirement, tmp_path) is None   # its own package's copy, wherever the models folder is
    other = tmp_path / "other-copy"
    for name in requirement.files:
        (other / name).parent.mkdir(parents=True, exist_ok=True)
        (other / name).symlink_to(nas_copy / name)
    changed = other / requirement.files[-1]
    changed.unlink()
    changed.write_bytes(b"other weights")
    monkeypatch.setattr(bundle_checksum, "package_folder", lambda package: other)
    assert "face backend dlib in the package face_recognition_models" in refusal(requirement, tmp_path)
    assert "differs from the NAS's" in refusal(requirement, tmp_path)
    monkeypatch.setattr(bundle_checksum, "package_folder", lambda package: None)
    assert refusal(requirement, tmp_path) == (
        "face backend dlib is not installed on this worker (no Python package face_recognition_models); "
        "install the NAS's version of it (this worker fetches nothing)")
    no_module = ModelRequirement("x", (), requirement.checksum, modules=("no_such_module_here",))
    assert "needs the Python module no_such_module_here on this worker" in refusal(no_module, tmp_path)


def test_quality_goes_to_workers_only_for_a_head_that_embeds_images(quality_home, tmp_path):
    models = copy_home(quality_home / "models", tmp_path / "models")
    write_head(models, "laion-linear__tiny", MODEL, kind="linear")
    quality = get_pass("quality")
    image_head = RunContext(load_settings(quality_home, {"clip_model": MODEL, "models": str(models)}, environ={}))
    stored_vectors = RunContext(load_settings(quality_home, {"clip_model": MODEL, "models": str(models),
                                                             "quality_model": "laion-linear__tiny"}, environ={}))
    assert goes_remote(quality, image_head) and not goes_remote(quality, stored_vectors)
    assert goes_remote(get_pass("clip"), image_head) and not goes_remote(get_pass("exif"), image_head)
    assert get_pass("quality").model_requirement(image_head).files == (
        f"aesthetic/{HEAD}/config.json", f"aesthetic/{HEAD}/head.onnx", f"clip/{HEAD_CLIP}/config.json",
        f"clip/{HEAD_CLIP}/visual/model.onnx", f"clip/{HEAD_CLIP}/visual/preprocess_cfg.json")


def test_with_a_cluster_the_runner_keeps_stored_vector_scoring_here(quality_home, tmp_path):
    home = copy_home(quality_home, tmp_path / "home")
    write_head(home / "models", "laion-linear__tiny", MODEL, kind="linear")
    nowhere = "tcp://127.0.0.1:9"   # no scheduler: a pass sent there would be skipped
    context = context_of(home, clip_model=MODEL, quality_model="laion-linear__tiny", cluster=nowhere)
    db = connect(home / "gallery.db")
    try:
        report = PassRunner(db, context, workers=1, log=lambda line: None, cluster=nowhere).run(["quality"], Scope())
    finally:
        db.close()
    assert [(item.name, item.skipped_reason, item.done) for item in report.passes][-1] == ("quality", None, 6)


def test_with_a_cluster_the_nas_loads_no_model_the_workers_run(faces_home, quality_home, monkeypatch):
    from gallery_builder.ml import aesthetic
    from gallery_builder.passes import faces

    monkeypatch.setattr(faces, "_BACKENDS", {})
    monkeypatch.setattr(aesthetic, "_SCORERS", {})
    get_pass("faces").warm_up(context_of(faces_home, cluster="tcp://127.0.0.1:9"))
    get_pass("quality").warm_up(context_of(quality_home, clip_model=MODEL, cluster="tcp://127.0.0.1:9"))
    assert (faces._BACKENDS, aesthetic._SCORERS) == ({}, {})
    get_pass("faces").warm_up(context_of(faces_home))
    get_pass("quality").warm_up(context_of(quality_home, clip_model=MODEL))
    assert (len(faces._BACKENDS), len(aesthetic._SCORERS)) == (1, 1)


def test_on_a_dask_worker_the_face_models_take_the_workers_thread_share(faces_home, monkeypatch):
    from gallery_builder.passes import faces

    monkeypatch.setattr(faces, "_BACKENDS", {})
    monkeypatch.setenv("GALLERY_ONNX_THREADS", "1")   # what `gallery worker --threads N` sets: cores / N
    faces.backend_for(context_of(faces_home))
    assert [key[2] for key in faces._BACKENDS] == [1]


def test_a_worker_with_an_int8_tower_the_nas_lacks_is_refused(quality_home, tmp_path):
    """The head would embed with the worker's int8 copy instead of the fp32 tower: other scores."""
    context = context_of(quality_home, clip_model=MODEL)
    requirement = get_pass("quality").model_requirement(context)
    worker_models = shutil.copytree(quality_home / "models", tmp_path / "worker-models")
    assert refusal(requirement, worker_models) is None
    (worker_models / "aesthetic" / HEAD / "visual-int8.onnx").write_bytes(b"an int8 copy")
    assert refusal(requirement, worker_models) == (
        f"aesthetic head '{HEAD}' with CLIP model '{HEAD_CLIP}' in {worker_models} has "
        f"aesthetic/{HEAD}/visual-int8.onnx, which the NAS's copy lacks and which would change the results; "
        f"remove it from this worker or add it to the NAS")


def test_quality_through_a_worker_stores_the_same_scores_as_a_local_run(quality_home, tmp_path, monkeypatch):
    local, remote = copy_home(quality_home, tmp_path / "local"), copy_home(quality_home, tmp_path / "remote")
    run_locally(local, context_of(local, clip_model=MODEL), "quality")
    worker_models = shutil.copytree(remote / "models", tmp_path / "worker-models")
    results = run_as_a_worker(remote, context_of(remote, clip_model=MODEL), "quality", worker_models, monkeypatch)
    save_on_the_nas(remote, "quality", results)
    sql = "SELECT p.path, q.model, q.score FROM photo_quality q JOIN photos p ON p.id = q.photo_id ORDER BY p.path"
    assert len(stored(local, sql)) >= 5 and stored(remote, sql) == stored(local, sql)
    write_bundle(tmp_path / "other-models", HEAD_CLIP, fixed_batch=True)  # same name, other weights
    monkeypatch.setenv("GALLERY_MODELS", str(tmp_path / "other-models"))
    context = context_of(remote, clip_model=MODEL)
    with pytest.raises(ModelRefused, match=f"aesthetic head '{HEAD}' with CLIP model '{HEAD_CLIP}' is not installed"):
        run_remote_batch("quality", [], context.settings, get_pass("quality").model_requirement(context))


@pytest.mark.slow
def test_faces_and_quality_on_a_loopback_worker_store_what_a_local_run_stores(faces_home, tmp_path):
    """A real `gallery scheduler` and `gallery worker` (subprocesses); the NAS side is the runner."""
    from tests.dask_cluster import copy_models, start_cluster

    local, remote = copy_home(faces_home, tmp_path / "local"), copy_home(faces_home, tmp_path / "remote")
    for home in (local, remote):
        write_bundle(home / "models", HEAD_CLIP)
        write_head(home / "models", HEAD, HEAD_CLIP, kind="mlp")
    run_locally(local, context_of(local), "faces")
    run_locally(local, context_of(local), "quality")
    logs = tmp_path / "logs"
    logs.mkdir()
    cluster = start_cluster(logs)
    try:
        cluster.start_worker("laptop", copy_models(remote, tmp_path / "worker-models"))
        context = context_of(remote, cluster=cluster.address)
        progress = Progress(None, show_bar=False)
        db = connect(remote / "gallery.db")
        try:
            report = PassRunner(db, context, workers=1, log=lambda line: None, progress=progress,
                                cluster=cluster.address).run(["faces", "quality"], Scope())
        finally:
            db.close()
    finally:
        cluster.close()
    ran = {item.name: item for item in report.passes}
    assert [(ran[name].skipped_reason, ran[name].done) for name in ("faces", "quality")] == [(None, 3), (None, 3)]
    assert [(row["name"], row["photos"]) for row in progress.state["workers"]] == [("laptop", 6)]  # all on the worker
    assert stored(remote, FACES_SQL) == stored(local, FACES_SQL) and len(stored(local, FACES_SQL)) == 4
    assert crop_files(remote) == crop_files(local)
    sql = "SELECT p.name, q.model, q.score FROM photo_quality q JOIN photos p ON p.id = q.photo_id ORDER BY p.name"
    assert stored(remote, sql) == stored(local, sql) and len(stored(local, sql)) == 3
