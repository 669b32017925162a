"""`gallery serve` and `gallery search` as real subprocesses: no heavy modules, the site, read-only originals."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, run_gallery
from tests.search_library import MODEL, build_home
from tests.waiting import wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = build_home(tmp_path_factory.mktemp("serve"))
    site = home / "site"
    (site / "photos" / "0").mkdir(parents=True)
    (site / "index.html").write_text("<h1>gallery home</h1>")
    (site / "photos" / "0" / "1.html").write_text("photo one")
    (site / ".secret").write_text("hidden")
    (home / "progress.json").write_text(json.dumps({"state": "running", "done": 3}))
    library = Path(json.loads(json.dumps(str(home.parent / "library"))))
    (library / ".hidden").mkdir()
    (library / ".hidden" / "x.jpg").write_bytes(b"hidden")
    (library / "@eaDir").mkdir()
    (library / "@eaDir" / "x.jpg").write_bytes(b"synology")
    (home.parent / "outside.txt").write_text("outside the root")
    os.symlink(home.parent / "outside.txt", library / "escape.jpg")
    return home


class Sidecar:
    """A `gallery serve` process; `started_in` is the time until /api/health answered."""

    def __init__(self, home: Path, *extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "GALLERY_CLIP_MODEL": MODEL}
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gallery_builder", "serve", "--home", str(home), "--port", str(self.port), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
        self.started_in = self._wait(began)

    def _wait(self, began: float) -> float:
        def healthy() -> bool:
            try:
                if httpx.get(self.base + "/api/health", timeout=1).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise AssertionError(f"gallery serve exited ({self.process.returncode}): {self.process.communicate()}")
            return False

        try:
            wait_for(healthy, 30, f"gallery serve answering {self.base}/api/health")
        except AssertionError:
            if self.process.poll() is None:
                self.process.kill()
                self.process.communicate(timeout=15)
            raise
        return time.perf_counter() - began

    def raw_get(self, path: str) -> tuple[int, bytes]:
        """GET a path exactly as written (no client-side normalisation of `..`)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()

    def stop(self) -> str:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=15)
        return out


def test_the_sidecar_process_never_imports_heavy_modules(home):
    sidecar = Sidecar(home)
    try:
        assert httpx.get(sidecar.base + "/api/search", params={"q": "red car"}).json()["results"][0]["name"] == \
            "IMG_1234.JPG"
        assert httpx.get(sidecar.base + f"/api/similar/{1}").status_code == 200
        health = httpx.get(sidecar.base + "/api/health").json()
        assert health["model"]["loaded"] and health["vectors"] == 6
        assert health["heavy_modules"] == []  # torch, open_clip, insightface, PIL, jinja2, pyarrow
        print(f"\nstartup to first health answer: {sidecar.started_in:.2f} s; RSS after a search: {health['rss_mb']} MB")
    finally:
        out = sidecar.stop()
    assert f"http://127.0.0.1:{sidecar.port}/api/" in out


def test_with_site_serves_site_thumbs_originals_and_progress_read_only(home):
    sidecar = Sidecar(home, "--with-site")
    try:
        client = httpx.Client(base_url=sidecar.base)
        assert client.get("/").text == "<h1>gallery home</h1>"
        assert client.get("/photos/0/1.html").text == "photo one"
        short = client.get("/photos/1/")  # the deep-link short form redirects like nginx does
        assert short.status_code == 302 and short.headers["location"] == "/photos/0/1.html"
        assert client.get("/photos/1/", follow_redirects=True).text == "photo one"
        card = client.get("/api/search", params={"q": "DSC06241"}).json()["results"][0]
        assert client.get(card["thumb"]).headers["content-type"] == "image/webp"
        original = client.get(card["original"])
        assert original.status_code == 200
        assert original.content == (home.parent / "library" / card["path"]).read_bytes()
        assert client.get("/progress.json").json() == {"state": "running", "done": 3}
        assert client.post(card["original"]).status_code == 405
        for path in ("/originals/library/../../outside.txt", "/originals/library/%2e%2e/%2e%2e/outside.txt",
                     "/originals/library/.hidden/x.jpg", "/originals/library/@eaDir/x.jpg",
                     "/originals/library/escape.jpg", "/originals/nope/x.jpg", "/.secret", "/thumbs/../gallery.db",
                     "/thumbs/%2e%2e/gallery.db", "/../gallery.toml", "/originals/library/2023/..%2f..%2f..%2foutside.txt"):
            status, body = sidecar.raw_get(path)
            assert status in (404, 400), (path, status)
            assert b"outside the root" not in body and b"SQLite" not in body
    finally:
        out = sidecar.stop()
    assert f"the site at http://127.0.0.1:{sidecar.port}/" in out


def test_a_busy_port_is_a_clear_error(home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        result = run_gallery("serve", "--home", str(home), "--port", str(taken.getsockname()[1]), check=False,
                             timeout=60)
    assert result.returncode == 1 and "cannot listen on 127.0.0.1" in result.stderr


def test_gallery_search_in_the_terminal(home):
    result = run_gallery("search", "red", "car", "--home", str(home), "--limit", "3", env={"GALLERY_CLIP_MODEL": MODEL})
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("photos matching “red car” (red first) — 6 found (clip")
    assert "library/2023/2023-07-20/IMG_1234.JPG" in lines[1] and len(lines) == 4
    data = json.loads(run_gallery("search", "christmas", "--home", str(home), "--json",
                                  env={"GALLERY_CLIP_MODEL": MODEL}).stdout)
    assert [item["name"] for item in data["results"]] == ["IMG_0042.JPG"]
    missing = run_gallery("search", "red car", "--home", str(home), "--clip-model", "ViT-B-32__laion2b-s34b-b79k")
    assert "gallery models fetch ViT-B-32__laion2b-s34b-b79k" in missing.stdout
    empty = run_gallery("search", " ", "--home", str(home), check=False)
    assert empty.returncode == 2 and "empty query" in empty.stderr


def test_models_list_shows_bundles_vectors_and_passes(home):
    out = run_gallery("models", "list", "--home", str(home), env={"GALLERY_CLIP_MODEL": MODEL}).stdout
    assert f"*{MODEL}" in out and "complete; 6 photo vectors" in out
    assert "  clip       ready" in out
    other = run_gallery("models", "list", "--home", str(home), "--clip-model", "ViT-B-16__openai").stdout
    assert "clip       cannot run: CLIP model 'ViT-B-16__openai' is not installed" in other


def test_the_listening_socket_is_tcp_with_nodelay():
    """Accepted sockets get TCP_NODELAY only if the listener says IPPROTO_TCP; without it every
    keep-alive response waited for a delayed ACK (~40 ms)."""
    from search_api.server import PortInUse, bind

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        with pytest.raises(PortInUse, match="cannot listen on 127.0.0.1"):
            bind("127.0.0.1", sock.getsockname()[1])
    finally:
        sock.close()
