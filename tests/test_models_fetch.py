"""`gallery models fetch` against a local hub on 127.0.0.1 serving a tiny bundle in Hugging Face's layout.

The test hub lists files with their git blob SHA-1 (small files) or LFS SHA-256 (models), serves
them with HTTP Range support, and can cut a transfer short or corrupt a file on request.
"""
from __future__ import annotations

import hashlib
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pytest

from gallery_builder.ml.clip_bundle import find_bundle
from gallery_builder.ml.clip_text import ClipTextEncoder
from gallery_builder.ml.fetch import FetchError, fetch_bundle
from tests.conftest import run_gallery
from tests.tiny_clip import write_bundle

NAME = "tiny-clip__hub"
ORG = "immich-app"


class Hub:
    """What the handler serves and what it saw."""

    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle
        self.requests: list[tuple[str, str | None]] = []
        self.cut_once: set[str] = set()       # paths whose first transfer stops half-way
        self.corrupt: set[str] = set()        # paths served with one byte flipped

    def tree(self) -> list[dict]:
        entries: list[dict] = [{"type": "directory", "oid": "0" * 40, "size": 0, "path": "visual"},
                               {"type": "file", "oid": "1" * 40, "size": 5, "path": "README.md"},
                               {"type": "file", "oid": "2" * 40, "size": 9,
                                "path": "visual/fp16/model.armnn", "lfs": {"oid": "3" * 64, "size": 9}}]
        for path in sorted(self.bundle.rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            relative = path.relative_to(self.bundle).as_posix()
            blob = hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()
            entry = {"type": "file", "oid": blob, "size": len(data), "path": relative}
            if relative.endswith(".onnx"):
                entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
            entries.append(entry)
        return entries


def make_handler(hub: Hub) -> type:
    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlparse(self.path)
            hub.requests.append((url.path, self.headers.get("Range")))
            if url.path == f"/api/models/{ORG}/{NAME}/tree/main":
                return self._send(200, json.dumps(hub.tree()).encode(), "application/json")
            prefix = f"/{ORG}/{NAME}/resolve/main/"
            if not url.path.startswith(prefix):
                return self._send(404, b'{"error":"Repository not found"}', "application/json")
            relative = unquote(url.path[len(prefix):])
            data = (hub.bundle / relative).read_bytes()
            if relative in hub.corrupt:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            start = int(self.headers["Range"].split("=")[1].split("-")[0]) if self.headers.get("Range") else 0
            body = data[start:]
            if relative in hub.cut_once:
                hub.cut_once.discard(relative)
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return None
            return self._send(206 if start else 200, body, "application/octet-stream")

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def hub(tmp_path):
    bundle = write_bundle(tmp_path / "published", NAME)
    state = Hub(bundle)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield state
    server.shutdown()


def _downloads(hub: Hub) -> list[tuple[str, str | None]]:
    return [(path.rsplit("/main/", 1)[1], ranges) for path, ranges in hub.requests if "/resolve/" in path]


def test_fetch_installs_a_working_bundle_with_the_cli(hub, tmp_path):
    home = tmp_path / "home"
    result = run_gallery("models", "fetch", NAME, "--url", hub.url, "--home", str(home))
    assert f"installed {NAME}" in result.stdout
    folder = home / "models" / "clip" / NAME
    for path in hub.bundle.rglob("*"):
        if path.is_file():
            assert (folder / path.relative_to(hub.bundle)).read_bytes() == path.read_bytes()
    assert not (folder / "README.md").exists() and not (folder / "visual" / "fp16").exists()
    assert not list((home / "models" / "clip").glob(".partial-*"))
    vector = ClipTextEncoder(find_bundle(home / "models", NAME)).encode(["red car"])[0]
    assert np.allclose(vector, [2 ** -0.5, 0, 0, 2 ** -0.5, 0, 0, 0, 0], atol=1e-6)
    again = run_gallery("models", "fetch", NAME, "--url", hub.url, "--home", str(home))
    assert "already installed" in again.stdout and len(_downloads(hub)) == len(list(folder.rglob("*.*")))


def test_a_dropped_connection_resumes_with_a_range_request(hub, tmp_path):
    hub.cut_once.add("textual/model.onnx")
    fetch_bundle(tmp_path / "models", NAME, hub.url, log=lambda line: None)
    attempts = [ranges for path, ranges in _downloads(hub) if path == "textual/model.onnx"]
    size = (hub.bundle / "textual" / "model.onnx").stat().st_size
    assert attempts == [None, f"bytes={size // 2}-"]
    assert (tmp_path / "models" / "clip" / NAME / "textual" / "model.onnx").read_bytes() == \
        (hub.bundle / "textual" / "model.onnx").read_bytes()


def test_an_interrupted_run_resumes_next_time(hub, tmp_path):
    models = tmp_path / "models"
    part = models / "clip" / f".partial-{NAME}" / "visual" / "model.onnx.part"
    part.parent.mkdir(parents=True)
    data = (hub.bundle / "visual" / "model.onnx").read_bytes()
    part.write_bytes(data[:100])
    fetch_bundle(models, NAME, hub.url, log=lambda line: None)
    assert ("visual/model.onnx", "bytes=100-") in _downloads(hub)
    assert (models / "clip" / NAME / "visual" / "model.onnx").read_bytes() == data


def test_a_checksum_mismatch_stops_and_keeps_nothing_bad(hub, tmp_path):
    hub.corrupt.add("textual/tokenizer.json")
    result = run_gallery("models", "fetch", NAME, "--url", hub.url, "--home", str(tmp_path / "home"), check=False)
    assert result.returncode == 1 and "textual/tokenizer.json: checksum mismatch" in result.stderr
    clip = tmp_path / "home" / "models" / "clip"
    assert not (clip / NAME).exists()
    assert not (clip / f".partial-{NAME}" / "textual" / "tokenizer.json.part").exists()
    hub.corrupt.clear()
    run_gallery("models", "fetch", NAME, "--url", hub.url, "--home", str(tmp_path / "home"))
    assert find_bundle(tmp_path / "home" / "models", NAME).name == NAME


def test_unknown_models_and_unreachable_hubs_are_clear(hub, tmp_path):
    with pytest.raises(FetchError, match="was not found"):
        fetch_bundle(tmp_path, "ViT-X-99__nothing", hub.url, log=lambda line: None)
    with pytest.raises(FetchError, match="cannot reach"):
        fetch_bundle(tmp_path, NAME, "http://127.0.0.1:9", log=lambda line: None)
    with pytest.raises(ValueError, match="not a valid CLIP model name"):
        fetch_bundle(tmp_path, "../../etc", hub.url)


def test_fetch_for_an_aesthetic_head_asks_for_the_clip_model_it_reads(hub, tmp_path):
    home = str(tmp_path / "home")
    unknown = run_gallery("models", "fetch", "--aesthetic", "nice-head", "--url", hub.url, "--home", home, check=False)
    assert unknown.returncode == 2 and "known: laion-improved__ViT-L-14__openai" in unknown.stderr
    result = run_gallery("models", "fetch", "--aesthetic", "laion-improved__ViT-L-14__openai", "--url", hub.url,
                         "--home", home, check=False)
    assert result.returncode == 1 and f"{ORG}/ViT-L-14__openai was not found" in result.stderr
    assert hub.requests[-1][0] == f"/api/models/{ORG}/ViT-L-14__openai/tree/main"
