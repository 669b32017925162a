"""Watch mode's root side: presence of a root, its file system, inotify and the polling fallback."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from watchdog.events import FileSystemEventHandler

from gallery_builder.config import Root
from gallery_builder.watch.roots import (
    ObserverPool, filesystem_type, inotify_limit_problem, root_presence,
)
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[1]


class Collect(FileSystemEventHandler):
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.seen = threading.Event()

    def on_any_event(self, event) -> None:
        self.paths.append(event.src_path)
        self.seen.set()


def test_presence_refuses_absent_file_and_empty_roots(tmp_path):
    assert "does not exist" in root_presence(tmp_path / "absent").reason
    (tmp_path / "file").write_text("x")
    assert "not a folder" in root_presence(tmp_path / "file").reason
    (tmp_path / "mount").mkdir()
    empty = root_presence(tmp_path / "mount")
    assert empty.identity is None and "empty (unmounted share?)" in empty.reason
    (tmp_path / "mount" / "a.jpg").write_bytes(b"x")
    first = root_presence(tmp_path / "mount")
    assert first.identity is not None and first.reason == ""
    shutil.move(tmp_path / "mount", tmp_path / "old")  # a remount: same path, another folder
    (tmp_path / "mount").mkdir()
    (tmp_path / "mount" / "a.jpg").write_bytes(b"x")
    assert root_presence(tmp_path / "mount").identity != first.identity


MOUNTS = textwrap.dedent("""\
    overlay / overlay rw,relatime 0 0
    proc /proc proc rw,nosuid 0 0
    /dev/sda1 /volume1 ext4 rw,relatime 0 0
    //nas/photo /volume1/photo\\040share cifs rw,vers=3.0 0 0
    nas:/export/photo /mnt/photo nfs4 rw 0 0
    /dev/sdb1 /mnt/photo/local btrfs rw 0 0
""")


def test_filesystem_type_picks_the_deepest_mount():
    assert filesystem_type(Path("/volume1/photo share/2024"), MOUNTS) == "cifs"
    assert filesystem_type(Path("/volume1/photos"), MOUNTS) == "ext4"       # not under "/volume1/photo share"
    assert filesystem_type(Path("/mnt/photo/2024/a.jpg"), MOUNTS) == "nfs4"
    assert filesystem_type(Path("/mnt/photo/local/x"), MOUNTS) == "btrfs"
    assert filesystem_type(Path("/srv"), MOUNTS) == "overlay"


def test_filesystem_type_reads_this_machine(tmp_path):
    kind = filesystem_type(tmp_path)
    mounts = Path("/proc/self/mounts").read_text().split()
    assert kind is not None and kind in mounts


def test_inotify_watches_a_root_and_sees_a_new_file(tmp_path):
    root = tmp_path / "photos"
    (root / "2024").mkdir(parents=True)
    handler, lines = Collect(), []
    pool = ObserverPool(handler, poll_seconds=None, log=lines.append)
    try:
        assert pool.watch(Root("photos", root)) == "inotify"
        assert inotify_limit_problem(root) is None
        (root / "2024" / "new.jpg").write_bytes(b"data")
        assert handler.seen.wait(10)
        assert str(root / "2024" / "new.jpg") in handler.paths
        assert pool.needs_restart("photos", check_limits=True) is None
    finally:
        pool.stop()
    assert lines == [] and pool.observers == {}


def test_poll_option_uses_polling_and_notices_a_new_file(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    handler = Collect()
    pool = ObserverPool(handler, poll_seconds=0.5, log=print)
    try:
        assert pool.watch(Root("photos", root)) == "polling every 0.5 s"
        (root / "new.jpg").write_bytes(b"data")
        assert handler.seen.wait(10)
    finally:
        pool.stop()


def test_a_vanished_root_stops_its_polling_observer(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    pool = ObserverPool(Collect(), poll_seconds=0.3, log=print)
    try:
        pool.watch(Root("photos", root))
        shutil.rmtree(root)
        reason = wait_for(lambda: pool.needs_restart("photos"), 10, "the pool noticing its observer stopped",
                          interval=0.1)
        assert reason == "its observer stopped"
    finally:
        pool.stop()


LIMITED = textwrap.dedent("""\
    import json, sys, threading, time
    from pathlib import Path
    from watchdog.events import FileSystemEventHandler
    from gallery_builder.config import Root
    from gallery_builder.watch.roots import ObserverPool

    root = Path(sys.argv[1])
    seen = threading.Event()

    class Collect(FileSystemEventHandler):
        def on_any_event(self, event):
            if event.src_path.endswith("late.jpg"):
                seen.set()

    lines = []
    pool = ObserverPool(Collect(), poll_seconds=None, log=lines.append, fallback_poll=0.3)
    mode = pool.watch(Root("photos", root))
    (root / "d19" / "late.jpg").write_bytes(b"x")
    print(json.dumps({"mode": mode, "lines": lines, "seen": seen.wait(15)}))
    pool.stop()
""")


def test_inotify_watch_limit_is_detected_and_falls_back_to_polling(tmp_path):
    """A real kernel limit: a user namespace lowers max_inotify_watches below the folder count."""
    if shutil.which("unshare") is None:
        pytest.skip("util-linux `unshare` is not installed")
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "sh", "-c",
                            "echo 4 > /proc/sys/user/max_inotify_watches"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"this kernel/container does not allow user namespaces with own limits: {probe.stderr.strip()}")
    root = tmp_path / "photos"
    for index in range(20):
        (root / f"d{index}").mkdir(parents=True)
    script = tmp_path / "limited.py"
    script.write_text(LIMITED)
    result = subprocess.run(
        ["unshare", "--user", "--map-root-user", "sh", "-c",
         f'echo 8 > /proc/sys/user/max_inotify_watches && exec "{sys.executable}" "{script}" "{root}"'],
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["mode"] == "polling every 0.3 s"
    assert any("inotify watch limit reached" in line and "fs.inotify.max_user_watches" in line
               and "falling back to polling" in line for line in outcome["lines"]), outcome["lines"]
    assert outcome["seen"] is True
