"""The sidecar's decision routes on the real app (Starlette TestClient) over a library indexed for real."""
from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gallery_builder.config import load_settings
from gallery_builder.db.connection import connect
from search_api.app import create_app
from search_api.write_guard import TOKEN_HEADER
from tests.search_library import MODEL, build_home

TOKEN = "s3cret-token"
SITE = "http://nas:8080"


def pretend_a_watcher_runs(home: Path) -> None:
    """A fresh watch.json: the watcher republishes, so the sidecar under test launches no build."""
    (home / "watch.json").write_text(json.dumps({"state": "watching", "updated_at": time.time()}))


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("decisions_api"))


@pytest.fixture
def home(library) -> Path:
    pretend_a_watcher_runs(library)
    return library


def make_client(home: Path, token: str = TOKEN) -> TestClient:
    settings = load_settings(home, {"clip_model": MODEL, "api_token": token}, environ={})
    return TestClient(create_app(settings, warm_up=False), base_url=SITE,
                      headers={TOKEN_HEADER: token, "Origin": SITE, "Sec-Fetch-Site": "same-origin"})


@pytest.fixture
def client(home) -> TestClient:
    return make_client(home)


def photo_ids(home: Path) -> list[int]:
    db = connect(home / "gallery.db", readonly=True)
    try:
        return [row[0] for row in db.execute("SELECT id FROM photos ORDER BY id")]
    finally:
        db.close()


def current(client: TestClient, ids: list[int]) -> dict[int, dict]:
    answer = client.get("/api/decisions", params={"ids": ",".join(map(str, ids))})
    assert answer.status_code == 200, answer.text
    return {row["id"]: row for row in answer.json()["decisions"]}


def test_a_flag_and_stars_are_written_once_and_the_overlay_reads_them(client, home):
    first, second = photo_ids(home)[:2]
    client.post("/api/photos/flag", json={"ids": [first, second], "flag": "reject"})  # so the version is > 0
    start = client.get("/api/decisions", params={"since": 0}).json()["version"]
    answer = client.post("/api/photos/flag", json={"ids": [first, second], "flag": "pick"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"field": "flag", "value": "pick", "changed": [first, second], "unchanged": 0,
                             "version": start + 2}
    again = client.post("/api/photos/flag", json={"ids": [second, first], "flag": "pick"}).json()
    assert again["changed"] == [] and again["unchanged"] == 2 and again["version"] == start + 2
    stars = client.post("/api/photos/stars", json={"ids": [second], "stars": 4}).json()
    assert stars["changed"] == [second] and stars["version"] == start + 3
    since = client.get("/api/decisions", params={"since": start}).json()
    assert since["version"] == start + 3 and not since["full"]
    assert since["decisions"] == [{"id": first, "flag": "pick", "stars": 0}, {"id": second, "flag": "pick", "stars": 4}]
    assert client.get("/api/decisions", params={"since": start + 3}).json()["decisions"] == []
    future = client.get("/api/decisions", params={"since": start + 1000}).json()  # e.g. a restored backup
    assert future["full"] and {row["id"] for row in future["decisions"]} >= {first, second}
    by_ids = client.get("/api/decisions", params={"ids": f"{second},{first},999999"})
    assert by_ids.headers["cache-control"] == "no-store"
    assert by_ids.json()["unknown"] == [999999] and len(by_ids.json()["decisions"]) == 2


def test_bad_requests_are_400_and_write_nothing(client, home):
    target = photo_ids(home)[2]
    before = current(client, [target])
    bad = [
        ("/api/photos/flag", {"ids": [target], "flag": "maybe"}), ("/api/photos/flag", {"ids": [target]}),
        ("/api/photos/flag", {"ids": str(target), "flag": "pick"}), ("/api/photos/flag", {"ids": [], "flag": "pick"}),
        ("/api/photos/flag", {"ids": [str(target)], "flag": "pick"}), ("/api/photos/flag", {"ids": [True], "flag": "pick"}),
        ("/api/photos/flag", {"ids": [1.5], "flag": "pick"}), ("/api/photos/flag", ["pick"]),
        ("/api/photos/stars", {"ids": [target], "stars": 6}), ("/api/photos/stars", {"ids": [target], "stars": "3"}),
        ("/api/photos/stars", {"ids": [target], "stars": -1}), ("/api/photos/stars", {"ids": [target]}),
    ]
    for path, body in bad:
        answer = client.post(path, json=body)
        assert answer.status_code == 400 and answer.json()["error"], (path, body, answer.text)
    assert client.post("/api/photos/flag", content=b"{not json").status_code == 400
    for params in ({}, {"since": "x"}, {"since": "1", "ids": "1"}, {"ids": "1,x"}, {"ids": ""}):
        assert client.get("/api/decisions", params=params).status_code == 400, params
    assert current(client, [target]) == before


def test_unknown_ids_are_404_naming_them_and_nothing_is_written(client, home):
    known = photo_ids(home)[3]
    client.post("/api/photos/stars", json={"ids": [known], "stars": 0})
    answer = client.post("/api/photos/stars", json={"ids": [known, 424242, 31337], "stars": 5})
    assert answer.status_code == 404
    assert answer.json()["unknown"] == [31337, 424242] and "31337" in answer.json()["error"]
    assert current(client, [known])[known]["stars"] == 0


def test_a_selection_of_100000_ids_is_fine_and_more_is_413(client, home):
    ids = photo_ids(home)
    many = (ids * (100_000 // len(ids) + 1))[:100_000]
    client.post("/api/photos/stars", json={"ids": ids, "stars": 0})
    answer = client.post("/api/photos/stars", json={"ids": many, "stars": 1})
    assert answer.status_code == 200 and sorted(answer.json()["changed"]) == ids
    too_many = client.post("/api/photos/stars", json={"ids": many + [ids[0]], "stars": 2})
    assert too_many.status_code == 413
    huge = client.post("/api/photos/flag", content=b"[" + b"1," * 1_000_000 + b"1]")
    assert huge.status_code == 413
    assert client.get("/api/decisions", params={"ids": ",".join(map(str, many[:1000]))}).status_code == 200
    assert client.get("/api/decisions", params={"ids": ",".join(map(str, many[:1001]))}).status_code == 413
    assert {row["stars"] for row in current(client, ids).values()} == {1}


def test_cross_site_or_tokenless_writes_are_refused_and_reading_stays_open(home):
    target = photo_ids(home)[4]
    client = make_client(home)
    client.post("/api/photos/flag", json={"ids": [target], "flag": None})
    refused = [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {TOKEN_HEADER: "guess"}]
    for headers in refused:
        answer = client.post("/api/photos/flag", json={"ids": [target], "flag": "reject"}, headers=headers)
        assert answer.status_code == 403, headers
    no_token = make_client(home, token="")
    assert no_token.post("/api/photos/flag", json={"ids": [target], "flag": "reject"}).status_code == 403
    stranger = TestClient(create_app(load_settings(home, {"api_token": TOKEN}, environ={}), warm_up=False),
                          base_url=SITE)
    assert stranger.get("/api/decisions", params={"ids": str(target)}).json()["decisions"][0]["flag"] is None


def test_two_clients_toggling_at_once_lose_nothing(client, home):
    target = photo_ids(home)[5]
    client.post("/api/photos/flag", json={"ids": [target], "flag": None})
    client.post("/api/photos/stars", json={"ids": [target], "stars": 0})
    start = client.get("/api/decisions", params={"since": 0}).json()["version"]
    rounds, failures = 40, []

    def toggle(path: str, values: list) -> None:
        other = TestClient(client.app, base_url=SITE, headers=client.headers)  # one sidecar, two browsers
        for number in range(rounds):
            answer = other.post(path, json={"ids": [target], path.rsplit("/", 1)[1]: values[number % 2]})
            if answer.status_code != 200 or len(answer.json()["changed"]) != 1:
                failures.append(answer.text)

    threads = [threading.Thread(target=toggle, args=("/api/photos/flag", ["pick", "reject"])),
               threading.Thread(target=toggle, args=("/api/photos/stars", [5, 2]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    assert current(client, [target])[target] == {"id": target, "flag": "reject", "stars": 2}
    db = connect(home / "gallery.db", readonly=True)
    logged = db.execute("SELECT field, COUNT(*) FROM decision_log WHERE seq > ? GROUP BY field", (start,)).fetchall()
    assert dict(map(tuple, logged)) == {"flag": rounds, "stars": rounds}
    assert client.get("/api/decisions", params={"since": 0}).json()["version"] == start + 2 * rounds


def test_a_write_waits_out_another_writers_transaction(client, home):
    target = photo_ids(home)[0]
    client.post("/api/photos/stars", json={"ids": [target], "stars": 0})
    indexer = connect(home / "gallery.db", migrate=False)
    indexer.execute("BEGIN IMMEDIATE")  # like the indexer committing a batch
    indexer.execute("UPDATE roots SET last_scan_at = last_scan_at")
    answers = []
    writer = threading.Thread(target=lambda: answers.append(
        client.post("/api/photos/stars", json={"ids": [target], "stars": 3})))
    writer.start()
    time.sleep(0.05)  # the other writer holds its transaction for 50 ms: this is the scenario, not a wait
    assert writer.is_alive() and answers == []  # the write is waiting on the lock, not refused
    indexer.execute("COMMIT")
    indexer.close()
    writer.join(30)
    assert answers[0].status_code == 200, answers[0].text
    assert current(client, [target])[target]["stars"] == 3


def test_a_write_republishes_the_site_with_the_flag(library, tmp_path):
    """End to end: the real republisher runs `gallery export` + `gallery build` as subprocesses."""
    import pyarrow.parquet as pq

    home = tmp_path / "home"
    shutil.copytree(library, home, ignore=shutil.ignore_patterns("watch.json", "gallery.db-*"))
    client = make_client(home)
    target = photo_ids(home)[1]
    client.post("/api/photos/flag", json={"ids": [target], "flag": None})
    answer = client.post("/api/photos/flag", json={"ids": [target], "flag": "reject"}).json()
    assert answer["changed"] == [target]
    db = connect(home / "gallery.db", readonly=True)
    deadline = time.monotonic() + 300
    while db.execute("SELECT COUNT(*) FROM republish_requests").fetchone()[0] and time.monotonic() < deadline:
        time.sleep(0.2)  # polling: the requests are cleared once the build that covered them succeeded
    assert db.execute("SELECT COUNT(*) FROM republish_requests").fetchone()[0] == 0
    rows = {row["id"]: row for row in pq.read_table(home / "parquet" / "photos.parquet").to_pylist()}
    assert rows[target]["flag"] == "reject" and rows[target]["stars"] == 0
    assert json.loads((home / "parquet" / "export.json").read_text())["decisions_version"] == answer["version"]
    assert (home / "site" / "index.html").exists()
