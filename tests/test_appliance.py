"""The NAS appliance on loopback: real Debian nginx, the sidecar (`gallery serve`) and the watcher
(`gallery watch`) as separate processes with the config files compose.nas.yml uses, checked
through nginx the way a browser sees the site. Timeouts are correctness bounds, not benchmarks.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gallery_builder.core.urls import photo_url
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = [pytest.mark.nginx, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gallery(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "gallery_builder", *args], capture_output=True, text=True,
                            timeout=120, cwd=REPO)
    if check and result.returncode != 0:
        raise AssertionError(f"gallery {' '.join(args)}: {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def sample_library(out: Path, count: int, seed: int) -> list[str]:
    """A library with real EXIF; returns the relative paths that must be indexed (its ground truth)."""
    gallery("sample-library", str(out), "--count", str(count), "--seed", str(seed))
    truth = json.loads((out / "ground_truth.json").read_text())
    (out / "ground_truth.json").unlink()
    return sorted(photo["path"] for photo in truth["photos"])


class Appliance:
    """Three services as local processes, each in its own session so a kill takes its workers too."""

    def __init__(self, base: Path) -> None:
        self.base, self.home, self.root = base, base / "data", base / "photos"
        self.site_port, self.sidecar_port = free_port(), free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.paths: list[str] = []
        self.nginx_dir = self.home / "nginx"

    def log(self, name: str) -> str:
        path = self.base / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        handle = open(self.base / f"{name}.log", "ab")
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, cwd=REPO,
                                   start_new_session=True)
        handle.close()
        self.processes[name] = process
        return process

    def render_nginx_config(self) -> Path:
        """The setup service's command from compose.nas.yml, with this machine's addresses."""
        config = self.nginx_dir / "nginx.conf"
        gallery("nginx-config", "--home", str(self.home), "--out", str(config),
                "--listen", f"127.0.0.1:{self.site_port}", "--sidecar", f"127.0.0.1:{self.sidecar_port}",
                "--original", f"photos={self.root}")
        return config

    def start_nginx(self) -> None:
        config = self.render_nginx_config()
        subprocess.run([NGINX, "-t", "-p", str(self.nginx_dir), "-c", str(config)], check=True,
                       capture_output=True)
        self.spawn("nginx", [NGINX, "-p", str(self.nginx_dir), "-c", str(config), "-g", "daemon off;"])

    def start_sidecar(self) -> None:
        self.spawn("sidecar", [sys.executable, "-m", "gallery_builder", "serve", "--home", str(self.home),
                               "--port", str(self.sidecar_port)])

    def start_watcher(self) -> subprocess.Popen:
        return self.spawn("watcher", [sys.executable, "-m", "gallery_builder", "watch", str(self.root),
                                      "--home", str(self.home), "--settle", "1", "--workers", "2"])

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)

    def get(self, path: str) -> tuple[int, bytes]:
        url = f"http://127.0.0.1:{self.site_port}/{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, b""

    def photos(self) -> dict[str, tuple[int, str]]:
        """path -> (id, status), read-only from the index (ids name the permalinks)."""
        from gallery_builder.db.connection import connect

        if not (self.home / "gallery.db").exists():
            return {}
        db = connect(self.home / "gallery.db", readonly=True)
        try:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'photos'").fetchone() is None:
                return {}   # the watcher is still creating the database (its migrations run in turn)
            return {row[0]: (row[1], row[2]) for row in db.execute("SELECT path, id, status FROM photos")}
        finally:
            db.close()

    def visible(self, paths) -> dict[str, bool]:
        """Whether each photo's permalink page is served through nginx right now."""
        known = self.photos()
        return {path: path in known and self.get(photo_url(known[path][0]))[0] == 200 for path in paths}

    def watch_state(self) -> dict:
        try:
            return json.loads((self.home / "watch.json").read_text())
        except (OSError, ValueError):
            return {}

    def wait(self, condition, what: str, timeout: float) -> None:
        """Poll `condition`; a service that exits meanwhile fails the wait at once, with its log."""
        def reached() -> bool:
            if condition():
                return True
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise AssertionError(f"{name} exited ({process.returncode}) while waiting for {what}:\n"
                                         f"{self.log(name)[-3000:]}")
            return False

        wait_for(reached, timeout, what, interval=0.5, details=lambda: f"watcher log:\n{self.log('watcher')[-3000:]}")


@pytest.fixture
def appliance():
    if not Path(NGINX).exists():
        pytest.skip("Debian nginx is not installed (apt-get install nginx)")
    # nginx's workers drop to an unprivileged user when started as root (as in CI), so the files
    # live where any user may enter, not in pytest's private tmp_path; on the NAS they share PUID.
    base = Path(tempfile.mkdtemp(prefix="gallery-appliance-"))
    os.chmod(base, 0o755)
    box = Appliance(base)
    box.paths = sample_library(box.root, 12, seed=7)
    box.home.mkdir()
    try:
        box.start_sidecar()
        box.start_watcher()
        box.start_nginx()
        box.wait(lambda: all(box.visible(box.paths).values()), "the first scan on the site", timeout=120)
        yield box
    finally:
        box.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_a_new_folder_appears_on_the_site_and_a_deleted_photo_disappears(appliance, tmp_path):
    box = appliance
    new = [f"2024/from the card/{path}" for path in sample_library(tmp_path / "card", 12, seed=21)]
    shutil.copytree(tmp_path / "card", box.root / "2024" / "from the card")
    assert len(new) >= 12
    box.wait(lambda: all(box.visible(new).values()), "the new folder on the site", timeout=120)
    status, body = box.get("")
    assert status == 200 and b"<html" in body.lower()
    photo_id = box.photos()[new[0]][0]
    status, page = box.get(photo_url(photo_id))
    assert status == 200 and Path(new[0]).name.encode() in page

    (box.root / new[0]).unlink()
    box.wait(lambda: box.get(photo_url(photo_id))[0] == 404, "the deleted photo gone from the site", timeout=60)
    assert all(box.visible(new[1:]).values())
    assert box.photos()[new[0]][1] == "missing"
    log = box.log("watcher")
    assert "batch 1 (full scan" in log and "1 missing" in log


def test_a_watcher_killed_mid_batch_catches_up_when_restarted(appliance, tmp_path):
    box = appliance
    new = [f"2024/big shoot/{path}" for path in sample_library(tmp_path / "big card", 60, seed=33)]
    shutil.copytree(tmp_path / "big card", box.root / "2024" / "big shoot")

    def mid_batch() -> bool:
        try:
            progress = json.loads((box.home / "progress.json").read_text())
        except (OSError, ValueError):
            return False
        # some passes (or part of one) finished, the rest still to do
        started = progress.get("pass_index", 0) >= 1 or progress.get("done", 0) > 0
        return (box.watch_state().get("state") == "indexing" and progress.get("state") == "running"
                and progress.get("stage") == "pass" and started and progress.get("total", 0) >= 60)

    box.wait(mid_batch, "the watcher in the middle of a batch", timeout=60)
    box.kill("watcher")                              # SIGKILL to the whole group: no clean-up runs
    status = json.loads(gallery("status", "--home", str(box.home), "--json").stdout)
    assert any(row["pending"] for row in status["passes"]), "the kill must land before the batch ended"
    assert not all(box.visible(new).values())

    box.start_watcher()
    box.wait(lambda: all(box.visible(new).values()), "the restarted watcher catching up", timeout=120)
    status = json.loads(gallery("status", "--home", str(box.home), "--json").stdout)
    assert not any(row["pending"] for row in status["passes"] if row["pass"] in ("exif", "thumbs"))


def test_a_vanished_root_is_paused_and_nothing_leaves_the_site(appliance, tmp_path):
    box = appliance
    paths = box.paths
    before = box.visible(paths)
    assert all(before.values())
    shutil.rmtree(box.root)                          # the share is gone (an unmount, a dead disk)
    box.wait(lambda: box.watch_state().get("roots", {}).get("photos", {}).get("state") == "paused",
             "the root paused", timeout=60)
    paused_at = time.time()
    # The behaviour under test is that nothing happens: let the watcher's own loop run on for several
    # settle periods (--settle 1) and rescans after the pause; its heartbeat says when it has.
    box.wait(lambda: box.watch_state().get("tick_at", 0) > paused_at + 6, "the watcher ticking 6 s past the pause",
             timeout=60)
    assert box.watch_state()["roots"]["photos"]["state"] == "paused"
    assert box.visible(paths) == before
    assert all(status == "ok" for _, status in box.photos().values())
    assert "paused" in box.log("watcher") and "stay on the site" in box.log("watcher")
    status, _ = box.get("")
    assert status == 200
