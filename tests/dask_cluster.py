"""A real Dask cluster on loopback for tests: `gallery scheduler` and `gallery worker` as subprocesses
(each in its own process group, so a test can kill a worker and its nanny together), and a small
library indexed up to thumbnails with the tiny CLIP model in place.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.search_library import GREEN_FIELD, Shot, write_photo
from tests.site_servers import free_port
from tests.tiny_clip import write_bundle
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[1]
MODEL = "tiny-clip__planted"
COLOURS = ((220, 20, 20), GREEN_FIELD, (30, 60, 220), (240, 200, 30), (90, 90, 90))


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=20)


def start(name: str, args: list[str], log_dir: Path, env: dict[str, str] | None = None) -> Process:
    log = log_dir / f"{name}.log"
    handle = open(log, "wb")
    popen = subprocess.Popen([sys.executable, "-m", "gallery_builder", *args], stdout=handle, stderr=subprocess.STDOUT,
                             cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
                             start_new_session=True)
    handle.close()
    return Process(name, popen, log)


@dataclass
class Cluster:
    address: str
    scheduler: Process
    log_dir: Path
    workers: dict[str, Process] = field(default_factory=dict)

    def client(self) -> Any:
        from distributed import Client

        return Client(self.address, timeout=20)

    def worker_names(self) -> set[str]:
        with self.client() as client:
            return {str(info["name"]) for info in client.scheduler_info(n_workers=-1)["workers"].values()}

    def start_worker(self, name: str, models: Path, threads: int = 1) -> Process:
        process = start(f"worker-{name}", ["worker", "--scheduler", self.address, "--models", str(models),
                                           "--threads", str(threads), "--name", name], self.log_dir,
                        env={"GALLERY_ONNX_THREADS": "1"})
        self.workers[name] = process

        def joined() -> bool:
            if process.popen.poll() is not None:
                raise AssertionError(f"worker {name} exited:\n{process.output()}")
            return name in self.worker_names()

        wait_for(joined, 60, f"worker {name} to join", interval=0.2, details=process.output)
        return process

    def stop_worker(self, name: str, sig: int = signal.SIGTERM) -> None:
        self.workers.pop(name).stop(sig)
        wait_for(lambda: name not in self.worker_names(), 60, f"worker {name} to leave", interval=0.2)

    def scheduler_tasks(self) -> int:
        with self.client() as client:
            return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))

    def close(self) -> None:
        for process in list(self.workers.values()):
            process.stop()
        self.scheduler.stop()


def start_cluster(log_dir: Path) -> Cluster:
    port = free_port()
    scheduler = start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(port)], log_dir)
    cluster = Cluster(f"tcp://127.0.0.1:{port}", scheduler, log_dir)

    def reachable() -> bool:
        if scheduler.popen.poll() is not None:
            raise AssertionError(f"scheduler exited:\n{scheduler.output()}")
        try:
            cluster.worker_names()
            return True
        except OSError:
            return False

    wait_for(reachable, 60, "the scheduler to answer", interval=0.2, details=scheduler.output)
    return cluster


def build_thumbnailed_home(base: Path, count: int, ballast: int = 0) -> Path:
    """`count` photos (flat colours, some with an object) scanned with exif and thumbs, and the tiny
    model (with `ballast`, slower, same vectors) under <home>/models; clip not run yet."""
    from gallery_builder.config import load_settings, resolve_roots, save_settings
    from gallery_builder.indexing.run import index_roots

    library, home = base / "library", base / "home"
    for number in range(count):
        background = COLOURS[number % len(COLOURS)]
        thing = COLOURS[(number // len(COLOURS)) % len(COLOURS)] if number % 3 else None
        shot = Shot(f"roll/{number:03d}.jpg", background, None if thing == background else thing,
                    dt.datetime(2024, 1, 1, 12, number % 60), "Test", "Camera", None)
        write_photo(library / shot.path, shot, size=(240, 240))
    write_bundle(home / "models", MODEL, ballast=ballast)
    settings = load_settings(home, {"clip_model": MODEL, "workers": 1}, environ={})
    settings, roots = resolve_roots(settings, [library])
    save_settings(settings)
    report = index_roots(settings, roots, ["exif", "thumbs"], show_bar=False, log=lambda line: None, export=False)
    assert not any(item.errors for item in report.passes.passes)
    return home


def copy_models(home: Path, target: Path) -> Path:
    """A worker's own copy of the NAS's models folder."""
    shutil.copytree(home / "models", target, ignore=shutil.ignore_patterns(".checksums.json"))
    return target
