"""The sidecar's people routes on the real app (Starlette TestClient) over planted faces."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from gallery_builder.analysis.faces_run import cluster_people
from gallery_builder.core.records import RunContext
from search_api.write_guard import TOKEN_HEADER
from tests.face_library import cluster_of, face_library, person_of
from tests.test_decisions_api import make_client, pretend_a_watcher_runs


@pytest.fixture
def library(tmp_path):
    library = face_library(tmp_path)
    library.faces = {name: [library.add_photo([name])[1][0] for _ in range(4)] for name in ("ana", "bo")}
    cluster_people(library.db, RunContext.for_home(tmp_path))
    pretend_a_watcher_runs(tmp_path)
    yield library
    library.db.close()


@pytest.fixture
def client(library, tmp_path) -> TestClient:
    return make_client(tmp_path)


def test_name_a_cluster_assign_reject_merge_rename_hide_ignore(client, library):
    ana_faces, bo_faces = library.faces["ana"], library.faces["bo"]
    ana_cluster, bo_cluster = cluster_of(library.db, ana_faces[0]), cluster_of(library.db, bo_faces[0])
    named = client.post(f"/api/clusters/{ana_cluster}/name", json={"name": "Ana"})
    assert named.status_code == 200, named.text
    body = named.json()
    assert body["created"] and body["person"]["name"] == "Ana" and sorted(body["faces"]) == ana_faces
    ana = body["person"]["id"]
    again = client.post(f"/api/clusters/{ana_cluster}/name", json={"name": "ana"}).json()
    assert again["changes"] == [] and again["person"]["id"] == ana
    overlay = client.get(f"/api/people/{ana}").json()
    assert {face["id"] for face in overlay["faces"]} == set(ana_faces)
    assert client.get(f"/api/clusters/{bo_cluster}").json()["cluster"]["face_count"] == 4

    rejected = client.post("/api/faces/reject", json={"faces": [ana_faces[0]], "person": ana}).json()
    assert rejected["changes"] and person_of(library.db, ana_faces[0]) == (None, None)
    assigned = client.post("/api/faces/assign", json={"faces": bo_faces[:2], "name": "Bo"}).json()
    bo = assigned["person"]["id"]
    assert person_of(library.db, bo_faces[0]) == (bo, "user")
    client.post("/api/faces/assign", json={"faces": bo_faces[2:], "name": "Bo 2"})
    bo2 = person_of(library.db, bo_faces[2])[0]
    assert client.post(f"/api/people/{bo2}/rename", json={"name": "BO"}).status_code == 409
    merged = client.post(f"/api/people/{bo}/merge", json={"people": [bo2]}).json()
    assert merged["person"]["face_count"] == 4 and client.get(f"/api/people/{bo2}").status_code == 404
    assert client.post(f"/api/people/{bo}/rename", json={"name": "Bob"}).json()["person"]["name"] == "Bob"
    assert client.post(f"/api/people/{bo}/hide", json={"hidden": True}).json()["person"]["hidden"] is True
    client.post("/api/faces/clear", json={"faces": [bo_faces[3]]})
    assert person_of(library.db, bo_faces[3]) == (None, "user")
    assert client.post(f"/api/clusters/{bo_cluster}/ignore", json={}).json()["cluster"]["ignored"] is True
    assert client.post(f"/api/clusters/{bo_cluster}/restore", json={}).json()["cluster"]["ignored"] is False
    listing = client.get("/api/people").json()["people"]
    assert {(p["name"], p["hidden"]) for p in listing} == {("Ana", False), ("Bob", True)}


def test_bad_requests_400_unknown_404_too_many_413(client, library):
    face = library.faces["ana"][0]
    for path, body in (("/api/faces/assign", {"faces": [face]}), ("/api/faces/assign", {"faces": [], "name": "A"}),
                       ("/api/faces/reject", {"faces": [face], "person": "x"}), ("/api/faces/clear", {"faces": [True]}),
                       ("/api/people", {"name": "  "}), ("/api/people/abc/rename", {"name": "A"}),
                       ("/api/people/1/hide", {"hidden": "yes"})):
        answer = client.post(path, json=body)
        assert answer.status_code == 400 and answer.json()["error"], (path, body, answer.text)
    unknown_faces = client.post("/api/faces/assign", json={"faces": [face, 999999], "name": "Ghost"})
    assert unknown_faces.status_code == 404 and unknown_faces.json()["unknown"] == [999999]
    assert person_of(library.db, face) == (None, None)
    for path, body in (("/api/people/4242/rename", {"name": "X"}), ("/api/clusters/4242/name", {"name": "X"}),
                       ("/api/clusters/4242/ignore", {}), ("/api/faces/reject", {"faces": [face], "person": 4242})):
        assert client.post(path, json=body).status_code == 404, path
    assert client.get("/api/people/4242").status_code == 404 and client.get("/api/clusters/4242").status_code == 404
    too_many = client.post("/api/faces/clear", json={"faces": list(range(1, 100_002))})
    assert too_many.status_code == 413
    huge = client.post("/api/faces/clear", content=b'{"faces": [' + b"1," * 1_000_000 + b"1]}")
    assert huge.status_code == 413
    assert person_of(library.db, 1) == (None, None)


def test_signed_out_and_cross_site_writes_are_refused(client, library, tmp_path):
    cluster = cluster_of(library.db, library.faces["ana"][0])
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {TOKEN_HEADER: "guess"}):
        for path, body in ((f"/api/clusters/{cluster}/name", {"name": "Evil"}), (f"/api/clusters/{cluster}/ignore", {}),
                           ("/api/faces/clear", {"faces": library.faces["ana"]})):
            assert client.post(path, json=body, headers=headers).status_code == 403, (path, headers)
    assert make_client(tmp_path, token="").post(f"/api/clusters/{cluster}/ignore", json={}).status_code == 403
    assert client.get("/api/people").json()["people"] == []
    assert all(person_of(library.db, face) == (None, None) for face in library.faces["ana"])
    assert client.get(f"/api/clusters/{cluster}").json()["cluster"]["ignored"] is False
