"""`gallery google` as a user runs it (a subprocess) against the fake Google on 127.0.0.1: status without
a token touches no network, upload without one names `gallery google auth`, paste-back sign-in with the
real google-auth-oauthlib, an upload with a progress bar, an unreachable endpoint in one line, disconnect."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import REPO, run_gallery
from tests.fake_google import FakeGoogle
from tests.google_library import make_upload_home
from tests.site_servers import free_port


@pytest.fixture
def fake():
    server = FakeGoogle()
    yield server
    server.stop()


def google(place, fake, *args, env=None):
    return run_gallery("google", *args, "--home", str(place.home), check=False, env={**fake.environ(), **(env or {})})


def test_status_without_a_token_says_not_signed_in_without_any_network(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 1, signed_in=False)
    result = google(place, fake, "status")
    assert result.returncode == 0 and "not signed in" in result.stdout
    assert fake.requests == []


def test_upload_without_a_token_exits_non_zero_with_one_line_naming_gallery_google_auth(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 1, signed_in=False)
    result = google(place, fake, "upload", "--collection", str(place.collection_id))
    assert result.returncode != 0 and "gallery google auth" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and fake.requests == []


def test_paste_back_sign_in_stores_a_0600_token_that_uploads(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 3, signed_in=False)
    process = subprocess.Popen([sys.executable, "-m", "gallery_builder", "google", "auth", "--home", str(place.home)],
                               cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, **fake.environ()})
    link = ""
    while not link:
        line = process.stdout.readline()
        assert line, "gallery google auth ended before printing the sign-in link"
        if line.strip().startswith("https://accounts.google.com/"):
            link = line.strip()
    query = parse_qs(urlsplit(link).query)
    assert query["scope"] == ["https://www.googleapis.com/auth/photoslibrary.appendonly"]
    assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
    pasted = f"{query['redirect_uri'][0]}?state={query['state'][0]}&code={fake.issue_code()}&scope=x"
    out, err = process.communicate(pasted + "\n", timeout=60)
    assert process.returncode == 0, err
    assert "signed in" in out
    token = place.settings.google_dir / "token.json"
    assert stat.S_IMODE(os.stat(token).st_mode) == 0o600 and json.loads(token.read_text())["refresh_token"]
    assert fake.grants[-1]["grant_type"] == "authorization_code" and fake.grants[-1]["code_verifier"]
    assert google(place, fake, "status").stdout.startswith("signed in")
    result = google(place, fake, "upload", "--collection", "lisbon 2023", env={"GALLERY_PROGRESS": "1"})
    assert result.returncode == 0, result.stderr
    assert "done: 3 uploaded, 0 already in the album, 0 failed, of 3" in result.stdout
    assert "B/s" in result.stderr and "files=3/3" in result.stderr  # the bar: rate, ETA and files
    assert "Lisbon 2023: 3 uploaded" in google(place, fake, "status").stdout


def test_a_pasted_address_of_another_attempt_is_refused_in_one_line(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 1, signed_in=False)
    result = run_gallery("google", "auth", "--home", str(place.home), check=False, env=fake.environ())
    assert result.returncode != 0  # no input at all: aborted, no traceback
    process = subprocess.run([sys.executable, "-m", "gallery_builder", "google", "auth", "--home", str(place.home)],
                             cwd=REPO, input="http://localhost:8085/?state=other&code=abc\n", capture_output=True,
                             text=True, env={**os.environ, **fake.environ()}, timeout=60)
    assert process.returncode == 1 and "another sign-in attempt" in process.stderr
    assert "Traceback" not in process.stderr and not (place.settings.google_dir / "token.json").exists()


def test_an_unreachable_endpoint_is_one_clear_line_never_a_traceback(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 2)
    result = google(place, fake, "upload", "--collection", "1",
                    env={"GALLERY_GOOGLE_API_BASE": f"http://127.0.0.1:{free_port()}"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "cannot reach http://127.0.0.1:" in lines[0]


def test_disconnect_revokes_and_deletes_the_token(tmp_path, fake):
    place = make_upload_home(tmp_path, fake, 1)
    refresh = json.loads((place.settings.google_dir / "token.json").read_text())["refresh_token"]
    result = google(place, fake, "disconnect")
    assert result.returncode == 0 and "revoked" in result.stdout
    assert refresh in fake.revoked and not (place.settings.google_dir / "token.json").exists()
    assert "not signed in" in google(place, fake, "status").stdout
