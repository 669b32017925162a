"""The nginx config `gallery nginx-config` renders, run by Debian's nginx on 127.0.0.1: caching,
pre-compressed files, originals (media only, never hidden/system/ignored/.nogallery folders, no
symlink escape), the permalink short form, basic auth, and /api/ streaming without buffering."""
from __future__ import annotations

import gzip
import hashlib
import base64
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest

from tests.site_fixtures import _arrow_type, _write_table, build, write_golden_library
from tests.site_servers import Nginx, Upstream, gallery

pytestmark = pytest.mark.nginx
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


@pytest.fixture(scope="module")
def served() -> tuple[Path, Path]:
    """A built site plus a photo root with decoys, in a folder nginx's `nobody` workers can read."""
    base = Path(tempfile.mkdtemp(prefix="gallery-site-nginx-"))
    os.chmod(base, 0o755)
    home, root = base / "home", base / "photos"
    write_golden_library(home)
    for relative in ["2021/2021-07-14 Beach/IMG_0001.JPG", ".hidden/x.jpg", "2021/@eaDir/x.jpg", "#recycle/x.jpg",
                     "Private/secret.jpg", "Drafts/draft.jpg", "2021/._IMG_0001.JPG", "notes.txt", "evil.html"]:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(JPEG)
    (root / "Private" / ".nogallery").write_bytes(b"")
    os.makedirs(os.fsencode(root) + b"/caf\xe9")
    Path(os.fsdecode(os.fsencode(root) + b"/caf\xe9/menu.jpg")).write_bytes(JPEG)
    outside = base / "outside.jpg"
    outside.write_bytes(b"secret")
    os.chown(outside, 65534, 65534)                       # owned by someone else than the link
    (root / "escape.jpg").symlink_to(outside)
    _write_table(home / "parquet" / "skipped.parquet", [{"root": "photos", "path": "Private", "reason": "nogallery"}],
                 [(name, _arrow_type("string")) for name in ("root", "path", "reason")])
    (home / "gallery.toml").write_text(f'ignore = ["Drafts"]\n\n[[roots]]\nlabel = "photos"\npath = "{root}"\n')
    build(home)
    (home / "progress.json").write_text('{"state": "running", "done": 3, "total": 10}')
    yield home, root
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def nginx(served):
    server = Nginx(served[0])
    yield server
    server.stop()


def test_pages_are_served_and_always_revalidated(nginx):
    status, headers, body = nginx.get("/")
    assert status == 200 and b"Your photos" in body
    assert headers["Cache-Control"] == "no-cache" and headers["Content-Type"].startswith("text/html")
    status, headers, body = nginx.get("/years/2021/")
    assert status == 200 and headers["Cache-Control"] == "no-cache"
    assert nginx.get("/photos/0/7.html")[0] == 200


def test_assets_and_thumbnails_are_cached_for_a_year(nginx, served):
    home = served[0]
    bundle = next((home / "site" / "assets").iterdir()).name
    status, headers, _ = nginx.get(f"/assets/{bundle}/js/grid.js")
    assert status == 200 and "immutable" in headers["Cache-Control"] and "max-age=31536000" in headers["Cache-Control"]
    thumb = next((home / "thumbs").rglob("*.webp")).relative_to(home / "thumbs").as_posix()
    status, headers, body = nginx.get(f"/thumbs/{thumb}")
    assert status == 200 and headers["Content-Type"] == "image/webp" and "immutable" in headers["Cache-Control"]


def test_json_data_is_served_pre_compressed(nginx, served):
    status, headers, body = nginx.get("/search/index/2021.json", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip" and headers["Cache-Control"] == "no-cache"
    assert gzip.decompress(body) == (served[0] / "site" / "search/index/2021.json").read_bytes()
    status, headers, body = nginx.get("/search/index/2021.json")
    assert status == 200 and "Content-Encoding" not in headers and body.startswith(b"{")


def test_progress_file_is_served_uncached(nginx):
    status, headers, body = nginx.get("/progress.json")
    assert status == 200 and headers["Cache-Control"] == "no-store" and b'"running"' in body


def test_originals_are_served_read_only_with_their_exact_bytes(nginx):
    status, headers, body = nginx.get("/originals/photos/2021/2021-07-14%20Beach/IMG_0001.JPG")
    assert status == 200 and body == JPEG and headers["Content-Type"] == "image/jpeg"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert nginx.get("/originals/photos/caf%E9/menu.jpg")[0] == 200


@pytest.mark.parametrize("path", [
    "/originals/photos/.hidden/x.jpg", "/originals/photos/%2Ehidden/x.jpg", "/originals/photos/2021/@eaDir/x.jpg",
    "/originals/photos/2021/@EADIR/x.jpg", "/originals/photos/%23recycle/x.jpg", "/originals/photos/2021/._IMG_0001.JPG",
    "/originals/photos/Private/secret.jpg", "/originals/photos/Drafts/draft.jpg", "/originals/photos/notes.txt",
    "/originals/photos/evil.html", "/originals/other/x.jpg", "/originals/photos/../outside.jpg",
    "/originals/photos/%2e%2e/outside.jpg", "/originals/photos/escape.jpg"])
def test_hidden_system_skipped_and_non_media_files_are_never_served(nginx, path):
    status, _, body = nginx.get(path)
    assert status in (400, 403, 404), (path, status)
    assert body != JPEG and b"secret" not in body


def test_the_short_permalink_redirects_to_the_bucketed_page(nginx):
    status, headers, _ = nginx.get("/photos/7/")
    assert status == 302 and headers["Location"].endswith("/photos/0/7.html")
    status, headers, _ = nginx.get("/photos/12345/")
    assert status == 302 and headers["Location"].endswith("/photos/12/12345.html")


def test_api_is_proxied_and_event_streams_are_not_buffered(nginx):
    upstream = Upstream(nginx.sidecar_port, results=[])
    try:
        status, headers, body = nginx.get("/api/search?q=beach")
        assert status == 200 and b'"results"' in body and headers["Cache-Control"] == "no-store"
        with socket.create_connection(("127.0.0.1", nginx.port), timeout=10) as connection:
            connection.sendall(b"GET /api/events HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n")
            started = time.monotonic()
            received = _receive_until(connection, b"event 1")
            first_after = time.monotonic() - started
            received = _receive_until(connection, b"event 2", received)
        assert first_after < 1.2          # the first event arrived before the second was even sent
        assert b"Content-Encoding: gzip" not in received
    finally:
        upstream.stop()


def _receive_until(connection: socket.socket, marker: bytes, received: bytes = b"") -> bytes:
    """Read until `marker` arrives; a closed stream fails at once (the socket's timeout bounds a stall)."""
    while marker not in received:
        chunk = connection.recv(4096)
        if not chunk:
            raise AssertionError(f"the stream closed before {marker!r} arrived: {received[-500:]!r}")
        received += chunk
    return received


def test_the_sidecar_being_down_is_a_gateway_error_not_a_hang(nginx):
    status, _, _ = nginx.get("/api/search?q=x")
    assert status == 502


def test_basic_auth_is_off_by_default_and_documented(nginx):
    config = nginx.config.read_text()
    assert "auth_basic " not in config and "--basic-auth FILE" in config
    assert nginx.get("/")[0] == 200


def test_basic_auth_when_asked_for(served):
    home = served[0]
    password_file = home / "nginx-auth" / "htpasswd"
    password_file.parent.mkdir(exist_ok=True)
    digest = base64.b64encode(hashlib.sha1(b"s3cret").digest()).decode()
    password_file.write_text(f"alice:{{SHA}}{digest}\n")
    # a folder of its own: the module's server (and its config file) stay as other tests expect them
    server = Nginx(home, "--basic-auth", str(password_file), folder="nginx-auth")
    try:
        assert server.get("/")[0] == 401
        token = base64.b64encode(b"alice:s3cret").decode()
        assert server.get("/", {"Authorization": f"Basic {token}"})[0] == 200
        assert server.get("/originals/photos/2021/2021-07-14%20Beach/IMG_0001.JPG")[0] == 401
    finally:
        server.stop()


def test_server_only_mode_writes_just_the_server_block(served):
    text = gallery("nginx-config", "--home", str(served[0]), "--server-only", "--port", "8081").stdout
    assert text.lstrip().startswith("server {") and "events {" not in text and "listen 8081;" in text
    assert f'alias "{served[1]}/$1";' in text
