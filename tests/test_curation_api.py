"""The sidecar's stack-edit and "reject the others" routes, and collections by photo, on the real app
(Starlette TestClient) over a library indexed for real: edits apply at once, are recorded for
re-stacking to replay, and unknown ids answer 404 with nothing written."""
from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gallery_builder.db.connection import connect, transaction
from gallery_builder.db.duplicates import DuplicateGroup, Member, replace_groups
from gallery_builder.db.stacks import NewStack, replace_stacks, stack_edits
from tests.search_library import build_home
from tests.test_decisions_api import current, make_client, photo_ids, pretend_a_watcher_runs


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("curation_api"), passes=("exif", "thumbs"))


@pytest.fixture
def client(library) -> TestClient:
    pretend_a_watcher_runs(library)
    return make_client(library)


def store_stack(home: Path, members: list[int], top: int) -> int:
    db = connect(home / "gallery.db")
    try:
        with transaction(db):
            replace_stacks(db, members, [NewStack(tuple(members), top, "burst")], {}, [])
        return db.execute("SELECT stack_id FROM stack_members WHERE photo_id = ?", (top,)).fetchone()[0]
    finally:
        db.close()


def stored(home: Path, stack_id: int) -> tuple[int | None, list[int]]:
    db = connect(home / "gallery.db", readonly=True)
    try:
        top = db.execute("SELECT top_photo_id FROM stacks WHERE id = ?", (stack_id,)).fetchone()
        members = [row[0] for row in db.execute("SELECT photo_id FROM stack_members WHERE stack_id = ? ORDER BY photo_id",
                                                (stack_id,))]
        return (top[0] if top else None), members
    finally:
        db.close()


def edits(home: Path) -> list[tuple[str, tuple[int, ...]]]:
    db = connect(home / "gallery.db", readonly=True)
    try:
        return [(edit.action, edit.photo_ids) for edit in stack_edits(db)]
    finally:
        db.close()


def test_stack_edits_apply_at_once_and_are_recorded_for_restacking(client, library):
    ids = photo_ids(library)
    stack = store_stack(library, ids[:4], ids[0])
    before = len(edits(library))
    answer = client.post("/api/stacks/edit", json={"action": "set_top", "photo": ids[2]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["top"] == ids[2] and stored(library, stack) == (ids[2], ids[:4])
    again = client.post("/api/stacks/edit", json={"action": "set_top", "photo": ids[2]}).json()
    assert again["changes"] == []                                            # already so: nothing recorded
    removed = client.post("/api/stacks/edit", json={"action": "remove", "photo": ids[2]}).json()
    assert removed["members"] == [ids[0], ids[1], ids[3]] and removed["top"] == ids[0]
    assert stored(library, stack) == (ids[0], [ids[0], ids[1], ids[3]])
    split = client.post("/api/stacks/edit", json={"action": "not_a_stack", "stack": stack}).json()
    assert split["members"] == [] and stored(library, stack) == (None, [])
    assert edits(library)[before:] == [("set_top", (ids[2],)), ("remove", (ids[2],)),
                                       ("not_a_stack", (ids[0], ids[1], ids[3]))]


def test_stack_edits_refuse_unknown_photos_unstacked_photos_and_bad_actions(client, library):
    ids = photo_ids(library)
    count = len(edits(library))
    assert client.post("/api/stacks/edit", json={"action": "set_top", "photo": 999_999}).status_code == 404
    assert client.post("/api/stacks/edit", json={"action": "remove", "photo": ids[-1]}).status_code == 404
    assert client.post("/api/stacks/edit", json={"action": "not_a_stack", "stack": 999_999}).status_code == 404
    assert client.post("/api/stacks/edit", json={"action": "merge", "photo": ids[0]}).status_code == 400
    assert client.post("/api/stacks/edit", json={"action": "set_top", "photo": "1"}).status_code == 400
    assert len(edits(library)) == count


def test_reject_the_others_flags_every_copy_but_the_keeper(client, library):
    ids = photo_ids(library)
    db = connect(library / "gallery.db")
    try:
        replace_groups(db, None, [DuplicateGroup(None, "exact", ids[1], (Member(ids[1], "exact", True),
                                                                         Member(ids[2], "exact", False),
                                                                         Member(ids[3], "exact", False)))])
        group = db.execute("SELECT group_id FROM duplicate_members WHERE photo_id = ?", (ids[1],)).fetchone()[0]
    finally:
        db.close()
    assert client.post("/api/duplicates/reject-others", json={"groups": [group, 999_999]}).status_code == 404
    assert current(client, ids[1:4])[ids[2]]["flag"] is None                  # nothing written
    answer = client.post("/api/duplicates/reject-others", json={"groups": [group]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["rejected"] == [ids[2], ids[3]]
    assert [current(client, ids[1:4])[photo]["flag"] for photo in ids[1:4]] == [None, "reject", "reject"]
    assert client.post("/api/duplicates/reject-others", json={"groups": [group]}).json()["changed"] == []


def test_writes_need_the_guard(library):
    pretend_a_watcher_runs(library)
    outsider = make_client(library)
    outsider.headers.pop("X-Gallery-Token")
    assert outsider.post("/api/duplicates/reject-others", json={"groups": [1]}).status_code == 403
    assert outsider.post("/api/stacks/edit", json={"action": "set_top", "photo": 1}).status_code == 403


def test_collections_of_one_photo(client, library):
    ids = photo_ids(library)
    album = client.post("/api/collections", json={"name": "Zebra"}).json()["id"]
    other = client.post("/api/collections", json={"name": "apples"}).json()["id"]
    client.post(f"/api/collections/{album}/photos", json={"add": [ids[1]]})
    client.post(f"/api/collections/{other}/photos", json={"add": [ids[1], ids[2]]})
    names = [item["name"] for item in client.get("/api/collections", params={"photo": ids[1]}).json()["collections"]]
    assert names == ["apples", "Zebra"]
    assert client.get("/api/collections", params={"photo": ids[3]}).json()["collections"] == []
    assert client.get("/api/collections", params={"photo": "x"}).status_code == 400
