"""`gallery watch` and `gallery watch-status` as a user (or a container health check) runs them."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from tests.conftest import REPO, run_gallery
from tests.waiting import wait_for


def test_help_is_complete_with_examples():
    for command in ("watch", "watch-status"):
        text = run_gallery(command, "--help").stdout
        assert "Example" in text and f"gallery {command} " in text
    assert "--poll SECONDS" in run_gallery("watch", "--help").stdout


def test_watch_without_roots_says_what_to_do(tmp_path):
    result = run_gallery("watch", "--home", str(tmp_path / "home"), check=False)
    assert result.returncode == 2 and "gallery watch /path/to/photos --home DIR" in result.stderr


def test_watch_status_without_a_watcher_is_unhealthy(tmp_path):
    result = run_gallery("watch-status", "--home", str(tmp_path / "home"), check=False)
    assert result.returncode == 1 and "no watcher state" in result.stderr


def test_watch_indexes_builds_reports_health_and_stops_on_sigterm(tmp_path):
    root, home = tmp_path / "photos", tmp_path / "home"
    run_gallery("sample-library", str(root), "--count", "12")
    process = subprocess.Popen([sys.executable, "-m", "gallery_builder", "watch", str(root), "--home", str(home),
                                "--settle", "0.5", "--workers", "1"], cwd=REPO, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    def first_batch_done() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"gallery watch exited ({process.returncode}) before its first batch")
        try:
            state = json.loads((home / "watch.json").read_text())
        except (OSError, ValueError):          # not written yet
            return False
        return bool(state.get("last_batch", {}).get("ok"))

    try:
        wait_for(first_batch_done, 120, "gallery watch reporting its first batch ok in watch.json", interval=0.2)
        assert (home / "site" / "index.html").exists()
        health = run_gallery("watch-status", "--home", str(home), check=False)
        assert health.returncode == 0 and "healthy: watching" in health.stdout
        assert "root photos: watching (inotify)" in health.stdout
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "batch 1 (full scan" in out and "stopped: finished batches are saved" in err
    after = run_gallery("watch-status", "--home", str(home), check=False)
    assert after.returncode == 1 and "unhealthy: watcher stopped" in after.stderr
    assert str(root.resolve()) in (home / "gallery.toml").read_text()


def test_watch_status_flags_a_loop_that_stopped_ticking(tmp_path):
    """The heartbeat thread keeps writing while the main loop hangs: the check must notice."""
    home = tmp_path / "home"
    home.mkdir()
    now = time.time()
    state = {"state": "watching", "updated_at": now, "tick_at": now - 600, "roots": {}, "pending": 0}
    (home / "watch.json").write_text(json.dumps(state))
    result = run_gallery("watch-status", "--home", str(home), "--max-age", "120", check=False)
    assert result.returncode == 1 and "loop has not run for 600 s" in result.stderr
    (home / "watch.json").write_text(json.dumps({**state, "state": "indexing"}))  # a long batch is fine
    assert run_gallery("watch-status", "--home", str(home), check=False).returncode == 0
