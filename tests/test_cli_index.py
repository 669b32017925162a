"""`gallery index` as a user runs it: a subprocess over real files, end to end."""
from __future__ import annotations

import json
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gallery_builder.db.connection import DRIVER, connect
from tests.conftest import REPO, make_library, run_gallery
from tests.waiting import wait_for


def parquet_rows(home: Path, name: str = "photos.parquet") -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(home / "parquet" / name).to_pylist()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The project's own sample library, indexed once by the CLI."""
    base = tmp_path_factory.mktemp("sample")
    run_gallery("sample-library", str(base / "photos"), "--count", "24")
    result = run_gallery("index", str(base / "photos"), "--home", str(base / "home"))
    return base, result


def test_every_command_has_complete_help_with_an_example():
    from click.testing import CliRunner

    from gallery_builder.cli import main

    runner = CliRunner()
    for name, command in main.commands.items():
        output = runner.invoke(main, [name, "--help"]).output
        assert "Example" in output, name
        assert len((command.help or "").strip()) > 40, name
        for parameter in command.params:
            if isinstance(parameter, type(command.params[0])) and getattr(parameter, "help", None) is None \
                    and parameter.param_type_name == "option":
                pytest.fail(f"{name} {parameter.opts} has no help")


def test_pass_flags_come_from_the_registry():
    from gallery_builder.cli import main
    from gallery_builder.passes import registry

    options = {opt for parameter in main.commands["index"].params for opt in parameter.opts + parameter.secondary_opts}
    for name in registry():
        flag = name.replace("_", "-")
        assert {f"--{flag}", f"--no-{flag}", f"--force-{flag}"} <= options


def test_sample_library_end_to_end(sample):
    base, result = sample
    home = base / "home"
    truth = json.loads((base / "photos" / "ground_truth.json").read_text())
    rows = {row["path"]: row for row in parquet_rows(home)}
    assert set(truth["duplicate"]) <= set(rows)
    assert not set(truth["skipped"]) & set(rows)
    for photo in truth["photos"]:
        row = rows[photo["path"]]
        assert row["status"] == "ok", row
        assert row["taken_at"].startswith(photo["taken_at"]) and row["taken_at_source"] == "exif"
        assert (row["camera_make"], row["camera_model"]) == (photo["make"], photo["model"])
        assert row["country_code"] == photo["country_code"]
        assert row["thumb_widths"] and row["colors"] and len(row["phash"]) == 16
        for width in row["thumb_widths"]:
            from gallery_builder.core.thumb_layout import thumb_relpath

            assert (home / "thumbs" / thumb_relpath(row["thumb_key"], width)).is_file()
    assert rows[truth["duplicate"][0]]["thumb_key"] == rows[truth["duplicate"][1]]["thumb_key"]
    status = run_gallery("status", "--home", str(home), "--json")
    data = json.loads(status.stdout)
    assert data["by_status"] == {"ok": len(rows)}
    assert {row["pass"]: row["ok"] for row in data["passes"]}["thumbs"] == len(rows)
    assert data["skipped"] == {"appledouble": 1, "numbered_copy": 1}
    progress = json.loads((home / "progress.json").read_text())
    assert progress["state"] == "done"


def test_parquet_columns_match_the_documented_contract(sample):
    import pyarrow.parquet as pq

    base, _ = sample
    documented = []
    for line in (REPO / "docs" / "parquet.md").read_text().splitlines():
        if line.startswith("| ") and not line.startswith("| column") and "|---" not in line:
            documented.extend(name.strip() for name in line.split("|")[1].split(","))
        if line.startswith("## Other files"):
            break
    schema = pq.read_schema(base / "home" / "parquet" / "photos.parquet")
    assert schema.names == documented
    for name in ("roots", "pass_coverage", "errors", "skipped"):
        assert (base / "home" / "parquet" / f"{name}.parquet").exists()
    assert json.loads((base / "home" / "parquet" / "export.json").read_text())["counts"]["photos.parquet"] > 0


def test_corpus_bad_files_are_recorded_and_originals_never_written(corpus, manifest, tmp_path):
    library = tmp_path / "lib"
    for folder in ("broken", "exif/gps", "formats/heic"):
        shutil.copytree(corpus / folder, library / folder)
    before = {path: path.read_bytes() for path in library.rglob("*") if path.is_file()}
    for path in library.rglob("*"):  # a read-only copy, like a NAS share mounted ro
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    result = run_gallery("index", str(library), "--home", str(tmp_path / "home"))
    assert "Traceback" not in result.stderr, result.stderr  # bad files are recorded, never a crash
    after = {path: path.read_bytes() for path in library.rglob("*") if path.is_file()}
    assert after == before
    rows = {row["path"]: row for row in parquet_rows(tmp_path / "home")}
    expected = {entry["dest"]: entry["expect"]["decision"] for entry in manifest["files"]}
    for path, row in rows.items():
        if expected.get(path) == "reject":
            assert row["status"] == "error" and row["error_code"] and row["error"], row
        elif expected.get(path) == "index":
            assert row["status"] == "ok", row
    errors = run_gallery("errors", "--home", str(tmp_path / "home"))
    assert "broken/made_zero_bytes.jpg" in errors.stdout and "empty" in errors.stdout


def _count(db_path: Path, sql: str) -> int:
    if not db_path.exists():
        return 0
    connection = DRIVER.connect(str(db_path), timeout=30)
    try:
        return connection.execute(sql).fetchone()[0]
    except DRIVER.OperationalError:
        return 0
    finally:
        connection.close()


@pytest.mark.slow  # ~13 s (150 photos); tests/test_runner.py covers resuming after an interrupt quickly
def test_kill_minus_nine_then_resume(tmp_path):
    library = tmp_path / "lib"
    make_library(library, 150, "--size", "800x600")
    home = tmp_path / "home"
    command = [sys.executable, "-m", "gallery_builder", "index", str(library), "--home", str(home),
               "--batch-size", "8", "--workers", "1"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    thumbs_done = lambda: _count(home / "gallery.db", "SELECT COUNT(*) FROM pass_runs WHERE pass='thumbs'")  # noqa: E731

    def two_batches_of_thumbs() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the indexer ended ({process.returncode}) before it could be killed mid-run")
        return thumbs_done() >= 16

    try:
        wait_for(two_batches_of_thumbs, 180, "two committed batches of thumbnails", interval=0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    done_before = thumbs_done()
    total = _count(home / "gallery.db", "SELECT COUNT(*) FROM photos")
    assert 16 <= done_before < total, f"the kill should land mid-run: {done_before} of {total} thumbnails done"
    run_gallery("index", "--home", str(home))
    db = connect(home / "gallery.db")
    assert db.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == total
    for name in ("exif", "thumbs", "colors", "phash", "geocode"):
        assert db.execute("SELECT COUNT(*) FROM pass_runs WHERE pass = ? AND status = 'ok'",
                          (name,)).fetchone()[0] == total, name
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_while_the_indexer_writes(sample, tmp_path):
    base, _ = sample
    home = base / "home"
    writer = connect(home / "gallery.db")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE photos SET last_seen = 'during-backup'")
    result = run_gallery("backup", str(tmp_path), "--home", str(home))  # a writer holds the lock
    writer.execute("ROLLBACK")
    writer.close()
    copies = list(tmp_path.glob("gallery-*.db"))
    assert len(copies) == 1 and "backed up" in result.stdout
    copy = DRIVER.connect(str(copies[0]))
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT COUNT(*) FROM photos WHERE last_seen = 'during-backup'").fetchone()[0] == 0
    assert copy.execute("SELECT COUNT(*) FROM photos").fetchone()[0] > 0


def test_purge_drops_missing_photos_and_their_thumbnails(tmp_path):
    run_gallery("sample-library", str(tmp_path / "photos"), "--count", "12")
    home = tmp_path / "home"
    run_gallery("index", str(tmp_path / "photos"), "--home", str(home), "--no-geocode", "--no-colors")
    victim = next(path for path in sorted((tmp_path / "photos").rglob("IMG_*.JPG")))
    victim.unlink()
    run_gallery("index", "--home", str(home), "--no-geocode", "--no-colors")
    row = next(row for row in parquet_rows(home) if row["name"] == victim.name)
    assert row["status"] == "missing"
    from gallery_builder.core.thumb_layout import thumb_relpath

    thumbs = [home / "thumbs" / thumb_relpath(row["thumb_key"], width) for width in row["thumb_widths"]]
    assert all(path.exists() for path in thumbs)
    result = run_gallery("purge", "--home", str(home))
    assert "1 missing photo(s) purged" in result.stdout
    assert not any(path.exists() for path in thumbs)
    assert connect(home / "gallery.db").execute("SELECT COUNT(*) FROM photos WHERE status='missing'").fetchone()[0] == 0


def test_an_unmounted_root_is_refused_with_a_clear_message(tmp_path):
    run_gallery("sample-library", str(tmp_path / "photos"), "--count", "12")
    home = tmp_path / "home"
    run_gallery("index", str(tmp_path / "photos"), "--home", str(home), "--no-geocode", "--no-colors")
    shutil.rmtree(tmp_path / "photos")
    result = run_gallery("index", "--home", str(home), check=False)
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert connect(home / "gallery.db").execute("SELECT COUNT(*) FROM photos WHERE status='missing'").fetchone()[0] == 0
