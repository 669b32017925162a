"""A full disk: one plain line (where, how much is free, how much the job needs, that a re-run
resumes), no traceback, no temp file left behind, no photo marked failed, and a re-run after
freeing space that finishes with a database that checks clean.

The real thing runs on a small tmpfs of the test's own (root may mount one: CI runs as root); the
SQLite side is also checked in-process with `max_page_count`, which raises the same SQLITE_FULL.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gallery_builder.config import load_settings, resolve_roots, save_settings
from gallery_builder.core.disk_space import DiskFull, is_disk_full
from gallery_builder.db.connection import connect
from gallery_builder.indexing.run import RunPlan, run_index
from tests.conftest import run_gallery


def write_noisy_photos(folder: Path, count: int, size=(1600, 1200)) -> None:
    """Photos whose thumbnails are large (noise compresses badly), so a small disk fills quickly."""
    folder.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(7)
    for index in range(count):
        pixels = generator.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"noise-{index:02d}.jpg", "JPEG", quality=92)


def leftovers(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*")
                  if path.name.endswith(".tmp") or path.name.startswith(".tmp-") or ".tmp" in path.suffixes)


class SmallDisk:
    """A tmpfs of a given size at `path`, grown later with a remount."""

    def __init__(self, path: Path, size: str) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here ({result.stderr.strip()}); "
                        "the in-process max_page_count test still covers the SQLite side")

    def grow(self, size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)], check=True)

    def remove(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path):
    disks: list[SmallDisk] = []

    def make(name: str, size: str) -> SmallDisk:
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root (CI runs as root)")
        disk = SmallDisk(tmp_path / name, size)
        disks.append(disk)
        return disk

    yield make
    for disk in disks:
        disk.remove()


@pytest.mark.slow
def test_index_on_a_full_disk_says_so_in_one_line_and_a_rerun_resumes(tmp_path, small_disk):
    library = tmp_path / "library"
    write_noisy_photos(library, 8)
    disk = small_disk("home", "4m")   # room for a new database (~1 MB with its WAL), not for the thumbnails
    home = disk.path / "home"

    full = run_gallery("index", str(library), "--home", str(home), "--workers", "1", "--no-geocode", check=False)
    assert full.returncode == 1, full.stdout + full.stderr
    assert "Traceback" not in full.stderr, full.stderr
    errors = [line for line in full.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "is full" in errors[0] and "needs about" in errors[0], full.stderr
    assert "run it again" in errors[0] and str(home) in errors[0]
    assert leftovers(disk.path) == []

    disk.grow("64m")
    again = run_gallery("index", str(library), "--home", str(home), "--workers", "1", "--no-geocode")
    assert "Traceback" not in again.stderr
    db = connect(home / "gallery.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM thumbnails").fetchone()[0] == 8
        # the full disk was nobody's fault: no photo carries an error for it
        assert db.execute("SELECT COUNT(*) FROM pass_runs WHERE status = 'error'").fetchone()[0] == 0
    finally:
        db.close()


@pytest.mark.slow
def test_build_on_a_full_disk_keeps_the_previous_site_and_says_so(tmp_path, small_disk):
    library = tmp_path / "library"
    write_noisy_photos(library, 3, size=(800, 600))
    home = tmp_path / "home"
    run_gallery("index", str(library), "--home", str(home), "--workers", "1", "--no-geocode")
    disk = small_disk("out", "48k")
    out = disk.path / "site"

    failed = run_gallery("build", "--home", str(home), "--out", str(out), "--workers", "1", check=False)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
    assert "is full" in failed.stderr and "the previous site keeps serving" in failed.stderr
    assert leftovers(disk.path) == []

    disk.grow("64m")
    run_gallery("build", "--home", str(home), "--out", str(out), "--workers", "1")
    assert (out / "index.html").is_file()


def test_sqlite_full_stops_the_run_with_the_plain_message_and_loses_nothing(tmp_path):
    library = tmp_path / "library"
    write_noisy_photos(library, 300, size=(64, 48))
    settings, roots = resolve_roots(load_settings(tmp_path / "home", {"workers": 1}, environ={}), [library])
    save_settings(settings)
    db = connect(settings.db_path)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")   # no room to grow: SQLITE_FULL at the first new page
    plan = RunPlan(roots=roots, pass_names=("exif", "thumbs"))
    with pytest.raises(DiskFull) as raised:
        run_index(settings, plan, db=db, show_bar=False, log=lambda line: None)
    assert "is full" in str(raised.value) and "run it again" in str(raised.value)
    assert raised.value.__suppress_context__  # one line for the person, not three chained tracebacks
    db.close()
    assert leftovers(settings.home) == []

    state = run_index(settings, plan, show_bar=False, log=lambda line: None)
    assert state.passes is not None and all(report.errors == 0 for report in state.passes.passes)
    check = connect(settings.db_path)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT COUNT(*) FROM thumbnails").fetchone()[0] == 300
    finally:
        check.close()


def test_a_full_disk_is_recognised_behind_any_wrapping():
    assert is_disk_full(OSError(28, "No space left on device"))
    wrapped = RuntimeError("render failed")
    wrapped.__cause__ = OSError(28, "No space left on device")
    assert is_disk_full(wrapped)
    assert is_disk_full(Exception("database or disk is full"))
    assert not is_disk_full(OSError(13, "Permission denied"))
    assert not is_disk_full(ValueError("bad value"))
