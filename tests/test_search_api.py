"""The sidecar over real HTTP (uvicorn on 127.0.0.1, a free port) on a library indexed with the tiny model.

Rankings are checked against the planted meaning: the hand-computed embedding of each picture,
the planted direction of each word, plus the documented colour bonus.
"""
from __future__ import annotations

import contextlib
import shutil
import threading
import time
from datetime import date
from pathlib import Path
from typing import Iterator

import httpx
import numpy as np
import pytest

from gallery_builder.core.color_names import names_of
from gallery_builder.config import load_settings
from gallery_builder.db.connection import connect
from search_api.results import color_bonus
from search_api.server import bind
from tests.search_library import MODEL, SHOTS, Shot, build_home, write_photo
from tests.tiny_clip import WORDS, expected_image_embedding
from tests.waiting import wait_for

TODAY = date(2024, 11, 20)


@contextlib.contextmanager
def running_sidecar(home: Path, model: str = MODEL) -> Iterator[httpx.Client]:
    import uvicorn

    from search_api.app import create_app

    settings = load_settings(home, {"clip_model": model}, environ={})
    sock = bind("127.0.0.1", 0)
    app = create_app(settings, model_name=model, today=lambda: TODAY)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    def started() -> bool:
        if not thread.is_alive():
            raise AssertionError("the sidecar's server thread ended before it started (see the log above)")
        return server.started

    with httpx.Client(base_url=base, timeout=30) as client:
        wait_for(started, 30, f"the sidecar (uvicorn) serving on {base}")
        yield client
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("search_api"))


@pytest.fixture(scope="module")
def api(home) -> Iterator[httpx.Client]:
    with running_sidecar(home) as client:
        yield client


@pytest.fixture(scope="module")
def facts(home) -> dict[str, dict]:
    """name -> id, colour names (from the real colors pass) and the planted image embedding."""
    import json

    db = connect(home / "gallery.db", readonly=True)
    by_path = {shot.path: shot for shot in SHOTS}
    found = {}
    for row in db.execute("SELECT p.id, p.path, p.name, c.colors FROM photos p LEFT JOIN colors c ON c.photo_id = p.id"):
        shot = by_path[row[1]]
        found[row[2]] = {"id": row[0], "colors": names_of(json.loads(row[3])),
                         "vector": expected_image_embedding(shot.background, shot.thing)}
    return found


def text_vector(text: str) -> np.ndarray:
    vector = np.zeros(8, dtype=np.float32)
    for word in text.lower().split():
        if word in WORDS:
            vector[WORDS[word]] += 1
    return vector / max(np.linalg.norm(vector), 1e-12)


def oracle_scores(facts: dict, text: str, boost: list[str]) -> dict[str, float]:
    query = text_vector(text)
    return {name: float(item["vector"] @ query) + color_bonus(boost, item["colors"]) for name, item in facts.items()}


def assert_ranked_like(found: list[str], oracle: dict[str, float], tolerance: float = 0.01) -> None:
    """Every photo ranked above another scores at least as high by the planted meaning (up to JPEG noise)."""
    assert sorted(found) == sorted(oracle)
    for position, name in enumerate(found):
        for later in found[position + 1:]:
            assert oracle[name] >= oracle[later] - tolerance, (name, later, found)


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["results"]]


@pytest.mark.parametrize("query, boost", [("red car", ["red"]), ("car", []), ("yellow car", ["yellow"]),
                                          ("blue sky", ["blue"]), ("green grass", ["green"])])
def test_text_search_ranks_by_planted_meaning(api, facts, query, boost):
    response = api.get("/api/search", params={"q": query})
    assert_ranked_like(names(response), oracle_scores(facts, query, boost))
    body = response.json()
    assert body["mode"] == "clip" and body["parsed"]["color_boost"] == boost and body["total"] == len(SHOTS)


def test_the_first_results_are_the_obvious_ones(api):
    assert names(api.get("/api/search", params={"q": "red car"}))[:3] == ["IMG_1234.JPG", "IMG_12345.JPG",
                                                                          "DSC06241.JPG"]
    assert names(api.get("/api/search", params={"q": "car"}))[:3] == ["IMG_0042.JPG", "IMG_1234.JPG", "IMG_12345.JPG"]
    assert names(api.get("/api/search", params={"q": "yellow car"}))[0] == "IMG_12345.JPG"  # the colour word re-ranks


def test_colour_words_rerank_but_color_filters_exclude(api, facts):
    everything = names(api.get("/api/search", params={"q": "red car"}))
    assert len(everything) == len(SHOTS) and everything[0] == "IMG_1234.JPG"  # the red car in a green field
    only_red = names(api.get("/api/search", params={"q": "color:red car"}))
    assert set(only_red) == {name for name, item in facts.items() if "red" in item["colors"]}
    green = names(api.get("/api/search", params={"q": "car", "color": "green"}))
    assert set(green) == {name for name, item in facts.items() if "green" in item["colors"]}
    assert "DSC06241.JPG" not in green


def test_result_cards_carry_what_the_site_needs(api, facts):
    [card] = api.get("/api/search", params={"q": "DSC06241"}).json()["results"]
    assert card["path"] == "2023/2023-05-14/DSC06241.JPG" and card["root"] == "library"
    photo_id = facts['DSC06241.JPG']['id']
    assert card["url"] == f"/photos/{photo_id // 1000}/{photo_id}.html"  # the site's permalink file
    assert card["thumb"].startswith("/thumbs/") and card["thumb"].endswith("-400.webp")
    assert set(card["thumbs"]) == {"400", "1280", "1920"} and card["score"] is None
    assert card["original"] == "/originals/library/2023/2023-05-14/DSC06241.JPG"
    assert card["taken_at"] == "2023-05-14T12:00:00" and card["place"] == "Lisbon" and card["camera"] == "SONY ILCE-7M3"


@pytest.mark.parametrize("params, expected", [
    ({"q": "DSC06241"}, {"DSC06241.JPG"}),
    ({"q": "dsc06241.jpg"}, {"DSC06241.JPG"}),
    ({"q": "IMG_1234"}, {"IMG_1234.JPG"}),
    ({"q": "christmas"}, {"IMG_0042.JPG"}),
    ({"q": "summer 2023"}, {"IMG_1234.JPG", "IMG_12345.JPG"}),
    ({"q": "in Lisbon"}, {"DSC06241.JPG", "IMG_0042.JPG"}),
    ({"q": "shot on iphone"}, {"IMG_1234.JPG", "IMG_12345.JPG"}),
    ({"q": "2019"}, {"P1000123.JPG"}),
    ({"year": "2023"}, {"DSC06241.JPG", "IMG_1234.JPG", "IMG_12345.JPG"}),
    ({"year": "2019-2021"}, {"P1000123.JPG", "PXL_20210801_101010.jpg"}),
    ({"month": "7"}, {"IMG_1234.JPG", "IMG_12345.JPG"}),
    ({"place": "lisbon"}, {"DSC06241.JPG", "IMG_0042.JPG"}),
    ({"country": "PT"}, {"DSC06241.JPG", "IMG_1234.JPG", "IMG_12345.JPG", "IMG_0042.JPG"}),
    ({"country": "japan"}, {"PXL_20210801_101010.jpg"}),
    ({"camera": "canon"}, {"IMG_0042.JPG"}),
    ({"folder": "2023"}, {"DSC06241.JPG", "IMG_1234.JPG", "IMG_12345.JPG"}),
    ({"folder": "library/2022/2022-12-25"}, {"IMG_0042.JPG"}),
    ({"color": "yellow"}, {"IMG_12345.JPG"}),
    ({"q": "car", "year": "2023", "country": "Portugal"}, {"IMG_1234.JPG", "IMG_12345.JPG", "DSC06241.JPG"}),
    ({"person": "Grandma"}, set()),
])
def test_filters_and_words(api, params, expected):
    response = api.get("/api/search", params=params)
    assert set(names(response)) == expected
    assert response.json()["total"] == len(expected)


def test_filter_only_results_are_newest_first_and_page(api):
    full = names(api.get("/api/search", params={"country": "PT"}))
    assert full == ["IMG_12345.JPG", "IMG_1234.JPG", "DSC06241.JPG", "IMG_0042.JPG"]
    assert names(api.get("/api/search", params={"country": "PT", "limit": 2, "offset": 1})) == full[1:3]
    clip_full = names(api.get("/api/search", params={"q": "red car"}))
    assert names(api.get("/api/search", params={"q": "red car", "limit": 3, "offset": 2})) == clip_full[2:5]


def test_parsed_query_explains_itself(api):
    body = api.get("/api/search", params={"q": "red car in Lisbon May 2023"}).json()
    assert body["parsed"]["text"] == "red car" and body["parsed"]["place"] == ["Lisbon"]
    assert body["parsed"]["dates"]["ranges"] == [["2023-05-01", "2023-05-31"]]
    assert body["parsed"]["description"] == "photos from 2023-05-01 to 2023-05-31 in Lisbon matching “red car” (red first)"
    assert names(api.get("/api/search", params={"q": "red car in Lisbon May 2023"})) == ["DSC06241.JPG"]


def test_similar_ranks_by_image_embedding(api, facts):
    target = facts["IMG_1234.JPG"]
    oracle = {name: float(item["vector"] @ target["vector"]) for name, item in facts.items() if name != "IMG_1234.JPG"}
    response = api.get(f"/api/similar/{target['id']}")
    assert_ranked_like(names(response), oracle)
    assert names(response)[:2] == ["IMG_12345.JPG", "IMG_0042.JPG"] and response.json()["photo_id"] == target["id"]
    assert names(api.get(f"/api/similar/{target['id']}", params={"year": "2023"})) == ["IMG_12345.JPG", "DSC06241.JPG"]


@pytest.mark.parametrize("path, params, parameter", [
    ("/api/search", {"q": ""}, "q"),
    ("/api/search", {}, "q"),
    ("/api/search", {"q": "   "}, "q"),
    ("/api/search", {"q": "x" * 10_240}, "q"),
    ("/api/search", {"q": "cats", "colour": "red"}, "colour"),
    ("/api/search", {"q": "cats", "sort": "date"}, "sort"),
    ("/api/search", {"q": "cats", "limit": "-5"}, "limit"),
    ("/api/search", {"q": "cats", "limit": "0"}, "limit"),
    ("/api/search", {"q": "cats", "limit": "lots"}, "limit"),
    ("/api/search", {"q": "cats", "limit": "100000"}, "limit"),
    ("/api/search", {"q": "cats", "offset": "-1"}, "offset"),
    ("/api/search", {"q": "cats", "year": "soon"}, "year"),
    ("/api/search", {"q": "cats", "month": "13"}, "month"),
    ("/api/search", {"q": "cats", "color": "plaid"}, "color"),
    ("/api/search", {"q": "cats", "place": "p" * 500}, "place"),
    ("/api/similar/abc", {}, "photo_id"),
    ("/api/similar/1", {"q": "cats"}, "q"),
    ("/api/similar/1", {"limit": "-1"}, "limit"),
])
def test_bad_input_is_a_400_naming_the_parameter(api, path, params, parameter):
    response = api.get(path, params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["parameter"] == parameter and body["error"].startswith(f"{parameter}:")


def test_repeated_parameters_and_unknown_routes(api):
    response = api.get("/api/search?q=cats&q=dogs")
    assert response.status_code == 400 and response.json()["parameter"] == "q"
    missing = api.get("/api/nothing-here")
    assert missing.status_code == 404 and "/api/search" in missing.json()["error"]
    assert api.get("/api/similar/999999").status_code == 404


def test_unicode_queries_are_fine(api):
    for query in ("café au lait 🙂 日本", "São Paulo", "ß", "\u202eevil", "<script>alert(1)</script>", "'; DROP TABLE photos;--"):
        response = api.get("/api/search", params={"q": query})
        assert response.status_code == 200, query
        assert response.json()["query"] == query.strip()
    assert names(api.get("/api/search", params={"place": "São Paulo"})) == []


def test_health_reports_model_vectors_and_modules(api):
    body = api.get("/api/health").json()
    assert body["status"] == "ok" and body["model"] == {"name": MODEL, "loaded": True, "message": None}
    assert body["vectors"] == len(SHOTS) and body["vector_dim"] == 8 and body["db"]["exists"]
    assert isinstance(body["heavy_modules"], list) and body["rss_mb"] > 0 and body["index_age_seconds"] >= 0


def test_a_missing_model_says_what_to_run_and_filters_still_work(home):
    with running_sidecar(home, model="ViT-B-32__laion2b-s34b-b79k") as client:
        body = client.get("/api/search", params={"q": "red car"}).json()
        assert body["mode"] == "words" and body["model"]["loaded"] is False
        assert "gallery models fetch ViT-B-32__laion2b-s34b-b79k" in body["model"]["message"]
        assert "gallery models export" in body["model"]["message"]
        assert set(names(client.get("/api/search", params={"q": "in Lisbon"}))) == {"DSC06241.JPG", "IMG_0042.JPG"}
        assert names(client.get("/api/search", params={"q": "porto"})) == ["IMG_12345.JPG", "IMG_1234.JPG"]
        assert names(client.get("/api/search", params={"q": "DSC06241"})) == ["DSC06241.JPG"]
        similar = client.get("/api/similar/1")
        assert similar.status_code == 404 and "gallery index --clip" in similar.json()["error"]
        health = client.get("/api/health").json()
        assert health["vectors"] == 0 and "gallery models fetch" in health["model"]["message"]


def test_no_database_yet_is_not_an_error(tmp_path):
    with running_sidecar(tmp_path / "empty-home") as client:
        body = client.get("/api/search", params={"q": "cats"}).json()
        assert body["results"] == [] and "gallery index" in body["notes"][-1]
        assert client.get("/api/health").json()["db"]["exists"] is False


def test_cache_hits_until_the_library_changes(home, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    with running_sidecar(copy) as client:
        first = client.get("/api/search", params={"q": "green grass"}).json()
        again = client.get("/api/search", params={"q": "green grass"}).json()
        assert not first["cached"] and again["cached"] and again["results"] == first["results"]
        writer = connect(copy / "gallery.db")
        writer.execute("DELETE FROM clip_vectors WHERE photo_id = ?", (first["results"][0]["id"],))
        after = client.get("/api/search", params={"q": "green grass"}).json()
        assert not after["cached"] and after["results"][0]["id"] != first["results"][0]["id"]
        assert client.get("/api/health").json()["vectors"] == len(SHOTS) - 1


def test_search_keeps_answering_while_the_indexer_writes(home, tmp_path):
    from gallery_builder.indexing.run import index_roots

    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    settings = load_settings(copy, {"clip_model": MODEL, "workers": 1}, environ={})
    library = settings.roots[0].path
    moved = tmp_path / "library"
    shutil.copytree(library, moved)
    settings = settings.with_roots((type(settings.roots[0])(settings.roots[0].label, moved),))
    write_photo(moved / "2024" / "new" / "DSC09999.JPG",
                Shot("", (20, 40, 220), (220, 20, 20), SHOTS[0].taken.replace(year=2024), "SONY", "ILCE-7M3", None))
    with running_sidecar(copy) as client:
        writer = connect(copy / "gallery.db")
        writer.execute("BEGIN IMMEDIATE")  # the indexer holds the write lock...
        writer.execute("UPDATE photos SET last_seen = last_seen")
        started = time.perf_counter()
        assert client.get("/api/search", params={"q": "red car"}).status_code == 200  # ...reads go on
        assert time.perf_counter() - started < 5
        writer.execute("ROLLBACK")
        statuses: list[int] = []
        stop = threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                statuses.append(client.get("/api/search", params={"q": "blue car", "limit": 3}).status_code)

        thread = threading.Thread(target=hammer)
        thread.start()
        index_roots(settings, settings.roots, ["exif", "thumbs", "colors", "clip"], show_bar=False,
                    log=lambda line: None, export=False)
        stop.set()
        thread.join()
        assert statuses and set(statuses) == {200}
        assert names(client.get("/api/search", params={"q": "DSC09999"})) == ["DSC09999.JPG"]
        assert "DSC09999.JPG" in names(client.get("/api/search", params={"q": "blue car", "limit": 10}))
        assert client.get("/api/health").json()["vectors"] == len(SHOTS) + 1


def test_a_database_at_an_older_schema_still_answers(home, tmp_path):
    """The sidecar never migrates (read-only): vectors it cannot read are reported, filters still work."""
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    writer = connect(copy / "gallery.db")
    writer.execute("ALTER TABLE clip_vectors RENAME COLUMN id TO old_id")  # what migration 0003 changed
    writer.close()
    with running_sidecar(copy) as client:
        body = client.get("/api/search", params={"q": "red car in Lisbon"}).json()
        assert body["results"] == [] and any("run `gallery index` once" in note for note in body["notes"])
        assert names(client.get("/api/search", params={"q": "in Lisbon"})) == ["DSC06241.JPG", "IMG_0042.JPG"]
        health = client.get("/api/health").json()
        assert health["vectors"] == 0 and "cannot read CLIP vectors" in health["vectors_problem"]


def test_descriptions_and_tags_lift_a_photo_in_clip_search_without_replacing_it(tmp_path_factory):
    """With a CLIP model, the photos whose description (or tags, place, path) say what was asked
    join the CLIP ranking with their own score plus a small bonus: the words help, CLIP still ranks."""
    from search_api.service import WORDS_BONUS

    home = build_home(tmp_path_factory.mktemp("search_words"))
    db = connect(home / "gallery.db")
    try:
        row = db.execute("SELECT id, name, content_hash FROM photos WHERE name = 'DSC06241.JPG'").fetchone()
        db.execute("INSERT INTO photo_descriptions VALUES (?, 'llava', ?, 'A kayak on the beach next to a car.',"
                   " '2024-01-01T00:00:00+00:00')", (row["id"], row["content_hash"]))
    finally:
        db.close()
    facts_here = {}
    check = connect(home / "gallery.db", readonly=True)
    by_path = {shot.path: shot for shot in SHOTS}
    for found in check.execute("SELECT p.id, p.path, p.name, c.colors FROM photos p LEFT JOIN colors c ON c.photo_id = p.id"):
        shot = by_path[found[1]]
        facts_here[found[2]] = {"id": found[0], "colors": [], "vector": expected_image_embedding(shot.background, shot.thing)}
    check.close()
    with running_sidecar(home) as client:
        response = client.get("/api/search", params={"q": "kayak car"})
        oracle = oracle_scores(facts_here, "kayak car", [])
        plain_rank = sorted(oracle, key=lambda name: -oracle[name]).index("DSC06241.JPG")
        oracle["DSC06241.JPG"] += WORDS_BONUS
        found = names(response)
        assert_ranked_like(found, oracle)
        assert found.index("DSC06241.JPG") < plain_rank      # lifted, by the words alone
        assert response.json()["mode"] == "clip"
