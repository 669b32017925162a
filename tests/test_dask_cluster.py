"""Heavy passes on Dask workers (issue 15), on loopback with a real scheduler and real worker
processes (`gallery scheduler`, `gallery worker`): the same vectors as a local run, a worker killed
mid-run, workers without (or with other) models, and Ctrl-C then resume. The NAS side runs as the
user runs it: `gallery index --cluster ...` in a subprocess."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gallery_builder.config import load_settings
from gallery_builder.core.records import Scope
from gallery_builder.db.connection import connect
from gallery_builder.indexing.run import run_context
from gallery_builder.indexing.runner import PassRunner
from tests.dask_cluster import MODEL, REPO, Cluster, build_thumbnailed_home, copy_models, start_cluster
from tests.tiny_clip import write_bundle
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
COUNT = 40
INDEX_ENV = {"GALLERY_PASSES": "exif,thumbs", "GALLERY_CLIP_MODEL": MODEL, "PYTHONPATH": str(REPO)}


@pytest.fixture(scope="module")
def nas_home(tmp_path_factory) -> Path:
    # ballast: each image costs ~135 ms on one core, so a test can act while the run is under way (also on a
    # loaded machine: at ~45 ms the 40 photos were done before a Ctrl-C could land)
    return build_thumbnailed_home(tmp_path_factory.mktemp("dask_library"), COUNT, ballast=480)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, nas_home):
    logs = tmp_path_factory.mktemp("dask_logs")
    running = start_cluster(logs)
    try:
        for name in ("alpha", "beta"):
            running.start_worker(name, copy_models(nas_home, logs / f"models-{name}"))
        yield running
    finally:
        running.close()


def fresh_home(nas_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(nas_home, home)
    return home


def index_args(home: Path, cluster: Cluster, *extra: str) -> list[str]:
    return [sys.executable, "-m", "gallery_builder", "index", "--home", str(home), "--clip", "--cluster",
            cluster.address, "--no-export", "--no-progress", *extra]


def index(home: Path, cluster: Cluster, *extra: str) -> subprocess.CompletedProcess:
    result = subprocess.run(index_args(home, cluster, *extra), capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, **INDEX_ENV}, timeout=200)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def vectors(home: Path) -> dict[str, np.ndarray]:
    db = connect(home / "gallery.db")
    try:
        return {row[0]: np.frombuffer(row[1], dtype="<f4") for row in db.execute(
            "SELECT p.name, v.vector FROM clip_vectors v JOIN photos p ON p.id = v.photo_id WHERE v.model = ?",
            (MODEL,))}
    finally:
        db.close()


def stored_once(home: Path) -> tuple[int, int, int]:
    """(vectors, vectors ever inserted, ok clip results): equal when no vector was saved twice."""
    db = sqlite3.connect(f"file:{home / 'gallery.db'}?mode=ro", uri=True)
    try:
        count = db.execute("SELECT COUNT(*) FROM clip_vectors").fetchone()[0]
        inserted = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'clip_vectors'").fetchone()
        ok = db.execute("SELECT COUNT(*) FROM pass_runs WHERE pass = 'clip' AND status = 'ok'").fetchone()[0]
        return count, inserted[0] if inserted else 0, ok
    finally:
        db.close()


def clip_failures(home: Path) -> list[tuple]:
    """The clip pass's runs that did not succeed (what an assertion on stored_once shows)."""
    db = sqlite3.connect(f"file:{home / 'gallery.db'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT photo_id, status, error FROM pass_runs WHERE pass = 'clip' AND status != 'ok'"
                          ).fetchall()
    finally:
        db.close()


def progress(home: Path) -> dict:
    return json.loads((home / "progress.json").read_text())


def processing_by_worker(cluster: Cluster) -> dict[str, int]:
    with cluster.client() as client:
        return client.run_on_scheduler(lambda dask_scheduler: {
            str(state.name): len(state.processing) for state in dask_scheduler.workers.values()})


def test_a_cluster_run_stores_the_same_vectors_as_a_local_run_and_status_shows_the_workers(nas_home, cluster, tmp_path):
    local = fresh_home(nas_home, tmp_path / "local")
    settings = load_settings(local, {"clip_model": MODEL}, environ={})
    db = connect(settings.db_path)
    PassRunner(db, run_context(settings), workers=1, log=lambda line: None).run(["clip"], Scope())
    db.close()

    remote = fresh_home(nas_home, tmp_path / "remote")
    result = index(remote, cluster, "--batch-size", "4")
    assert f"clip: {COUNT} done, 0 errors" in result.stdout
    expected, got = vectors(local), vectors(remote)
    assert len(expected) == COUNT and set(got) == set(expected)
    for name, vector in expected.items():
        assert np.allclose(got[name], vector, atol=1e-6), name
    assert stored_once(remote) == (COUNT, COUNT, COUNT)
    state = progress(remote)
    assert state["state"] == "done" and state["cluster"] == cluster.address
    rows = {row["name"]: row for row in state["workers"]}
    assert {"alpha", "beta"} <= set(rows)
    assert sum(row["photos"] for row in rows.values()) == COUNT and all(rows[name]["photos"] for name in ("alpha", "beta"))
    assert all(rows[name]["rate"] > 0 and rows[name]["refused"] is None for name in ("alpha", "beta"))

    # `gallery status` with the cluster configured: the connected workers, with the last run's throughput
    status = subprocess.run([sys.executable, "-m", "gallery_builder", "status", "--home", str(remote), "--json"],
                            capture_output=True, text=True, cwd=REPO, timeout=120,
                            env={**os.environ, **INDEX_ENV, "GALLERY_CLUSTER": cluster.address})
    assert status.returncode == 0, status.stderr
    seen = {row["name"]: row for row in json.loads(status.stdout)["cluster"]["workers"]}
    assert {"alpha", "beta"} <= set(seen) and seen["alpha"]["photos"] == rows["alpha"]["photos"]
    assert seen["alpha"]["threads"] == 1 and seen["alpha"]["address"].startswith("tcp://127.0.0.1:")
    text = subprocess.run([sys.executable, "-m", "gallery_builder", "status", "--home", str(remote)],
                          capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, **INDEX_ENV, "GALLERY_CLUSTER": cluster.address}).stdout
    assert f"cluster {cluster.address}: " in text and f"{rows['beta']['photos']:>7} photos in the last run" in text


def test_a_worker_killed_mid_run_loses_nothing_and_nothing_is_stored_twice(nas_home, cluster, tmp_path):
    home = fresh_home(nas_home, tmp_path)
    run = subprocess.Popen(index_args(home, cluster, "--batch-size", "1"), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, cwd=REPO, env={**os.environ, **INDEX_ENV})
    try:
        wait_for(lambda: processing_by_worker(cluster).get("alpha"), 120, "alpha to hold clip tasks", interval=0.02)
        cluster.workers["alpha"].stop(signal.SIGKILL)  # the worker and its nanny: a laptop gone
        output, _ = run.communicate(timeout=200)
    finally:
        if run.poll() is None:
            run.kill()
        cluster.workers.pop("alpha", None)
    assert run.returncode == 0, output
    before_kill = stored_once(home)
    assert before_kill == (COUNT, COUNT, COUNT), output
    assert f"clip: {COUNT} done, 0 errors" in output
    cluster.start_worker("alpha", copy_models(nas_home, tmp_path / "models-alpha-again"))


def test_workers_without_the_model_or_with_another_say_so_once_and_get_no_tasks(nas_home, cluster, tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    other = tmp_path / "other-models"
    write_bundle(other, MODEL, fixed_batch=True)  # same name, different weights file
    cluster.start_worker("empty", empty)
    cluster.start_worker("stale", other)
    try:
        home = fresh_home(nas_home, tmp_path)
        result = index(home, cluster, "--batch-size", "2")
        assert "no model bundle in" in cluster.workers["empty"].output()
        assert result.stdout.count("worker empty") == 1 and "is not installed in" in result.stdout
        assert result.stdout.count("worker stale") == 1 and "differs from the NAS's" in result.stdout
        assert stored_once(home) == (COUNT, COUNT, COUNT)
        rows = {row["name"]: row for row in progress(home)["workers"]}
        assert rows["empty"]["photos"] == 0 and "not installed" in rows["empty"]["refused"]
        assert rows["stale"]["photos"] == 0 and "differs" in rows["stale"]["refused"]
    finally:
        cluster.stop_worker("empty")
        cluster.stop_worker("stale")


def test_a_worker_whose_model_changes_mid_run_refuses_its_tasks_and_others_take_them(nas_home, cluster, tmp_path):
    models = copy_models(nas_home, tmp_path / "models-gamma")
    cluster.start_worker("gamma", models)
    home = fresh_home(nas_home, tmp_path)
    run = subprocess.Popen(index_args(home, cluster, "--batch-size", "1"), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, cwd=REPO, env={**os.environ, **INDEX_ENV})
    try:
        wait_for(lambda: processing_by_worker(cluster).get("gamma"), 120, "gamma to hold clip tasks", interval=0.02)
        write_bundle(models, MODEL, fixed_batch=True, ballast=160)  # other weights under the same name
        try:
            output, _ = run.communicate(timeout=200)
        except subprocess.TimeoutExpired:
            run.kill()
            logs = "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                             for path in sorted(cluster.log_dir.glob("*.log")))
            pytest.fail(f"the run did not end in 200 s:\n{run.communicate()[0]}\n{logs}")
    finally:
        if run.poll() is None:
            run.kill()
        cluster.stop_worker("gamma")
    assert run.returncode == 0, output
    assert "worker gamma: " in output and "differs from the NAS's" in output and "sending its photos elsewhere" in output
    assert stored_once(home) == (COUNT, COUNT, COUNT), (clip_failures(home), output)


def test_ctrl_c_cancels_the_tasks_keeps_saved_batches_and_the_next_run_finishes(nas_home, cluster, tmp_path):
    home = fresh_home(nas_home, tmp_path)
    run = subprocess.Popen(index_args(home, cluster, "--batch-size", "1"), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, cwd=REPO, env={**os.environ, **INDEX_ENV})
    try:
        wait_for(lambda: (home / "gallery.db").exists() and stored_once(home)[0] > 0, 120, "a first saved batch",
                 interval=0.02)
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, output
    assert "interrupted: finished batches are saved" in output
    saved, inserted, ok = stored_once(home)
    assert 0 < saved < COUNT and saved == inserted == ok
    assert progress(home)["state"] == "interrupted"
    wait_for(lambda: cluster.scheduler_tasks() == 0, 60, "the scheduler to drop the cancelled tasks")

    result = index(home, cluster, "--batch-size", "4")
    assert f"clip: {COUNT - saved} done, 0 errors" in result.stdout
    assert stored_once(home) == (COUNT, COUNT, COUNT)
