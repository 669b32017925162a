"""The sidecar's Google routes on the real app (Starlette TestClient) against the fake Google: status
without network, starting an upload of a collection or a photo, the event stream (unbuffered headers,
exactly one terminal event), cancel then resume with each file sent once, one upload per album (also
against the CLI's lock), the guard, and the paste-back sign-in page with the real google-auth-oauthlib."""
from __future__ import annotations

import json
import re
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from gallery_builder.config import load_settings
from gallery_builder.google.album_lock import AlbumLock
from search_api.app import create_app
from search_api.write_guard import TOKEN_HEADER
from tests.fake_google import FakeGoogle
from tests.google_library import make_upload_home
from tests.waiting import wait_for

TOKEN = "s3cret-token"
SITE = "http://nas:8080"


@pytest.fixture
def fake():
    server = FakeGoogle()
    yield server
    server.stop()


def client_for(place, fake, token: str = TOKEN) -> TestClient:
    settings = load_settings(place.home, {"api_token": token}, environ=fake.environ())
    return TestClient(create_app(settings, warm_up=False), base_url=SITE,
                      headers={TOKEN_HEADER: token, "Origin": SITE, "Sec-Fetch-Site": "same-origin"})


def read_events(client: TestClient, job: dict) -> tuple[list[tuple[str, dict]], dict]:
    events, kind = [], None
    with client.stream("GET", job["events"]) as response:
        assert response.status_code == 200
        headers = dict(response.headers)
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[len("event: "):]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[len("data: "):])))
    return events, headers


def terminal_of(events):
    ends = [item for item in events if item[0] in ("done", "fatal", "cancelled")]
    assert len(ends) == 1 and events[-1] == ends[0]
    return ends[0]


def test_status_says_whether_google_is_connected_without_network(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 1, signed_in=False)
    with client_for(place, fake) as client:
        status = client.get("/api/google/status").json()
        assert status["connected"] is False and status["client_configured"] and status["signed_in"]
        refused = client.post("/api/google/uploads", json={"collection": place.collection_id})
        assert refused.status_code == 409 and "/api/google/signin" in refused.json()["error"]
    assert fake.requests == []


def test_a_collection_uploads_with_events_streamed_and_one_terminal_event(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 7)
    with client_for(place, fake) as client:
        started = client.post("/api/google/uploads", json={"collection": place.collection_id})
        assert started.status_code == 200, started.text
        events, headers = read_events(client, started.json()["job"])
        assert headers["x-accel-buffering"] == "no" and headers["content-type"].startswith("text/event-stream")
        kinds = [kind for kind, _ in events]
        assert kinds[0] == "start" and kinds.count("begin") == 7 and "bytes_sent" in kinds and "progress" in kinds
        assert terminal_of(events)[0] == "done" and terminal_of(events)[1]["created"] == 7
        assert set(fake.received.values()) == {1} and len(fake.received) == 7
        one = client.post("/api/google/uploads", json={"photos": [3], "album": "Best"})
        events, _ = read_events(client, one.json()["job"])
        assert terminal_of(events)[1]["created"] == 1  # the same media item, added to another album
        assert [title["title"] for title in fake.albums.values()] == ["Lisbon 2023", "Best"]
        listed = client.get("/api/google/status").json()["jobs"]
        assert {job["state"] for job in listed} == {"done"}


def test_cancel_mid_run_then_resume_uploads_each_file_exactly_once(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 30)
    release, held = threading.Event(), threading.Event()

    def hold_the_tenth(count: int) -> None:
        if count == 10:
            held.set()
            release.wait(60)

    fake.on_upload = hold_the_tenth
    with client_for(place, fake) as client:
        job = client.post("/api/google/uploads", json={"collection": place.collection_id}).json()["job"]
        wait_for(held.is_set, 30, "the tenth upload reaching the fake")
        busy = client.post("/api/google/uploads", json={"collection": place.collection_id})
        assert busy.status_code == 409 and "another upload" in busy.json()["error"]
        assert client.post(f"/api/google/uploads/{job['id']}/cancel").json()["cancelling"] is True
        release.set()
        events, _ = read_events(client, job)
        kind, summary = terminal_of(events)
        assert kind == "cancelled" and summary["created"] == 10 and [k for k, _ in events].count("begin") == 10
        again = client.post("/api/google/uploads", json={"collection": place.collection_id}).json()["job"]
        events, _ = read_events(client, again)
        assert terminal_of(events)[1]["created"] == 20 and terminal_of(events)[1]["skipped"] == 10
    assert set(fake.received.values()) == {1} and len(fake.received) == 30
    assert set(fake.created.values()) == {1} and len(fake.created) == 30


def test_the_cli_and_the_sidecar_share_the_album_lock(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 2)
    with client_for(place, fake) as client, AlbumLock(place.settings.google_dir, "Lisbon 2023"):
        busy = client.post("/api/google/uploads", json={"collection": place.collection_id})
        assert busy.status_code == 409 and busy.json()["album"] == "Lisbon 2023"


def test_writing_routes_need_the_guard(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 2)
    with client_for(place, fake) as client:
        stranger = client.post("/api/google/uploads", json={"collection": place.collection_id},
                               headers={TOKEN_HEADER: "wrong"})
        cross = client.post("/api/google/uploads", json={"collection": place.collection_id},
                            headers={"Origin": "http://evil.example"})
        assert stranger.status_code == 403 and cross.status_code == 403
        assert client.get("/api/google/uploads/nope/events").status_code == 404
        assert client.get("/api/google/status", headers={TOKEN_HEADER: ""}).json()["signed_in"] is False
    assert fake.requests == []


def test_paste_back_sign_in_from_the_web_page(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake's token endpoint is plain http
    place = make_upload_home(tmp_path, fake, 1, signed_in=False)
    with client_for(place, fake) as client:
        page = client.get("/api/google/signin")
        assert page.status_code == 200 and "Paste it here" in page.text
        link = re.search(r'href="(https://accounts\.google\.com/[^"]+)"', page.text).group(1).replace("&amp;", "&")
        state = re.search(r'name="state" value="([^"]+)"', page.text).group(1)
        query = parse_qs(urlsplit(link).query)
        assert query["state"] == [state] and query["scope"] == ["https://www.googleapis.com/auth/photoslibrary.appendonly"]
        wrong = client.post("/api/google/signin", data={"state": state, "url": "http://localhost:8085/?error=access_denied"})
        assert wrong.status_code == 400 and "not approved" in wrong.text
        page = client.get("/api/google/signin")
        state = re.search(r'name="state" value="([^"]+)"', page.text).group(1)
        pasted = f"http://localhost:8085/?state={state}&code={fake.issue_code()}&scope=x"
        done = client.post("/api/google/signin", data={"state": state, "url": pasted})
        assert done.status_code == 200 and "is connected" in done.text, done.text
        assert client.get("/api/google/status").json()["connected"] is True
        signed_out = client.get("/api/google/signin", headers={TOKEN_HEADER: ""})
        assert signed_out.status_code == 403 and "Sign in to the gallery" in signed_out.text
