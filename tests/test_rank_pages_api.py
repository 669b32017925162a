"""What the ranking pages ask of the sidecar: photos with their cards, a Mosaic grid, scopes of a
collection, a stack or a search result, the downloadable export, and propagation on and off."""
from __future__ import annotations

import csv
import io

import pytest

from gallery_builder.config import load_settings
from gallery_builder.db.connection import connect
from search_api.app import create_app
from starlette.testclient import TestClient
from search_api.write_guard import TOKEN_HEADER
from tests.conftest import run_gallery
from tests.search_library import MODEL, build_home
from tests.test_decisions_api import pretend_a_watcher_runs
from tests.test_ranking_api import SITE, TOKEN, photo_ids


@pytest.fixture()
def home(tmp_path):
    home = build_home(tmp_path, passes=("exif", "thumbs", "phash"))
    pretend_a_watcher_runs(home)
    return home


def client_of(home, **overrides) -> TestClient:
    settings = load_settings(home, {"clip_model": MODEL, "api_token": TOKEN, **overrides}, environ={})
    return TestClient(create_app(settings, warm_up=False), base_url=SITE,
                      headers={TOKEN_HEADER: TOKEN, "Origin": SITE, "Sec-Fetch-Site": "same-origin"})


def nudge_rows(home) -> int:
    db = connect(home / "gallery.db", readonly=True)
    try:
        return db.execute("SELECT COUNT(*) FROM rating_nudges").fetchone()[0]
    finally:
        db.close()


def test_pairs_and_mosaic_grids_come_with_cards_and_keep_to_their_scope(home):
    client = client_of(home)
    ids = photo_ids(home)
    pair = client.get("/api/rank/pair", params={"scope": "all"}).json()["photos"]
    assert all(photo["thumbs"] and photo["url"].endswith(".html") and photo["name"] for photo in pair), pair
    grid = client.get("/api/rank/set", params={"scope": "all", "n": 4}).json()["photos"]
    assert len({photo["id"] for photo in grid}) == 4 and all(photo["thumb"] for photo in grid)
    assert client.get("/api/rank/set", params={"n": 1}).status_code == 400
    chosen = ids[1:4]
    scoped = "ids:" + ",".join(map(str, chosen))
    for _ in range(5):
        assert set(client.get("/api/rank/pair", params={"scope": scoped}).json()["pair"]) <= set(chosen)
    run_gallery("collection", "create", "Best", "--home", str(home))
    run_gallery("collection", "add", "Best", str(ids[0]), str(ids[2]), "--home", str(home))
    assert set(client.get("/api/rank/pair", params={"scope": "collection:1"}).json()["pair"]) == {ids[0], ids[2]}
    assert client.get("/api/rank/pair", params={"scope": "stack:99"}).json()["pair"] is None
    assert client.get("/api/rank/pair", params={"scope": "ids:1,x"}).status_code == 400


def twins(home) -> tuple[int, int]:
    """Two photos with the same pHash (the library's two flat-colour shots)."""
    db = connect(home / "gallery.db", readonly=True)
    try:
        return tuple(db.execute("SELECT a.photo_id, b.photo_id FROM phashes a JOIN phashes b ON a.phash = b.phash"
                                " AND a.photo_id < b.photo_id").fetchone())
    finally:
        db.close()


def test_a_pick_nudges_look_alikes_unless_propagation_is_off(home):
    twin, look_alike = twins(home)
    other = next(photo for photo in photo_ids(home) if photo not in (twin, look_alike))
    off = client_of(home, rank_propagation=False)
    assert off.post("/api/rank/compare", json={"winner": twin, "loser": other}).json()["nudged"] == 0
    assert nudge_rows(home) == 0
    assert {row["id"] for row in off.get("/api/rank/top").json()["photos"]} == {twin, other}
    on = client_of(home)
    answer = on.post("/api/rank/compare", json={"winner": twin, "loser": other}).json()
    assert answer["nudged"] >= 1 and nudge_rows(home) >= 1
    top = {row["id"]: row for row in on.get("/api/rank/top", params={"n": 50}).json()["photos"]}
    assert top[look_alike]["comparisons"] == 0 and 1500 < top[look_alike]["rating"] < top[twin]["rating"]
    assert top[look_alike]["rating"] - 1500 <= 12.0   # bounded


def test_the_export_downloads_what_the_cli_writes(home):
    client = client_of(home)
    ids = photo_ids(home)
    client.post("/api/rank/mosaic", json={"best": ids[0], "others": ids[1:4], "scope": "all"})
    answer = client.get("/api/rank/export", params={"scope": "all", "format": "csv"})
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    assert answer.text == run_gallery("rank", "export", "--format", "csv", "--home", str(home)).stdout
    assert [int(row["id"]) for row in csv.DictReader(io.StringIO(answer.text))][0] == ids[0]
    assert client.get("/api/rank/export", params={"format": "xml"}).status_code == 400
    assert client.get("/api/rank/export", params={"scope": "nope"}).status_code == 400


def test_phash_look_alikes_are_the_near_hashes_of_any_value(tmp_path):
    from gallery_builder.core.propagation import PHASH_DISTANCE
    from search_api.look_alikes import LookAlikes
    from tests.test_ranking import make_db

    db = make_db(tmp_path, count=6)
    hashes = {1: "0000000000000001", 2: "ffffffffffffffff", 3: "fffffffffffffff0", 4: "8000000000000000",
              5: "0000000000000003"}
    hashes[6] = "1" + "f" * 16                                  # damaged (65 bits): never a look-alike
    db.executemany("INSERT INTO phashes (photo_id, phash) VALUES (?, ?)", hashes.items())
    finder = LookAlikes(recheck_seconds=0.0)
    assert {item.photo_id: item.distance for item in finder(db, 2)} == {3: 4 / PHASH_DISTANCE}
    assert {item.photo_id for item in finder(db, 1)} == {4, 5}   # 4 differs by 2 bits, 5 by 1
    db.execute("UPDATE phashes SET phash = '0000000000000000' WHERE photo_id = 3")
    db.execute("DELETE FROM phashes WHERE photo_id = 5")         # the hashes change: reloaded
    assert {item.photo_id for item in finder(db, 1)} == {3, 4}
    with_vectors = LookAlikes(clip=lambda photo, count: [(5, 0.985), (6, 0.5)] if photo == 1 else [])
    assert {item.photo_id: round(item.distance, 6) for item in with_vectors(db, 1)} == {5: 0.1, 6: round(0.5 / 0.15, 6)}
    assert {item.photo_id for item in with_vectors(db, 4)} == {1, 3}   # no vector: its pHash neighbours
    db.execute("INSERT INTO stacks (id, kind, top_photo_id, updated_at) VALUES (1, 'burst', 2, 'x')")
    db.executemany("INSERT INTO stack_members (photo_id, stack_id) VALUES (?, 1)", [(4,), (2,)])
    assert {item.photo_id for item in with_vectors(db, 4)} == {1, 2, 3}   # and its stack mates


def test_with_clip_vectors_the_look_alikes_are_clip_neighbours(tmp_path):
    home = build_home(tmp_path, passes=("exif", "thumbs", "clip"))   # vectors, no pHash
    pretend_a_watcher_runs(home)
    client = client_of(home)
    assert client.get("/api/search", params={"q": "red"}).status_code == 200   # the vectors are loaded
    service = client.app.state.service
    ids = photo_ids(home)
    winner = max(ids, key=lambda photo: service.clip_neighbours(photo, 1)[0][1])    # the one with a close twin
    twin, similarity = service.clip_neighbours(winner, 1)[0]
    loser = next(photo for photo in ids if photo not in (winner, twin))
    answer = client.post("/api/rank/compare", json={"winner": winner, "loser": loser}).json()
    db = connect(home / "gallery.db", readonly=True)
    try:
        rows = dict(db.execute("SELECT photo_id, distance FROM rating_nudges WHERE amount > 0").fetchall())
    finally:
        db.close()
    assert answer["nudged"] >= 1 and abs(rows[twin] - (1 - similarity) / 0.15) < 1e-6, rows
