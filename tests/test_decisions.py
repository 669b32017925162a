"""A person's decisions in SQLite: flags and stars, the log and its version, republish requests."""
from __future__ import annotations

import pytest

from gallery_builder.db import decisions
from gallery_builder.db.connection import IntegrityError, connect, transaction
from gallery_builder.db.photos import FileRecord, ensure_root, insert_file


@pytest.fixture
def db(tmp_path):
    connection = connect(tmp_path / "gallery.db")
    with transaction(connection):
        root = ensure_root(connection, "photos", str(tmp_path / "photos"))
        for number in range(1, 6):
            name = f"IMG_{number}.JPG"
            insert_file(connection, root, FileRecord(name.encode(), name, "", name, "photo", 100, 1, f"hash{number}"))
    yield connection
    connection.close()


def log_rows(db) -> list[tuple]:
    return [tuple(row) for row in db.execute("SELECT photo_id, field, value, source FROM decision_log ORDER BY seq")]


def test_setting_a_flag_logs_each_change_once_and_is_idempotent(db):
    first = decisions.set_flag(db, [1, 2, 2], "pick", "cli")
    assert first.changed_ids == [1, 2] and first.version == 2
    again = decisions.set_flag(db, [2, 1], "pick", "api")
    assert again.changes == () and again.version == 2
    assert log_rows(db) == [(1, "flag", "pick", "cli"), (2, "flag", "pick", "cli")]
    assert len(decisions.pending_republish_requests(db)) == 1  # the no-op wrote no request either
    cleared = decisions.set_flag(db, [1, 3], None, "api")
    assert [(change.photo_id, change.before, change.after) for change in cleared.changes] == [(1, "pick", None)]
    assert log_rows(db)[-1] == (1, "flag", None, "api")
    assert decisions.decisions_of(db, [1, 2, 3]) == {
        1: decisions.Decision(1, None, 0), 2: decisions.Decision(2, "pick", 0), 3: decisions.Decision(3, None, 0)}


def test_stars_and_flag_are_separate_fields_of_one_row(db):
    decisions.set_stars(db, [4], 3, "cli")
    decisions.set_flag(db, [4], "reject", "cli")
    assert decisions.set_stars(db, [4, 5], 0, "cli").changed_ids == [4]  # 5 had no stars: nothing to clear
    decisions.set_stars(db, [4], 5, "cli")
    assert decisions.decisions_of(db, [4]) == {4: decisions.Decision(4, "reject", 5)}
    assert [row[1:3] for row in log_rows(db)] == [("stars", "3"), ("flag", "reject"), ("stars", "0"), ("stars", "5")]


def test_unknown_ids_write_nothing_at_all(db):
    with pytest.raises(decisions.UnknownPhotos) as raised:
        decisions.set_flag(db, [1, 99, 77], "pick", "api")
    assert raised.value.ids == [77, 99] and "77, 99" in str(raised.value)
    assert log_rows(db) == [] and decisions.decisions_of(db, [1]) == {1: decisions.Decision(1, None, 0)}
    assert decisions.pending_republish_requests(db) == []
    assert decisions.unknown_photo_ids(db, [5, 6]) == [6]


def test_bad_values_are_refused_by_the_functions_and_by_the_schema(db):
    with pytest.raises(ValueError):
        decisions.set_flag(db, [1], "maybe", "cli")  # type: ignore[arg-type]
    for stars in (6, -1, True, 2.5):
        with pytest.raises(ValueError):
            decisions.set_stars(db, [1], stars, "cli")  # type: ignore[arg-type]
    for column, value in (("flag", "maybe"), ("stars", 6)):
        with pytest.raises(IntegrityError):
            db.execute(f"INSERT INTO photo_decisions (photo_id, {column}, updated_at) VALUES (1, ?, 'now')", (value,))
    with pytest.raises(IntegrityError):  # no decision about a photo that does not exist
        db.execute("INSERT INTO photo_decisions (photo_id, updated_at) VALUES (999, 'now')")


def test_decisions_since_a_version_give_the_current_state_of_what_changed(db):
    assert decisions.decisions_since(db, 0) == (0, [])
    decisions.set_flag(db, [1, 2], "pick", "cli")
    version, _ = decisions.decisions_since(db, 0)
    decisions.set_stars(db, [2, 3], 4, "api")
    decisions.set_flag(db, [2], "reject", "api")
    newest, changed = decisions.decisions_since(db, version)
    assert newest == version + 3
    assert changed == [decisions.Decision(2, "reject", 4), decisions.Decision(3, None, 4)]
    assert decisions.decisions_since(db, newest) == (newest, [])


def test_a_large_selection_is_one_write(db):
    ids = list(range(1, 6)) * 20_000  # 100,000 ids, repeated: one parameter, no SQLite variable limit
    assert decisions.set_stars(db, ids, 2, "api").changed_ids == [1, 2, 3, 4, 5]


def test_republish_requests_are_cleared_only_up_to_what_a_republish_covered(db):
    decisions.set_flag(db, [1], "pick", "cli")
    covered = decisions.pending_republish_requests(db)[-1].id
    decisions.set_flag(db, [2], "pick", "cli")  # written while that republish ran
    assert decisions.clear_republish_requests(db, covered) == 1
    left = decisions.pending_republish_requests(db)
    assert len(left) == 1 and "flag pick on 1 photo(s)" in left[0].reason
    decisions.request_republish(db, "by hand")
    assert [request.reason for request in decisions.pending_republish_requests(db)][-1] == "by hand"
