"""The sidecar's collection routes on the real app (Starlette TestClient) over a library indexed for real."""
from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gallery_builder.config import load_settings
from gallery_builder.db.connection import connect
from search_api.app import create_app
from search_api.write_guard import TOKEN_HEADER
from tests.search_library import MODEL, build_home
from tests.test_decisions_api import SITE, TOKEN, make_client, pretend_a_watcher_runs, photo_ids


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("collections_api"), passes=("exif", "thumbs"))


@pytest.fixture
def client(library) -> TestClient:
    pretend_a_watcher_runs(library)
    return make_client(library)


def created(client: TestClient, name: str) -> int:
    answer = client.post("/api/collections", json={"name": name})
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def members(client: TestClient, collection_id: int) -> list[int]:
    answer = client.get(f"/api/collections/{collection_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()["photos"]


def test_create_add_order_cover_rename_delete(client, library):
    ids = photo_ids(library)
    first = client.post("/api/collections", json={"name": "Holidays"}).json()
    assert first["created"] and first["collection"]["name"] == "Holidays" and first["collection"]["photo_count"] == 0
    again = client.post("/api/collections", json={"name": "holidays"}).json()
    assert again["id"] == first["id"] and not again["created"] and again["changes"] == []
    album = first["id"]
    added = client.post(f"/api/collections/{album}/photos", json={"add": [ids[2], ids[0], ids[1]]}).json()
    assert added["changed"] == [ids[2], ids[0], ids[1]] and added["collection"]["cover_photo_id"] == ids[2]
    same = client.post(f"/api/collections/{album}/photos", json={"add": [ids[0]]}).json()
    assert same["changed"] == [] and same["version"] == added["version"]
    client.post(f"/api/collections/{album}/order", json={"ids": [ids[1]], "before": ids[2]})
    assert members(client, album) == [ids[1], ids[2], ids[0]]
    client.post(f"/api/collections/{album}/order", json={"ids": [ids[1]], "before": None})
    assert members(client, album) == [ids[2], ids[0], ids[1]]
    cover = client.post(f"/api/collections/{album}/cover", json={"photo": ids[0]}).json()
    assert cover["collection"]["cover_photo_id"] == ids[0]
    client.post(f"/api/collections/{album}/photos", json={"remove": [ids[0]]})
    assert members(client, album) == [ids[2], ids[1]]
    renamed = client.post(f"/api/collections/{album}/rename", json={"name": "Summer"}).json()
    assert renamed["collection"]["name"] == "Summer"
    listing = client.get("/api/collections").json()
    assert {"Summer"} <= {item["name"] for item in listing["collections"]} and listing["version"] >= renamed["version"]
    deleted = client.post(f"/api/collections/{album}/delete", json={})
    assert deleted.status_code == 200 and deleted.json()["collection"] is None
    assert client.get(f"/api/collections/{album}").status_code == 404
    db = connect(library / "gallery.db", readonly=True)
    assert db.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == len(ids)  # the photos stay
    db.close()


def test_bad_requests_are_400_unknown_ids_404_and_nothing_is_written(client, library):
    ids = photo_ids(library)
    album = created(client, "Careful")
    client.post(f"/api/collections/{album}/photos", json={"add": [ids[0]]})
    bad = [
        ("/api/collections", {"name": ""}), ("/api/collections", {"name": 3}), ("/api/collections", ["x"]),
        (f"/api/collections/{album}/photos", {"add": [ids[1]], "remove": [ids[0]]}),
        (f"/api/collections/{album}/photos", {}), (f"/api/collections/{album}/photos", {"add": []}),
        (f"/api/collections/{album}/photos", {"add": ["1"]}), (f"/api/collections/{album}/photos", {"add": [True]}),
        (f"/api/collections/{album}/cover", {}), (f"/api/collections/{album}/cover", {"photo": "x"}),
        (f"/api/collections/{album}/cover", {"photo": ids[3]}),  # a photo, but not in the collection
        (f"/api/collections/{album}/order", {"ids": [ids[0]], "before": 1.5}),
        (f"/api/collections/{album}/rename", {"name": "   "}), ("/api/collections/abc/photos", {"add": [ids[0]]}),
    ]
    for path, body in bad:
        answer = client.post(path, json=body)
        assert answer.status_code == 400 and answer.json()["error"], (path, body, answer.text)
    assert client.post(f"/api/collections/{album}/photos", content=b"{nope").status_code == 400
    unknown = client.post(f"/api/collections/{album}/photos", json={"add": [ids[1], 424242, 31337]})
    assert unknown.status_code == 404 and unknown.json()["unknown"] == [31337, 424242]
    for path in ("photos", "rename", "delete", "cover", "order"):
        answer = client.post(f"/api/collections/987654/{path}",
                             json={"add": [ids[0]], "name": "x", "photo": ids[0], "ids": [ids[0]]})
        assert answer.status_code == 404 and answer.json()["unknown_collection"] == 987654, (path, answer.text)
    assert client.get("/api/collections/987654").status_code == 404
    other = created(client, "Other")
    assert client.post(f"/api/collections/{other}/rename", json={"name": "CAREFUL"}).status_code == 409
    assert members(client, album) == [ids[0]]


def test_ten_thousand_ids_are_fine_and_ten_million_are_413(client, library):
    ids = photo_ids(library)
    album = created(client, "Big selection")
    many = (ids * (10_000 // len(ids) + 1))[:10_000]
    answer = client.post(f"/api/collections/{album}/photos", json={"add": many})
    assert answer.status_code == 200 and sorted(answer.json()["changed"]) == ids
    too_many = client.post(f"/api/collections/{album}/photos", json={"remove": ids * (100_000 // len(ids) + 1)})
    assert too_many.status_code == 413
    huge = client.post(f"/api/collections/{album}/photos", content=b'{"remove": [' + b"1," * 10_000_000 + b"1]}")
    assert huge.status_code == 413
    assert sorted(members(client, album)) == ids


def test_cross_site_or_tokenless_writes_are_refused_and_reading_stays_open(client, library):
    album = created(client, "Guarded")
    ids = photo_ids(library)
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {TOKEN_HEADER: "guess"}):
        for path, body in (("/api/collections", {"name": "Evil"}),
                           (f"/api/collections/{album}/photos", {"add": [ids[0]]}),
                           (f"/api/collections/{album}/delete", {})):
            assert client.post(path, json=body, headers=headers).status_code == 403, (path, headers)
    assert make_client(library, token="").post(f"/api/collections/{album}/delete", json={}).status_code == 403
    stranger = TestClient(create_app(load_settings(library, {"api_token": TOKEN, "clip_model": MODEL}, environ={}),
                                     warm_up=False), base_url=SITE)
    names = {item["name"] for item in stranger.get("/api/collections").json()["collections"]}
    assert "Guarded" in names and "Evil" not in names
    assert members(stranger, album) == []
