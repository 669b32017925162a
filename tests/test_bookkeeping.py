"""Bookkeeping that must stay cheap at a million photos: pending queries read indexes (merged ranges,
not a look-up per photo), a no-op rescan asks the database nothing per file, and `gallery status`
counts each pass's pending with the pass's own query."""
from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from gallery_builder.config import Root
from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db.connection import connect
from gallery_builder.db.pass_queries import pass_outcome
from gallery_builder.indexing.scan import Scanner
from gallery_builder.passes import registry
from gallery_builder.passes.base import recorded_version
from gallery_builder.passes.coverage import count_pending

STAMP = "2024-01-01T00:00:00+00:00"


def add_photo(db, number: int, *, root: int = 1, folder: str = "a", status: str = "ok",
              content_hash: str | None = "h", kind: str = "photo") -> int:
    path = f"{folder}/p{number}.jpg"
    return db.execute(
        "INSERT INTO photos (root_id, path, path_bytes, folder, name, kind, size, mtime_ns, content_hash, status,"
        " first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?)",
        (root, path, path.encode(), folder, f"p{number}.jpg", kind,
         None if content_hash is None else f"{content_hash}{number}", status, STAMP, STAMP)).lastrowid


def add_run(db, photo_id: int, pass_name: str, *, status: str = "ok", version: int = 1, stale: bool = False,
            when: str = STAMP) -> None:
    content = db.execute("SELECT content_hash FROM photos WHERE id = ?", (photo_id,)).fetchone()[0]
    db.execute("INSERT OR REPLACE INTO pass_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (photo_id, pass_name, version, "old" if stale else content, status,
                None if status == "ok" else "corrupt", None if status == "ok" else "bad", when))


@pytest.fixture
def library(tmp_path):
    """Photos in every state a pending query must tell apart, for every registered pass."""
    db = connect(tmp_path / "gallery.db")
    context = RunContext.for_home(tmp_path)
    db.execute("INSERT INTO roots (label, path) VALUES ('one', '/one'), ('two', '/two')")
    passes = list(registry())
    current = {name: recorded_version(the_pass, context) for name, the_pass in registry().items()}
    number = 0

    def photo(**kwargs) -> int:
        nonlocal number
        number += 1
        return add_photo(db, number, **kwargs)

    for _ in range(3):  # up to date everywhere
        done = photo()
        for name in passes:
            add_run(db, done, name, version=current[name])
    for folder in ("a", "a/b", "c"):
        photo(folder=folder)  # never processed
    for name in passes:
        add_run(db, photo(), name, stale=True, version=current[name])      # results for old content
        add_run(db, photo(), name, status="error", version=current[name])  # failed on this content: waits
        add_run(db, photo(), name, status="error", version=0)  # failed on an older version
        add_run(db, photo(), name, version=0)             # done by an older version
    thumbs_failed = photo(folder="c")
    add_run(db, thumbs_failed, "thumbs", status="error")   # what needs thumbs waits
    exif_done = photo(root=2)
    add_run(db, exif_done, "exif")                          # geocode may run
    for name in passes:
        add_run(db, photo(status="missing"), name, version=current[name])  # missing: never pending
    photo(content_hash=None, status="error")                # unreadable: no content to process
    photo(kind="video", root=2)
    vector_model = context.settings.clip_model
    for photo_id, content in ((1, "h1"), (2, "old")):       # a current vector, and one for old content
        db.execute("INSERT INTO clip_vectors (photo_id, model, dim, vector, content_hash, updated_at)"
                   " VALUES (?, ?, 1, x'00000000', ?, ?)", (photo_id, vector_model, content, STAMP))
    from gallery_builder.passes.quality import head_key

    for photo_id in (1, 2, 3):   # described and scored: what critique and verify read
        content = db.execute("SELECT content_hash FROM photos WHERE id = ?", (photo_id,)).fetchone()[0]
        db.execute("INSERT INTO photo_descriptions (photo_id, model, content_hash, description, updated_at)"
                   " VALUES (?, ?, ?, 'A photo.', ?)", (photo_id, context.settings.describe_model, content, STAMP))
        db.execute("INSERT INTO photo_quality (photo_id, model, content_hash, score, updated_at) VALUES (?, ?, ?, 5, ?)",
                   (photo_id, head_key(context)[0], content, STAMP))
    with_thumbs = [row[0] for row in db.execute("SELECT id FROM photos WHERE status = 'ok'")]
    for photo_id in with_thumbs[-4:]:
        add_run(db, photo_id, "thumbs")
    db.execute("ANALYZE")
    return db, context


def scopes(db) -> list[Scope]:
    every = tuple(row[0] for row in db.execute("SELECT id FROM photos"))
    return [Scope(), Scope(root_ids=(1,)), Scope(root_ids=(2,)), Scope(photo_ids=every),
            Scope(photo_ids=every[::3]), Scope(folder="a"), Scope(root_ids=(1,), folder="c")]


def test_count_pending_equals_the_length_of_pending_for_every_pass_and_scope(library):
    db, context = library
    for name, the_pass in registry().items():
        for scope in scopes(db):
            for force in (False, True):
                ids = the_pass.pending(db, scope, context, force)
                assert ids == sorted(set(ids)), (name, scope)
                assert the_pass.count_pending(db, scope, context, force) == len(ids), (name, scope, force)


def test_a_library_read_by_merged_ranges_pends_what_a_photo_by_photo_read_pends(library):
    """The whole-library SQL (merged index ranges) and the chunk SQL (a look-up per photo) are two
    spellings of one rule: on every state of the fixture they must pick the same photos."""
    db, context = library
    every = tuple(row[0] for row in db.execute("SELECT id FROM photos"))
    for name, the_pass in registry().items():
        for force in (False, True):
            whole = the_pass.pending(db, Scope(), context, force)
            assert whole == the_pass.pending(db, Scope(photo_ids=every), context, force), (name, force)
            in_root = the_pass.pending(db, Scope(root_ids=(2,)), context, force)
            assert in_root == [photo_id for photo_id in whole
                               if db.execute("SELECT root_id FROM photos WHERE id = ?", (photo_id,)).fetchone()[0] == 2]
        assert the_pass.pending(db, Scope(), context)  # the fixture leaves work for every pass


def test_status_counts_pending_with_each_pass_own_query(library, tmp_path):
    db, context = library
    from gallery_builder.cli import main

    db.close()
    result = CliRunner().invoke(main, ["status", "--home", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    shown = {row["pass"]: row for row in json.loads(result.output)["passes"]}
    db = connect(tmp_path / "gallery.db")
    for name, the_pass in registry().items():
        assert shown[name]["pending"] == len(the_pass.pending(db, Scope(), context)), name
        assert count_pending(the_pass, db, Scope(), context) == shown[name]["pending"]
        ok, errors, _ = pass_outcomes(db, name, recorded_version(the_pass, context))  # the photo-by-photo join
        assert (shown[name]["ok"], shown[name]["errors"]) == (ok, errors), name


def test_the_newest_result_of_a_pass_version_is_its_last_run(library):
    db, _ = library
    add_run(db, add_photo(db, 900), "exif", when="2025-05-05T00:00:00+00:00")
    add_run(db, add_photo(db, 901), "exif", version=0, when="2026-06-06T00:00:00+00:00")
    assert pass_outcome(db, "exif", 1)[2] == "2025-05-05T00:00:00+00:00"


def traced_plan(db, call) -> list[str]:
    """EXPLAIN QUERY PLAN of the last statement `call` ran (as SQLite saw it, parameters bound)."""
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    try:
        call()
    finally:
        db.set_trace_callback(None)
    return [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + statements[-1])]


@pytest.mark.parametrize("name", list(registry()))
def test_pending_queries_read_indexes_not_every_photo_one_by_one(library, name):
    db, context = library
    the_pass = registry()[name]
    every = tuple(row[0] for row in db.execute("SELECT id FROM photos"))
    for scope in (Scope(), Scope(root_ids=(1,))):
        plan = traced_plan(db, lambda: the_pass.pending(db, scope, context))
        text = " | ".join(plan)
        assert not any("CORRELATED" in line for line in plan), text  # no look-up per photo
        assert any(line.startswith("MERGE") for line in plan), text
        sides = [line for line in plan if " r " in f" {line} " or " q " in f" {line} "
                 or " t " in f" {line} " or " v " in f" {line} "]
        assert sides and all("USING COVERING INDEX" in line for line in sides), text
        assert "TEMP B-TREE" not in text, text  # each side arrives sorted from its index
    chunk = traced_plan(db, lambda: the_pass.pending(db, Scope(photo_ids=every[:5]), context))
    text = " | ".join(chunk)
    assert any(line.startswith("SEARCH p USING INTEGER PRIMARY KEY") for line in chunk), text
    assert not any(line.startswith("SCAN") for line in chunk), text  # a chunk reads only its photos


def test_a_noop_rescan_asks_nothing_per_file_and_changes_nothing(tmp_path):
    def statements_of_noop_rescan(count: int) -> int:
        root = tmp_path / f"lib{count}"
        for number in range(count):
            folder = root / f"f{number // 10}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"p{number}.jpg").write_bytes(b"\xff\xd8\xff" + number.to_bytes(4, "big"))
        db = connect(tmp_path / f"g{count}.db")
        Scanner(db, Root("lib", root), []).scan()
        before = [tuple(row) for row in db.execute("SELECT * FROM photos ORDER BY id")]
        statements: list[str] = []
        db.set_trace_callback(statements.append)
        report = Scanner(db, Root("lib", root), []).scan()
        db.set_trace_callback(None)
        assert report.counts["unchanged"] == count and report.counts["seen"] == count
        assert not report.new_ids and not report.changed_ids
        assert [tuple(row) for row in db.execute("SELECT * FROM photos ORDER BY id")] == before
        assert not [sql for sql in statements if "photos" in sql and not sql.startswith("SELECT")]
        return len(statements)

    assert statements_of_noop_rescan(12) == statements_of_noop_rescan(60)


def pass_outcomes(  # the plain photo-by-photo join, kept here as the oracle
        db: Any, pass_name: str, version: int) -> tuple[int, int, str | None]:
    """(ok, errors, last run) of one pass version over present photos' current content."""
    counts = db.execute(
        "SELECT SUM(r.status = 'ok') AS ok, SUM(r.status = 'error') AS errors, MAX(r.updated_at) AS last_run"
        " FROM pass_runs r JOIN photos p ON p.id = r.photo_id WHERE r.pass = ? AND r.version = ?"
        " AND p.status != 'missing' AND r.content_hash IS p.content_hash",
        (pass_name, version)).fetchone()
    return int(counts["ok"] or 0), int(counts["errors"] or 0), counts["last_run"]
