"""Sign-in for writing: `gallery passwd` (a real subprocess), the sidecar's session cookie, the
rate-limited sign-in, sign-out, password changes, the read-only state, and nginx proxying /signin."""
from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from starlette.responses import JSONResponse
from starlette.testclient import TestClient

from gallery_builder.config import load_settings
from gallery_builder.core.passwords import (SCRYPT_N, auth_path, make_credentials, read_credentials,
                                            save_credentials, verify_password)
from search_api.app import create_app
from search_api.auth import SESSION_COOKIE, SESSION_SECONDS, SignInLimiter
from search_api.signin import safe_next
from search_api.write_guard import TOKEN_HEADER, writing_route
from tests.conftest import REPO

PASSWORD = "correct horse battery"
SITE = "http://nas:8080"
SAME_ORIGIN = {"Origin": SITE, "Sec-Fetch-Site": "same-origin"}


def passwd(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`gallery passwd` as a user runs it; its own session, so no terminal is there to prompt on."""
    return subprocess.run([sys.executable, "-m", "gallery_builder", "passwd", "--home", str(home), *args],
                          input=stdin, capture_output=True, text=True, timeout=60, cwd=REPO, start_new_session=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


class Site:
    """The sidecar app on a fresh home with one writing route of the test's own (/api/test-write)."""

    def __init__(self, home: Path, token: str = "", client: tuple[str, int] = ("testclient", 50000)) -> None:
        self.home = home
        self.written: list[str] = []
        self.app = create_app(load_settings(home, environ={}), warm_up=False)

        async def write(request):
            self.written.append((await request.body()).decode())
            return JSONResponse({"ok": True})

        self.app.router.routes.insert(0, writing_route("/api/test-write", write, lambda: token))
        self.client = TestClient(self.app, base_url=SITE, client=client, follow_redirects=False)

    def sign_in(self, password: str = PASSWORD, **headers: str):
        return self.client.post("/api/signin", json={"password": password}, headers={**SAME_ORIGIN, **headers})

    def write(self, body: str = "x", headers: dict[str, str] | None = None):
        return self.client.post("/api/test-write", content=body, headers=SAME_ORIGIN if headers is None else headers)


@pytest.fixture
def site(home: Path) -> Site:
    save_credentials(home, make_credentials(PASSWORD))
    return Site(home)


def test_passwd_stores_a_slow_salted_hash_in_a_private_file_and_remove_turns_writing_off(home):
    result = passwd(home, "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "password set" in result.stdout
    path = auth_path(home)
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert PASSWORD not in text and json.loads(text)["scrypt"]["n"] == SCRYPT_N
    first = read_credentials(home)
    assert verify_password(first, PASSWORD) and not verify_password(first, PASSWORD + "!")
    assert [p.name for p in home.iterdir()] == ["auth.json"]  # no temp file left behind

    prompted = passwd(home, stdin="another password\nanother password\n")
    assert prompted.returncode == 0, prompted.stderr
    second = read_credentials(home)
    assert verify_password(second, "another password") and second.salt != first.salt
    assert second.secret != first.secret  # sessions signed with the old secret end

    mismatch = passwd(home, stdin="one password\ntwo password\n")
    assert mismatch.returncode != 0 and verify_password(read_credentials(home), "another password")
    short = passwd(home, "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 8 characters" in short.stderr

    removed = passwd(home, "--remove")
    assert removed.returncode == 0 and "read-only" in removed.stdout and not path.exists()
    assert "Example" in passwd(home, "--help").stdout


def test_signing_in_with_the_right_password_sets_a_strict_http_only_cookie(site):
    wrong = site.sign_in("guess")
    assert wrong.status_code == 401 and wrong.json()["error"] == "wrong password"
    assert "set-cookie" not in wrong.headers
    assert site.client.get("/api/session").json()["signed_in"] is False

    right = site.sign_in()
    assert right.status_code == 200 and right.json()["signed_in"] is True
    cookie = right.headers["set-cookie"]
    flags = [part.strip() for part in cookie.split(";")]
    assert flags[0].startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in flags and "SameSite=Strict" in flags
    assert "Path=/" in flags and f"Max-Age={SESSION_SECONDS}" in flags and "Secure" not in flags
    assert site.client.get("/api/session").json() == {"signed_in": True, "writing_enabled": True,
                                                      "how_to_enable": None, "signin_url": "/signin"}
    assert site.write("a").status_code == 200 and site.written == ["a"]

    behind_https = site.sign_in(**{"X-Forwarded-Proto": "https", "Origin": "https://nas:8080"})
    assert behind_https.status_code == 200 and "Secure" in behind_https.headers["set-cookie"].split("; ")


def test_a_write_without_a_valid_session_is_refused(site):
    refused = site.write("a")
    assert refused.status_code == 403 and "sign in at /signin" in refused.json()["error"]
    site.sign_in()
    value = site.client.cookies[SESSION_COOKIE]
    expiry, nonce, signature = value.split(".")
    for forged in (f"{int(expiry) + 999}.{nonce}.{signature}", f"{expiry}.other.{signature}", "1.2", "junk"):
        site.client.cookies.clear()
        site.client.cookies.set(SESSION_COOKIE, forged)
        assert site.write("forged").status_code == 403, forged
    site.client.cookies.clear()
    site.client.cookies.set(SESSION_COOKIE, value)
    assert site.write("kept").status_code == 200
    site.app.state.auth.clock = lambda: int(expiry) + 1  # the session has expired
    assert site.write("late").status_code == 403
    assert site.written == ["kept"]


def test_a_cross_site_request_cannot_write_or_sign_in_even_with_a_valid_cookie(site):
    assert site.sign_in().status_code == 200
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        answer = site.write("evil", headers)
        assert answer.status_code == 403 and "cross-site request refused" in answer.json()["error"], headers
        assert site.client.post("/api/signin", json={"password": PASSWORD}, headers=headers).status_code == 403
    assert site.write("mine").status_code == 200 and site.written == ["mine"]


def test_sign_in_is_rate_limited_per_client_and_overall(site):
    now = [1000.0]
    site.app.state.auth.limiter = SignInLimiter(per_client=3, overall=8, window=60.0, clock=lambda: now[0])
    for _ in range(3):
        assert site.sign_in("guess").status_code == 401
    limited = site.sign_in()  # even the right password waits
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "set-cookie" not in limited.headers

    # Behind nginx every request comes from 127.0.0.1; the browser is the last X-Forwarded-For hop
    # (nginx appends it; whatever the browser sent comes before).
    proxied = TestClient(site.app, base_url=SITE, client=("127.0.0.1", 40000))

    def attempt(address: str) -> int:
        return proxied.post("/api/signin", json={"password": "guess"},
                            headers={**SAME_ORIGIN, "X-Forwarded-For": f"6.6.6.6, {address}"}).status_code

    assert [attempt("192.168.1.20") for _ in range(4)] == [401, 401, 401, 429]
    assert attempt("192.168.1.21") == 401   # another phone on the LAN is not locked out
    assert attempt("192.168.1.22") == 401   # the 8th attempt in the window (3 + 3 + 1 before it)
    assert attempt("192.168.1.23") == 429   # the overall cap is reached, whoever asks

    now[0] += 61
    assert site.sign_in().status_code == 200


def test_signing_out_ends_the_session_on_the_server_too(site):
    site.sign_in()
    value = site.client.cookies[SESSION_COOKIE]
    out = site.client.post("/api/signout", json={}, headers=SAME_ORIGIN)
    assert out.status_code == 200 and out.json() == {"signed_in": False}
    assert "Max-Age=0" in out.headers["set-cookie"]
    site.client.cookies.clear()
    site.client.cookies.set(SESSION_COOKIE, value)  # a copy of the cookie kept elsewhere
    assert site.write().status_code == 403
    assert site.client.get("/api/session").json()["signed_in"] is False


def test_a_new_password_ends_every_old_session(site):
    site.sign_in()
    assert site.write("before").status_code == 200
    save_credentials(site.home, make_credentials("a brand new password"))
    assert site.write("after").status_code == 403
    assert site.sign_in().status_code == 401
    assert site.sign_in("a brand new password").status_code == 200
    assert site.write("again").status_code == 200 and site.written == ["before", "again"]


def test_without_a_password_the_site_is_read_only_and_says_how_to_enable_writing(home):
    site = Site(home)
    state = site.client.get("/api/session").json()
    assert state["writing_enabled"] is False and state["signed_in"] is False
    assert f"gallery passwd --home {home}" in state["how_to_enable"]
    refused = site.write()
    assert refused.status_code == 403 and "gallery passwd" in refused.json()["error"]
    assert site.sign_in().status_code == 403
    page = site.client.get("/signin")
    assert page.status_code == 200 and "gallery passwd --home" in page.text and "<form" not in page.text
    assert site.written == []


def test_the_api_token_still_writes_for_scripts_when_a_password_is_set(home):
    save_credentials(home, make_credentials(PASSWORD))
    site = Site(home, token="s3cret")
    assert site.write("script", {TOKEN_HEADER: "s3cret"}).status_code == 200
    refused = site.write("no", {TOKEN_HEADER: "wrong"})
    assert refused.status_code == 403 and TOKEN_HEADER in refused.json()["error"]
    assert site.written == ["script"]


def test_the_sign_in_page_works_without_script_and_returns_to_a_same_site_path(site):
    page = site.client.get("/signin", params={"next": "/2023/07/"})
    assert page.status_code == 200 and 'action="/api/signin"' in page.text and 'value="/2023/07/"' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    form = {"password": PASSWORD, "next": "/2023/07/"}
    wrong = site.client.post("/api/signin", data={**form, "password": "nope"}, headers=SAME_ORIGIN)
    assert wrong.status_code == 401 and "wrong password" in wrong.text and 'value="/2023/07/"' in wrong.text
    right = site.client.post("/api/signin", data=form, headers=SAME_ORIGIN)
    assert right.status_code == 303 and right.headers["location"] == "/2023/07/"
    assert "Sign out" in site.client.get("/signin").text
    away = site.client.post("/api/signin", data={**form, "next": "//evil.example/"}, headers=SAME_ORIGIN)
    assert away.headers["location"] == "/"
    out = site.client.post("/api/signout", data={"next": "/2023/"}, headers=SAME_ORIGIN)
    assert out.status_code == 303 and out.headers["location"] == "/2023/"
    assert 'name="password"' in site.client.get("/signin").text


@pytest.mark.parametrize("value, expected", [
    ("/2023/", "/2023/"), ("/photos/0/1.html?x=1#y", "/photos/0/1.html?x=1#y"), (None, "/"), ("", "/"),
    ("//evil.example", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"), ("/\t/evil.example", "/"),
    ("javascript:alert(1)", "/"), ("2023/", "/"),
])
def test_next_is_a_path_on_this_site(value, expected):
    assert safe_next(value) == expected


def test_serve_with_site_answers_signin_before_the_static_site(home):
    save_credentials(home, make_credentials(PASSWORD))
    (home / "site").mkdir(parents=True)
    (home / "site" / "index.html").write_text("home page")
    client = TestClient(create_app(load_settings(home, environ={}), with_site=True, warm_up=False), base_url=SITE)
    assert 'name="password"' in client.get("/signin").text
    assert client.get("/").text == "home page"


@pytest.mark.nginx
def test_nginx_proxies_the_sign_in_page_and_routes_to_the_sidecar(tmp_path):
    from tests.site_servers import Nginx

    seen: list[tuple[str, str, str | None, str | None]] = []

    class Sidecar(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            return

        def _answer(self) -> None:
            seen.append((self.command, self.path, self.headers.get("X-Forwarded-Proto"),
                         self.headers.get("X-Forwarded-For")))
            self.send_response(200)
            self.send_header("Content-Length", "7")
            self.end_headers()
            self.wfile.write(b"sidecar")

        do_GET = do_POST = _answer

    home = tmp_path / "home"
    (home / "site").mkdir(parents=True)
    os.chmod(tmp_path, 0o755)
    nginx = Nginx(home)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", nginx.sidecar_port), Sidecar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, _, body = nginx.get("/signin?next=/2023/")
        assert status == 200 and body == b"sidecar"
        with urllib.request.urlopen(urllib.request.Request(nginx.base + "/api/signin", data=b"password=x"),
                                    timeout=10) as answer:
            assert answer.read() == b"sidecar"
    finally:
        server.shutdown()
        server.server_close()
        nginx.stop()
    assert [(method, path, proto) for method, path, proto, _ in seen] == [
        ("GET", "/signin?next=/2023/", "http"), ("POST", "/api/signin", "http")]
    assert all(forwarded == "127.0.0.1" for *_, forwarded in seen)
