"""The watcher end to end in-process: real inotify/polling observers, real scans, a real database.

The site rebuild is injected through the watcher's `rebuild(settings, scope)` interface and records
what it was asked; the real builder behind it is exercised by tests/test_appliance.py.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from gallery_builder.config import load_settings, resolve_roots, save_settings
from gallery_builder.db.connection import connect
from gallery_builder.watch.watcher import STATUS_FILE, WatchOptions, Watcher
from tests.waiting import wait_for

FAST = WatchOptions(settle=0.5, tick=0.1, max_wait=30, retry_after=0.5, rescan_hours=0)


def jpeg(path: Path, shade: int, size=(96, 64)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (shade % 256, (shade * 7) % 256, 90)).save(path, "JPEG", quality=90)
    return path


class Rebuilds:
    """The rebuild callable: remembers each scope; can fail the first `fail` calls like a full disk."""

    def __init__(self, fail: int = 0) -> None:
        self.scopes: list = []
        self.fail = fail

    def __call__(self, settings, scope) -> str:
        if self.fail:
            self.fail -= 1
            raise OSError(28, "No space left on device")
        self.scopes.append(scope)
        return f"rebuilt for {len(scope.folders)} folder(s)"


def rows(home: Path) -> dict[str, tuple[int, str, int]]:
    db = connect(home / "gallery.db")
    try:
        return {row[0]: (row[1], row[2], row[3]) for row in db.execute("SELECT path, id, status, size FROM photos")}
    finally:
        db.close()


def make_watcher(home: Path, root: Path, *, passes=(), options=FAST, rebuild=None):
    settings = load_settings(home)
    settings, roots = resolve_roots(settings, [root])
    save_settings(settings)
    lines: list[str] = []
    watcher = Watcher(settings, roots, list(passes), rebuild or Rebuilds(), options, log=lines.append)
    return watcher, lines


def drive(watcher: Watcher, until, *, what: str, timeout: float = 60.0) -> None:
    """Tick like `run` does until `until()` holds; a correctness bound, not a speed test."""
    def ticked_until() -> bool:
        watcher.tick()
        return bool(until())

    wait_for(ticked_until, timeout, what, interval=watcher.options.tick)


def tick_for(watcher: Watcher, seconds: float) -> None:
    """Tick like `run` does for `seconds` of wall time. For tests whose point is that nothing
    happens: the settle time must really pass (settling is measured on the clock) before
    "nothing was indexed" means anything."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        watcher.tick()
        time.sleep(watcher.options.tick)


@pytest.fixture
def library(tmp_path):
    root = tmp_path / "photos"
    for index in range(3):
        jpeg(root / "2023" / f"IMG_{index}.jpg", index * 40)
    return root


@pytest.fixture
def watcher_and_lines(tmp_path, library):
    watcher, lines = make_watcher(tmp_path / "home", library)
    watcher.start()
    yield watcher, lines
    watcher.close()


def batch_lines(lines):
    return [line for line in lines if " batch " in line]


def test_start_scans_every_root_and_builds(tmp_path, watcher_and_lines):
    watcher, lines = watcher_and_lines
    drive(watcher, lambda: watcher.batches, what="the first scan")
    assert sorted(rows(tmp_path / "home")) == ["2023/IMG_0.jpg", "2023/IMG_1.jpg", "2023/IMG_2.jpg"]
    empty_site, first_scan = watcher.rebuild.scopes
    assert empty_site.roots == () and empty_site.full       # a fresh home: a site before the long first scan
    assert first_scan.full and first_scan.roots == ("photos",)
    assert any("no site yet: published one before the first scan" in line for line in lines)
    [line] = batch_lines(lines)
    assert "batch 1 (full scan" in line and "3 new" in line and "rebuilt" in line
    status = json.loads((tmp_path / "home" / STATUS_FILE).read_text())
    assert status["state"] == "watching" and status["roots"]["photos"]["mode"] == "inotify"
    assert status["last_batch"]["number"] == 1


def test_new_folder_is_indexed_once_and_then_a_deletion_and_a_move(tmp_path, watcher_and_lines):
    watcher, lines = watcher_and_lines
    home = tmp_path / "home"
    drive(watcher, lambda: watcher.batches, what="the first scan")
    shoot = tmp_path / "incoming" / "new shoot"
    for index in range(4):
        jpeg(shoot / f"DSC_{index}.jpg", 100 + index)
    shutil.copytree(shoot, watcher.settings.roots[0].path / "2024" / "new shoot")
    drive(watcher, lambda: len(rows(home)) == 7, what="the copied folder indexed")
    assert ("photos", "2024/new shoot") in watcher.rebuild.scopes[-1].folders
    assert not watcher.rebuild.scopes[-1].full
    assert all(status == "ok" for _, status, _ in rows(home).values())

    root = watcher.settings.roots[0].path
    (root / "2024" / "new shoot" / "DSC_0.jpg").unlink()
    drive(watcher, lambda: rows(home)["2024/new shoot/DSC_0.jpg"][1] == "missing", what="the deletion")

    before = rows(home)["2023/IMG_1.jpg"][0]
    os.rename(root / "2023", root / "2023 renamed")
    drive(watcher, lambda: "2023 renamed/IMG_1.jpg" in rows(home), what="the move")
    assert rows(home)["2023 renamed/IMG_1.jpg"][0] == before  # same photo id, so nothing attached is lost
    assert "2023/IMG_1.jpg" not in rows(home)
    assert all(line.count(" batch ") == 1 for line in batch_lines(lines))
    assert any("1 missing" in line for line in batch_lines(lines))
    assert any("3 moved" in line for line in batch_lines(lines))


def test_a_copy_in_progress_is_not_indexed_half_way(tmp_path, watcher_and_lines):
    watcher, _ = watcher_and_lines
    home = tmp_path / "home"
    drive(watcher, lambda: watcher.batches, what="the first scan")
    source = jpeg(tmp_path / "big.jpg", 7, size=(1600, 1200)).read_bytes()
    target = watcher.settings.roots[0].path / "2024" / "slow.jpg"
    target.parent.mkdir()
    chunks = [source[index:index + len(source) // 8 + 1] for index in range(0, len(source), len(source) // 8 + 1)]
    done = threading.Event()

    def copy_slowly() -> None:
        with open(target, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                handle.flush()
                time.sleep(0.3)   # shorter than --settle: the file never looks finished mid-copy
        done.set()

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    while not done.is_set():
        watcher.tick()
        assert "2024/slow.jpg" not in rows(home)
        time.sleep(watcher.options.tick)   # ticking at the watcher's own pace while the copy goes on
    writer.join()
    drive(watcher, lambda: "2024/slow.jpg" in rows(home), what="the finished copy")
    assert rows(home)["2024/slow.jpg"][2] == len(source)


def test_a_root_that_vanishes_is_paused_and_nothing_is_marked_missing(tmp_path, watcher_and_lines):
    watcher, lines = watcher_and_lines
    home = tmp_path / "home"
    drive(watcher, lambda: watcher.batches, what="the first scan")
    root = watcher.settings.roots[0].path
    ids = {path: row[0] for path, row in rows(home).items()}
    os.rename(root, tmp_path / "unmounted")
    root.mkdir()                                    # the empty mount point stays behind
    drive(watcher, lambda: watcher.states["photos"].state == "paused", what="the pause")
    tick_for(watcher, 3 * watcher.options.settle)   # long enough for the empty root's "deletions" to settle
    assert all(status == "ok" for _, status, _ in rows(home).values())
    assert any("paused" in line and "stay on the site" in line for line in lines)
    status = json.loads((home / STATUS_FILE).read_text())
    assert status["roots"]["photos"]["state"] == "paused" and "empty" in status["roots"]["photos"]["reason"]

    root.rmdir()
    os.rename(tmp_path / "unmounted", root)         # the share is mounted again
    jpeg(root / "2023" / "added while away.jpg", 200)
    count = len(watcher.batches)
    drive(watcher, lambda: len(watcher.batches) > count, what="the rescan after the return")
    assert watcher.states["photos"].state == "watching"
    assert {path: row[0] for path, row in rows(home).items() if path in ids} == ids
    assert rows(home)["2023/added while away.jpg"][1] == "ok"
    assert watcher.rebuild.scopes[-1].full


def test_a_remount_with_other_content_is_rescanned(tmp_path, watcher_and_lines):
    watcher, _ = watcher_and_lines
    home = tmp_path / "home"
    drive(watcher, lambda: watcher.batches, what="the first scan")
    root = watcher.settings.roots[0].path
    shutil.copytree(root, tmp_path / "other disk")
    jpeg(tmp_path / "other disk" / "2023" / "only on the new disk.jpg", 99)
    os.rename(root, tmp_path / "old disk")
    os.rename(tmp_path / "other disk", root)        # swapped in one step: never seen absent
    drive(watcher, lambda: "2023/only on the new disk.jpg" in rows(home), what="the rescan of the new mount")


def test_periodic_rescan_catches_what_the_observer_missed(tmp_path, library):
    # Polling once an hour: within this test only the periodic rescan can see the new file.
    options = WatchOptions(settle=0.5, tick=0.1, poll=3600, rescan_hours=2 / 3600)
    watcher, lines = make_watcher(tmp_path / "home", library, options=options)
    watcher.start()
    try:
        drive(watcher, lambda: watcher.batches, what="the first scan")
        jpeg(library / "2023" / "unnoticed.jpg", 150)
        drive(watcher, lambda: "2023/unnoticed.jpg" in rows(tmp_path / "home"), what="the periodic rescan")
    finally:
        watcher.close()
    assert any("periodic full rescan" in line for line in lines)
    assert watcher.states["photos"].mode == "polling every 3600 s"


def test_a_failed_batch_keeps_the_old_site_and_is_retried(tmp_path, library):
    (tmp_path / "home" / "site").mkdir(parents=True)   # a site exists: the first rebuild is the batch's
    watcher, lines = make_watcher(tmp_path / "home", library, rebuild=Rebuilds(fail=1))
    watcher.start()
    try:
        drive(watcher, lambda: len(watcher.batches) >= 2, what="the retry")
    finally:
        watcher.close()
    first, second = watcher.batches[:2]
    assert not first.ok and "is full" in first.line and "retrying in 0.5 s" in first.line
    assert second.ok and len(watcher.rebuild.scopes) == 1 and watcher.rebuild.scopes[0].full
    assert not any("no site yet" in line for line in lines)


def test_a_corrupt_file_is_recorded_and_watching_goes_on(tmp_path, library, corpus):
    watcher, lines = make_watcher(tmp_path / "home", library, passes=["exif", "thumbs"])
    watcher.start()
    try:
        drive(watcher, lambda: watcher.batches, what="the first scan")
        shutil.copy(corpus / "broken" / "broken.png", library / "2023" / "broken.png")
        drive(watcher, lambda: len(watcher.batches) >= 2, what="the batch with the corrupt file")
        jpeg(library / "2023" / "after.jpg", 33)
        drive(watcher, lambda: "2023/after.jpg" in rows(tmp_path / "home"), what="the next photo")
    finally:
        watcher.close()
    assert all(outcome.ok for outcome in watcher.batches)
    assert "1 errors" in watcher.batches[1].line
    db = connect(tmp_path / "home" / "gallery.db")
    try:
        from gallery_builder.db.pass_queries import error_records

        failed = {row["path"] for row in error_records(db)}
    finally:
        db.close()
    assert "2023/broken.png" in failed


def test_run_stops_cleanly_and_says_so(tmp_path, library):
    watcher, _ = make_watcher(tmp_path / "home", library)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    try:
        wait_for(lambda: watcher.batches, 60, "the first batch of the running watcher", interval=0.1)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive() and watcher.batches
    assert json.loads((tmp_path / "home" / STATUS_FILE).read_text())["state"] == "stopped"
    assert watcher.pool.observers == {}


def test_an_inotify_overflow_queues_a_full_rescan(tmp_path, library):
    """watchdog reports a kernel queue overflow only in its log; that record must start a rescan."""
    import logging

    # Polling once an hour and no periodic rescan: only the overflow alarm can find the new file.
    options = WatchOptions(settle=0.5, tick=0.1, poll=3600, rescan_hours=0)
    watcher, lines = make_watcher(tmp_path / "home", library, options=options)
    watcher.start()
    try:
        drive(watcher, lambda: watcher.batches, what="the first scan")
        jpeg(library / "lost.jpg", 77)
        tick_for(watcher, 3 * options.settle)       # settled if anything had seen it: nothing did
        assert "lost.jpg" not in rows(tmp_path / "home")
        logging.getLogger("watchdog.observers.inotify_c").warning(
            "Inotify queue overflowed; filesystem events were lost")
        drive(watcher, lambda: "lost.jpg" in rows(tmp_path / "home"), what="the rescan after the overflow")
    finally:
        watcher.close()
    assert any("overflowed" in line for line in lines) and watcher.batches[-1].line.startswith("batch 2 (full scan")
    logging.getLogger("watchdog.observers.inotify_c").warning("Inotify queue overflowed; after close")
    assert sum("overflowed" in line for line in lines) == 1   # the alarm is removed with the watcher


def test_a_root_that_cannot_be_watched_yet_is_retried(tmp_path, library):
    """watch() failing (e.g. EACCES from the kernel) pauses the root instead of ending the watcher."""
    from gallery_builder.watch.roots import ObserverPool

    class FirstWatchFails(ObserverPool):
        failures = 3

        def watch(self, root):
            if self.failures:
                self.failures -= 1
                raise PermissionError(13, "Permission denied", str(root.path))
            return super().watch(root)

    settings, roots = resolve_roots(load_settings(tmp_path / "home"), [library])
    lines: list[str] = []
    watcher = Watcher(settings, roots, [], Rebuilds(), FAST, log=lines.append,
                      pool=lambda handler: FirstWatchFails(handler, poll_seconds=None, log=lines.append))
    watcher.start()
    try:
        assert watcher.states["photos"].state == "paused"
        drive(watcher, lambda: watcher.batches, what="the scan once watching works")
    finally:
        watcher.close()
    assert sum("cannot watch it: [Errno 13] Permission denied" in line for line in lines) == 1
    assert watcher.states["photos"].state == "watching" and len(rows(tmp_path / "home")) == 3


def test_a_long_first_run_publishes_the_site_between_chunks(tmp_path):
    """A first run over a large library shows photos long before it ends: with publish_every 2, a
    7-photo first scan is indexed in 4 chunks and the site is published after each of the first 3."""
    root = tmp_path / "photos"
    for index in range(7):
        jpeg(root / "2023" / f"IMG_{index}.jpg", index * 30)
    home = tmp_path / "home"
    home.mkdir()
    (home / "gallery.toml").write_text("publish_every = 2\n")
    (home / "site").mkdir()  # a site exists: no empty site is published first
    seen: list[int] = []

    class Counting(Rebuilds):
        def __call__(self, settings, scope):
            import pyarrow.parquet as pq

            table = pq.read_table(home / "parquet" / "photos.parquet", columns=["thumb_key"]).to_pylist()
            seen.append(sum(1 for row in table if row["thumb_key"]))
            return super().__call__(settings, scope)

    watcher, lines = make_watcher(home, root, passes=("exif", "thumbs"), rebuild=Counting())
    watcher.start()
    try:
        drive(watcher, lambda: watcher.batches, what="the first run")
    finally:
        watcher.close()
    assert seen == [2, 4, 6, 7]  # three mid-run publications, then the batch's own rebuild
    assert sum("published what is indexed so far" in line for line in lines) == 3
