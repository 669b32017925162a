"""Republishing after a decision: the sidecar's debounced export + build (launcher injected), its
deference to a running watcher, and the watcher's tick taking the requests itself."""
from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

from gallery_builder.db.connection import connect
from gallery_builder.db.decisions import pending_republish_requests, set_flag
from search_api.republish import Outcome, Republisher, watcher_is_running
from tests.test_watch import FAST, drive, jpeg, make_watcher


class Requests:
    """Stands in for republish_requests: ids grow with each write; `clear` forgets up to an id."""

    def __init__(self) -> None:
        self.newest, self.cleared_through = 0, 0
        self.clears: list[int] = []

    def write(self, republisher: Republisher) -> None:
        self.newest += 1
        republisher.request()

    def latest(self) -> int | None:
        return self.newest if self.newest > self.cleared_through else None

    def clear(self, through: int) -> None:
        self.clears.append(through)
        self.cleared_through = max(self.cleared_through, through)


class Launcher:
    """Records launches; the first one can be held open like a long build."""

    def __init__(self, hold_first: bool = False, ok: bool = True) -> None:
        self.homes: list[Path] = []
        self.running = threading.Event()
        self.release = threading.Event()
        self.hold_first, self.ok = hold_first, ok

    def __call__(self, home: Path) -> Outcome:
        self.homes.append(home)
        if self.hold_first and len(self.homes) == 1:
            self.running.set()
            assert self.release.wait(30)
        return Outcome(self.ok, "built" if self.ok else "gallery build failed (exit 1): disk full")


def test_a_burst_of_writes_is_one_republish_and_a_write_during_it_one_more(tmp_path):
    requests, launcher = Requests(), Launcher(hold_first=True)
    republisher = Republisher(tmp_path, requests.latest, requests.clear, delay=0.2, launcher=launcher,
                              watcher_running=lambda home: False)
    for _ in range(5):
        requests.write(republisher)
    assert launcher.running.wait(30)
    assert requests.clears == []  # not cleared before the build succeeded
    requests.write(republisher)   # during the build: pages need one more
    requests.write(republisher)
    launcher.release.set()
    assert republisher.wait_idle(30)
    assert launcher.homes == [tmp_path, tmp_path]
    assert requests.clears == [5, 7]  # each build clears what had been requested when it started


def test_a_failed_build_keeps_the_requests_pending(tmp_path):
    requests, launcher = Requests(), Launcher(ok=False)
    republisher = Republisher(tmp_path, requests.latest, requests.clear, delay=0.05, launcher=launcher,
                              watcher_running=lambda home: False)
    requests.write(republisher)
    assert republisher.wait_idle(30)
    assert len(launcher.homes) == 1 and requests.clears == [] and requests.latest() == 1
    assert republisher.last is not None and "disk full" in republisher.last.message


def test_while_a_watcher_runs_the_sidecar_leaves_it_the_work(tmp_path):
    requests, launcher = Requests(), Launcher()
    watching = threading.Event()
    watching.set()
    republisher = Republisher(tmp_path, requests.latest, requests.clear, delay=0.05, recheck=0.05,
                              launcher=launcher, watcher_running=lambda home: watching.is_set())
    requests.write(republisher)
    assert not republisher.wait_idle(0.5)  # still looking in, since the request is pending
    assert launcher.homes == []
    watching.clear()                        # the watcher stopped before taking it: the sidecar does it
    assert republisher.wait_idle(30)
    assert launcher.homes == [tmp_path] and requests.clears == [1]


def test_a_watcher_is_running_only_with_a_fresh_active_watch_file(tmp_path):
    status = tmp_path / "watch.json"
    assert not watcher_is_running(tmp_path)
    for state, age, expected in (("watching", 5, True), ("indexing", 5, True), ("watching", 600, False),
                                 ("stopped", 5, False), ("starting", 5, False)):
        status.write_text(json.dumps({"state": state, "updated_at": time.time() - age}))
        assert watcher_is_running(tmp_path) is expected, (state, age)
    status.write_text("{half a file")
    assert not watcher_is_running(tmp_path)


def test_the_watcher_exports_and_rebuilds_for_a_decision(tmp_path):
    import pyarrow.parquet as pq

    root = tmp_path / "photos"
    for index in range(2):
        jpeg(root / f"IMG_{index}.jpg", index * 50)
    home = tmp_path / "home"
    watcher, lines = make_watcher(home, root, options=dataclasses.replace(FAST, republish_settle=0.3))
    watcher.start()
    try:
        drive(watcher, lambda: watcher.batches, what="the first scan")
        builds = len(watcher.rebuild.scopes)
        cli = connect(home / "gallery.db")
        photo_id = cli.execute("SELECT id FROM photos ORDER BY id").fetchone()[0]
        set_flag(cli, [photo_id], "pick", "cli")
        drive(watcher, lambda: not pending_republish_requests(cli), what="the requests cleared")
        assert len(watcher.rebuild.scopes) == builds + 1
        assert any("decisions changed (1 write(s)): site republished" in line for line in lines)
        flags = {row["id"]: row["flag"] for row in pq.read_table(home / "parquet" / "photos.parquet").to_pylist()}
        assert flags[photo_id] == "pick"
        cli.close()
    finally:
        watcher.close()
