"""`gallery status` answers from a snapshot while nothing it reads has changed, and never from a
stale one: every change to photos, pass runs, pass outputs or skips is counted by triggers."""
from __future__ import annotations

import json

from click.testing import CliRunner

from gallery_builder.cli import main
from gallery_builder.core.records import RunContext
from gallery_builder.db.connection import connect
from gallery_builder.db.status_snapshot import change_count
from gallery_builder.passes.coverage import compute_pass_coverage, library_status
from tests.test_bookkeeping import add_photo, add_run, library  # noqa: F401  (the fixture)


def status_json(home) -> dict:
    result = CliRunner().invoke(main, ["status", "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def fresh_figures(db, context) -> dict:
    return {row["pass"]: (row["ok"], row["errors"], row["pending"]) for row in compute_pass_coverage(db, context)}


def shown_figures(db, context) -> dict:
    return {row["pass"]: (row["ok"], row["errors"], row["pending"])
            for row in library_status(db, context)["passes"]}


def test_a_second_status_reads_the_snapshot(library):
    db, context = library
    first = library_status(db, context)
    snapshot = db.execute("SELECT counter, body FROM status_snapshots").fetchall()
    assert len(snapshot) == 1 and snapshot[0][0] == change_count(db)
    db.execute("UPDATE status_snapshots SET body = ?", (json.dumps({**first, "marker": 1}),))
    assert library_status(db, context).get("marker") == 1  # served without counting again


def test_every_kind_of_change_is_seen(library, tmp_path):
    db, context = library
    library_status(db, context)
    photo_id = db.execute("SELECT id FROM photos WHERE status != 'missing' ORDER BY id LIMIT 1").fetchone()[0]
    changes = [
        lambda: add_run(db, add_photo(db, 700), "exif"),                       # a new photo and a result
        lambda: add_run(db, photo_id, "colors", status="error"),              # a result replaced
        lambda: db.execute("UPDATE pass_runs SET status = 'error', error_code = 'corrupt'"
                           " WHERE photo_id = ? AND pass = 'exif'", (photo_id,)),  # a result updated
        lambda: db.execute("UPDATE photos SET content_hash = 'changed' WHERE id = ?", (photo_id,)),
        lambda: db.execute("UPDATE photos SET status = 'missing' WHERE id = ?", (photo_id,)),
        lambda: db.execute("DELETE FROM pass_runs WHERE pass = 'thumbs'"),
        lambda: db.execute("INSERT INTO skipped_files (root_id, path, reason)"
                           " VALUES (1, 'x.txt', 'not_media')"),
    ]
    for change in changes:
        before = change_count(db)
        change()
        assert change_count(db) > before
        assert shown_figures(db, context) == fresh_figures(db, context)
    shown = status_json(tmp_path)
    assert shown["skipped"] == {"not_media": 1}
    assert {row["pass"]: (row["ok"], row["errors"], row["pending"]) for row in shown["passes"]} \
        == fresh_figures(db, context)


def test_a_rewrite_of_unchanged_values_is_not_a_change(library):
    db, _ = library
    before = change_count(db)
    db.execute("UPDATE photos SET last_seen = '2030-01-01', status = status, content_hash = content_hash")
    assert change_count(db) == before


def test_other_settings_count_again(library, tmp_path):
    db, context = library
    library_status(db, context)
    other = RunContext(context.settings.__class__(**{**context.settings.__dict__, "default_passes": "exif"}))
    library_status(db, other)
    assert db.execute("SELECT COUNT(*) FROM status_snapshots").fetchone()[0] == 2


def test_a_read_only_database_still_answers(library, tmp_path):
    db, context = library
    db.close()
    readonly = connect(tmp_path / "gallery.db", readonly=True)
    assert shown_figures(readonly, context) == fresh_figures(readonly, context)


def test_every_table_a_pending_query_reads_is_counted(library):
    """A pass whose pending query reads a table the triggers do not watch would leave a stale status:
    trace every registered pass's pending SQL and check each table it reads has change triggers."""
    import re

    from gallery_builder.core.records import Scope
    from gallery_builder.passes import registry
    from gallery_builder.passes.coverage import count_pending

    db, context = library
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    try:
        for the_pass in registry().values():
            count_pending(the_pass, db, Scope(), context)
    finally:
        db.set_trace_callback(None)
    read = {name for sql in statements for name in re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)", sql)}
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    watched = {row[0] for row in db.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'"
                                            " AND sql LIKE '%index_changes%'")}
    unwatched = sorted((read & tables) - watched - {"index_changes", "status_snapshots", "roots"})
    assert unwatched == [], f"pending queries read {unwatched} but no trigger counts their changes"
