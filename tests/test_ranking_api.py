"""The ranking routes on the real app (Starlette TestClient) and `gallery rank` as a user runs it."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gallery_builder.config import load_settings
from gallery_builder.db.connection import connect
from search_api.app import create_app
from search_api.write_guard import TOKEN_HEADER
from tests.conftest import run_gallery
from tests.search_library import MODEL, build_home
from tests.test_decisions_api import pretend_a_watcher_runs

TOKEN = "rank-token"
SITE = "http://nas:8080"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = build_home(tmp_path_factory.mktemp("ranking_api"), passes=("exif",))
    pretend_a_watcher_runs(home)
    return home


def make_client(home: Path, **headers: str) -> TestClient:
    settings = load_settings(home, {"clip_model": MODEL, "api_token": TOKEN}, environ={})
    return TestClient(create_app(settings, warm_up=False), base_url=SITE,
                      headers={TOKEN_HEADER: TOKEN, "Origin": SITE, "Sec-Fetch-Site": "same-origin", **headers})


def photo_ids(home: Path) -> list[int]:
    db = connect(home / "gallery.db", readonly=True)
    try:
        return [row[0] for row in db.execute("SELECT id FROM photos WHERE kind <> 'video' ORDER BY id")]
    finally:
        db.close()


def test_rank_cli_status_with_no_comparisons_exits_0(home):
    status = run_gallery("rank", "status", "--home", str(home))
    assert "0 rated" in status.stdout and "no comparisons yet" in status.stdout
    bad = run_gallery("rank", "status", "--scope", "stars:5", "--home", str(home), check=False)
    assert bad.returncode == 2 and "year:YYYY" in bad.stderr


def test_pairs_picks_undo_and_top_through_the_api(home):
    client = make_client(home)
    ids = photo_ids(home)
    seen = []
    for _ in range(6):
        answer = client.get("/api/rank/pair", params={"scope": "all"})
        assert answer.status_code == 200, answer.text
        pair = answer.json()["pair"]
        assert len(set(pair)) == 2 and set(pair) <= set(ids)
        assert not seen or set(pair) != set(seen[-1])           # no immediate repeat
        seen.append(pair)
        picked = client.post("/api/rank/compare", json={"winner": pair[0], "loser": pair[1], "scope": "all"})
        assert picked.status_code == 200, picked.text
    winner = seen[-1][0]
    top = client.get("/api/rank/top", params={"scope": "all", "n": 50}).json()["photos"]
    assert winner in [row["id"] for row in top] and top[0]["rating"] >= top[-1]["rating"]
    best, *others = ids[:5]
    mosaic = client.post("/api/rank/mosaic", json={"best": best, "others": others, "scope": "all"}).json()
    assert len(mosaic["events"]) == 4
    before_undo = {row["id"]: row for row in client.get("/api/rank/top", params={"n": 500}).json()["photos"]}
    undone = client.post("/api/rank/undo").json()
    assert undone["pick"] == mosaic["pick"] and len(undone["events"]) == 4
    after = {row["id"]: row for row in client.get("/api/rank/top", params={"n": 500}).json()["photos"]}
    assert sum(row["comparisons"] for row in after.values()) == sum(
        row["comparisons"] for row in before_undo.values()) - 8
    db = connect(home / "gallery.db", readonly=True)
    try:
        assert tuple(db.execute("SELECT COUNT(*), COUNT(undone_at) FROM comparison_events").fetchone()) == (10, 4)
    finally:
        db.close()

    exported = run_gallery("rank", "export", "--format", "csv", "--home", str(home))
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [int(row["id"]) for row in rows] == [row["id"] for row in
                                               client.get("/api/rank/top", params={"n": 500}).json()["photos"]]
    status = run_gallery("rank", "status", "--home", str(home)).stdout
    assert "6 comparison(s) counted" in status and "4 undone" in status
    reset = run_gallery("rank", "reset", "--scope", "all", "--home", str(home), check=False)
    assert reset.returncode == 2 and "--yes" in reset.stderr
    run_gallery("rank", "reset", "--scope", "all", "--yes", "--home", str(home))
    assert client.get("/api/rank/top").json()["photos"] == []
    run_gallery("rank", "undo-reset", "--home", str(home))
    out = home / "rank.json"
    run_gallery("rank", "export", "--format", "json", "--out", str(out), "--home", str(home))
    assert [row["id"] for row in json.loads(out.read_text())["photos"]] == [int(row["id"]) for row in rows]
    run_gallery("export", "--home", str(home))                  # ratings.parquet: the same order, for DuckDB
    import pyarrow.parquet as pq

    ratings = pq.read_table(home / "parquet" / "ratings.parquet").to_pylist()
    assert [row["photo_id"] for row in ratings] == [int(row["id"]) for row in rows]
    assert all(0 <= row["confidence"] <= 1 and row["comparisons"] >= 1 for row in ratings)


def test_bad_and_unauthorised_requests_write_nothing(home):
    client = make_client(home)
    first, second = photo_ids(home)[:2]
    bad = [("/api/rank/compare", {"winner": first, "loser": first}),
           ("/api/rank/compare", {"winner": first, "loser": "x"}),
           ("/api/rank/compare", {"winner": first, "loser": second, "mode": "mosaic"}),
           ("/api/rank/compare", {"winner": first, "loser": second, "scope": "year:19"}),
           ("/api/rank/mosaic", {"others": [first]}),
           ("/api/rank/mosaic", {"best": first, "others": list(range(1, 40))})]
    for path, body in bad:
        answer = client.post(path, json=body)
        assert answer.status_code == 400, (path, body, answer.text)
    assert client.post("/api/rank/compare", json={"winner": first, "loser": 999999}).status_code == 404
    assert client.get("/api/rank/top", params={"n": "0"}).status_code == 400
    cross = make_client(home, Origin="http://evil.example")
    assert cross.post("/api/rank/compare", json={"winner": first, "loser": second}).status_code == 403
    assert cross.post("/api/rank/undo").status_code == 403
    db = connect(home / "gallery.db", readonly=True)
    try:
        assert db.execute("SELECT COUNT(*) FROM comparison_events WHERE winner = ? AND loser = ?",
                          (first, 999999)).fetchone()[0] == 0
    finally:
        db.close()


def test_picks_and_undo_ask_for_one_debounced_republish(home):
    """A pick changes best-first grids, top-of-year pages and covers: like a flag, it records a republish
    request in its transaction and wakes the decisions' debounced republisher (one build for a burst)."""
    from gallery_builder.db.decisions import pending_republish_requests
    from gallery_builder.db.ranking import undo_last_pick
    from search_api.decisions import DecisionDesk
    from search_api.ranking import RankDesk
    from search_api.republish import Republisher
    from tests.test_republish import Launcher

    settings = load_settings(home, {"clip_model": MODEL, "api_token": TOKEN}, environ={})
    decisions, launcher = DecisionDesk(settings), Launcher()
    decisions.republisher = Republisher(home, decisions.latest_request, decisions.clear_requests, delay=0.3,
                                        launcher=launcher, watcher_running=lambda home: False)
    desk = RankDesk(settings, seed=1, republisher=decisions.republisher)
    try:
        first, second, third = photo_ids(home)[:3]
        desk.record([(first, second)], "swiss", "all")
        desk.record([(third, first)], "swiss", "all")
        desk.write(undo_last_pick)
        reasons = [request.reason for request in decisions.read(pending_republish_requests)][-3:]
        assert "swiss pick" in reasons[0] and "swiss pick" in reasons[1] and "undone" in reasons[2]
        assert decisions.republisher.wait_idle(30)
        assert len(launcher.homes) == 1 and decisions.read(pending_republish_requests) == []
    finally:
        desk.close()
        decisions.close()
