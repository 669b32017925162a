"""Collections in the database: manual order, idempotent writes, unknown ids, deletes that keep photos."""
from __future__ import annotations

import pytest

from gallery_builder.db import collections as albums
from gallery_builder.db.connection import connect
from gallery_builder.db.decisions import UnknownPhotos, pending_republish_requests


@pytest.fixture
def db(tmp_path):
    connection = connect(tmp_path / "gallery.db")
    connection.execute("INSERT INTO roots (id, label, path) VALUES (1, 'photos', '/p')")
    for number in range(1, 9):
        connection.execute(
            "INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns, status,"
            " first_seen, last_seen) VALUES (?, 1, ?, ?, '', ?, 'photo', 1, 1, 'ok', 'x', 'x')",
            (number, f"{number}.jpg", f"{number}.jpg".encode(), f"{number}.jpg"))
    connection.commit()
    yield connection
    connection.close()


def order(db, collection_id):
    return [row[0] for row in db.execute("SELECT photo_id FROM collection_photos WHERE collection_id = ?"
                                         " ORDER BY position", (collection_id,))]


def positions(db, collection_id):
    return [row[0] for row in db.execute("SELECT position FROM collection_photos WHERE collection_id = ?"
                                         " ORDER BY position", (collection_id,))]


def test_add_keeps_the_given_order_and_adding_again_changes_nothing(db):
    created = albums.create_collection(db, "  Summer   2023 ", "test")
    trip = created.collection_id
    assert created.created and albums.get_collection(db, trip).name == "Summer 2023"
    first = albums.add_photos(db, trip, [5, 2, 7, 2], "test")
    assert first.photo_ids == (5, 2, 7) and order(db, trip) == [5, 2, 7]
    version = first.version
    again = albums.add_photos(db, trip, [2, 7, 5], "test")
    assert again.changes == () and again.version == version
    more = albums.add_photos(db, trip, [1, 5], "test")
    assert more.photo_ids == (1,) and order(db, trip) == [5, 2, 7, 1] and positions(db, trip) == [0, 1, 2, 3]
    assert albums.collections_version(db) == version + 1
    assert albums.get_collection(db, trip).cover_photo_id == 5  # no cover chosen: the first photo


def test_move_and_remove_keep_positions_dense_and_the_cover_falls_back(db):
    trip = albums.create_collection(db, "Trip", "test").collection_id
    albums.add_photos(db, trip, [1, 2, 3, 4, 5], "test")
    albums.move_photos(db, trip, [5, 4], 2, "test")
    assert order(db, trip) == [1, 5, 4, 2, 3]
    albums.move_photos(db, trip, [1], None, "test")
    assert order(db, trip) == [5, 4, 2, 3, 1]
    assert albums.move_photos(db, trip, [1], None, "test").changes == ()  # already last
    albums.set_cover(db, trip, 2, "test")
    assert albums.get_collection(db, trip).cover_photo_id == 2
    assert albums.set_cover(db, trip, 2, "test").changes == ()
    removed = albums.remove_photos(db, trip, [2, 4, 8], "test")  # 8 is a photo, not a member: ignored
    assert removed.photo_ids == (4, 2)
    assert order(db, trip) == [5, 3, 1] and positions(db, trip) == [0, 1, 2]
    assert albums.get_collection(db, trip).cover_photo_id == 5
    assert albums.remove_photos(db, trip, [2, 4], "test").changes == ()


def test_unknown_ids_raise_and_write_nothing(db):
    trip = albums.create_collection(db, "Trip", "test").collection_id
    albums.add_photos(db, trip, [1, 2], "test")
    version = albums.collections_version(db)
    with pytest.raises(UnknownPhotos) as unknown:
        albums.add_photos(db, trip, [3, 999, 998], "test")
    assert unknown.value.ids == [998, 999]
    with pytest.raises(albums.UnknownCollection):
        albums.add_photos(db, 4242, [3], "test")
    with pytest.raises(albums.UnknownCollection):
        albums.rename_collection(db, 4242, "x", "test")
    with pytest.raises(albums.CollectionRefused):
        albums.set_cover(db, trip, 3, "test")  # a photo, but not in the collection
    with pytest.raises(albums.CollectionRefused):
        albums.move_photos(db, trip, [1], 3, "test")
    with pytest.raises(albums.CollectionRefused):
        albums.create_collection(db, "   ", "test")
    assert order(db, trip) == [1, 2] and albums.collections_version(db) == version


def test_names_are_unique_in_any_case_and_create_is_idempotent(db):
    trip = albums.create_collection(db, "Trip", "test").collection_id
    same = albums.create_collection(db, "TRIP", "test")
    assert same.collection_id == trip and not same.created and same.changes == ()
    other = albums.create_collection(db, "Other", "test").collection_id
    with pytest.raises(albums.CollectionRefused) as taken:
        albums.rename_collection(db, other, "trip", "test")
    assert taken.value.conflict
    assert albums.rename_collection(db, other, "Other", "test").changes == ()
    assert albums.rename_collection(db, other, "Beach", "test").changes
    assert [c.name for c in albums.list_collections(db)] == ["Beach", "Trip"]
    assert albums.find_collection(db, "beach").id == other


def test_delete_keeps_the_photos_and_every_write_asks_for_a_republish(db):
    trip = albums.create_collection(db, "Trip", "test").collection_id
    albums.add_photos(db, trip, [1, 2, 3], "test")
    requests = len(pending_republish_requests(db))
    albums.delete_collection(db, trip, "test")
    assert len(pending_republish_requests(db)) == requests + 1
    assert db.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 8
    assert db.execute("SELECT COUNT(*) FROM collection_photos").fetchone()[0] == 0
    with pytest.raises(albums.UnknownCollection):
        albums.delete_collection(db, trip, "test")
    actions = [row[0] for row in db.execute("SELECT action FROM collection_log ORDER BY seq")]
    assert actions == ["create", "add", "delete"]


def test_photo_ids_to_index_can_take_in_the_rest_of_each_stack(db):
    db.execute("INSERT INTO stacks (id, kind, top_photo_id, updated_at) VALUES (1, 'burst', 3, 'x')")
    db.executemany("INSERT INTO stack_members (photo_id, stack_id) VALUES (?, 1)", [(3,), (4,), (6,)])
    db.commit()
    trip = albums.create_collection(db, "Trip", "test").collection_id
    albums.add_photos(db, trip, [4, 1], "test")
    assert albums.photo_ids_to_index(db, trip) == [1, 4]
    assert albums.photo_ids_to_index(db, trip, expand_stacks=True) == [1, 3, 4, 6]
