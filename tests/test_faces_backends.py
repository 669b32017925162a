"""Face backends: the tiny buffalo_l pair through insightface's own code, dlib's real models on the
corpus, choosing a backend, thresholds without models, and `gallery models fetch buffalo_l`."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlparse

import numpy as np
import pytest
from PIL import Image

from gallery_builder.ml.faces import FaceModelMissing, check_backend, choose_backend_name, get_thresholds, load_backend
from tests.conftest import REPO, run_gallery
from tests.tiny_faces import draw_faces, expected_embedding, write_buffalo_bundle


def _settings(models_dir: Path, backend: str = "auto") -> SimpleNamespace:
    return SimpleNamespace(models_dir=models_dir, face_backend=backend)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    models = tmp_path_factory.mktemp("faces") / "models"
    write_buffalo_bundle(models)
    return load_backend(_settings(models))


def test_tiny_buffalo_finds_exactly_the_planted_faces(tiny):
    picture = draw_faces((640, 640), [("ana", 160, 160, 128, 128), ("ben", 480, 160, 128, 128),
                                      ("cy", 320, 480, 128, 128), ("ana", 160, 480, 128, 112),
                                      ("200,40,40", 480, 480, 128, 128), ("ana", 480, 320, 64, 64)])
    faces = tiny.detect(picture)
    assert [face.box for face in faces] == [(96, 96, 128, 128), (416, 96, 128, 128), (256, 416, 128, 128),
                                            (96, 416, 128, 128)]
    assert [round(face.score, 3) for face in faces] == [0.996, 0.996, 0.996, 0.646]
    assert faces[3].score < tiny.thresholds.min_score <= faces[0].score  # the short one: kept, not clustered
    assert faces[0].landmarks[0] == pytest.approx((96 + 38.2946 / 112 * 128, 96 + 51.6963 / 112 * 128), abs=1e-3)


def test_tiny_buffalo_embeddings_match_the_same_identity_only(tiny):
    picture = draw_faces((640, 640), [("ana", 160, 160, 128, 128), ("ben", 480, 160, 128, 128),
                                      ("cy", 320, 480, 128, 128)])
    other = draw_faces((1280, 960), [("ana", 1024, 384, 256, 256)])  # another photo, another scale
    vectors = tiny.embed(picture, tiny.detect(picture))
    again = tiny.embed(other, tiny.detect(other))
    assert vectors.dtype == np.float32 and vectors.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    for vector, name in zip(vectors, ("ana", "ben", "cy")):
        assert np.allclose(vector, expected_embedding(name), atol=1e-4)
    match = get_thresholds("buffalo_l").match_distance
    assert np.linalg.norm(again[0] - vectors[0]) < 0.01 < match
    distances = [np.linalg.norm(vectors[i] - vectors[j]) for i, j in ((0, 1), (0, 2), (1, 2))]
    assert min(distances) > match


def test_tiny_buffalo_embeds_nothing_for_no_face(tiny):
    assert tiny.detect(draw_faces((640, 480), [])) == []
    assert tiny.embed(draw_faces((640, 480), []), []).shape == (0, 512)


def test_auto_picks_buffalo_l_when_installed_else_dlib(tmp_path):
    assert choose_backend_name(_settings(tmp_path / "models")) == "dlib"
    write_buffalo_bundle(tmp_path / "models")
    assert choose_backend_name(_settings(tmp_path / "models")) == "buffalo_l"
    assert choose_backend_name(_settings(tmp_path / "models", "dlib")) == "dlib"
    with pytest.raises(ValueError, match="auto, dlib, buffalo_l"):
        choose_backend_name(_settings(tmp_path / "models", "arcface"))


def test_a_missing_buffalo_l_names_the_command_that_adds_it(tmp_path):
    settings = _settings(tmp_path / "home" / "models", "buffalo_l")
    message = check_backend(settings)
    assert message is not None and "gallery models fetch buffalo_l --home" in message and "\n" not in message
    with pytest.raises(FaceModelMissing, match="gallery models fetch buffalo_l"):
        load_backend(settings)
    assert check_backend(_settings(tmp_path / "home" / "models", "dlib")) is None


def test_thresholds_come_without_loading_any_model_library():
    code = ("import sys; from gallery_builder.ml.faces import get_thresholds;"
            "t = get_thresholds('dlib'); b = get_thresholds('buffalo_l');"
            "print(t.match_distance, b.match_distance, b.temporal_distance,"
            " sorted(m for m in ('dlib', 'insightface', 'onnxruntime', 'cv2', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.split() == ["0.429", "1.15", "1.45", "[]"]
    with pytest.raises(ValueError, match="unknown face backend"):
        get_thresholds("facenet")


def _corpus_rgb(corpus: Path, relative: str) -> np.ndarray:
    with Image.open(corpus / relative) as picture:
        picture = picture.convert("RGB")
        picture.thumbnail((1920, 1920))
        return np.asarray(picture)


def _embed_all(backend, rgb: np.ndarray) -> np.ndarray:
    return backend.embed(rgb, backend.detect(rgb))


def test_dlib_on_real_faces_tells_people_apart(corpus):
    backend = load_backend(_settings(Path("/nonexistent"), "dlib"))
    limits = backend.thresholds
    two = _corpus_rgb(corpus, "faces/other/two_people.jpg")
    faces = backend.detect(two)
    assert len(faces) == 2 and all(len(face.landmarks) == 68 for face in faces)
    obama, biden = (_embed_all(backend, _corpus_rgb(corpus, f"faces/train/{name}/{name}.jpg")) for name in ("obama", "biden"))
    pair = backend.embed(two, faces)
    assert np.allclose(np.linalg.norm(pair, axis=1), 1, atol=1e-5)
    # each face of the pair is near exactly one of the two people, and the two are not the same person
    to_obama = np.linalg.norm(pair - obama[0], axis=1)
    to_biden = np.linalg.norm(pair - biden[0], axis=1)
    assert sorted([to_obama.min(), to_biden.min()])[1] < limits.match_distance
    assert np.argmin(to_obama) != np.argmin(to_biden)
    assert np.linalg.norm(pair[0] - pair[1]) > limits.match_distance


# --- gallery models fetch buffalo_l, against a hub on 127.0.0.1 -------------------------------------

@pytest.fixture
def hub(tmp_path):
    published = write_buffalo_bundle(tmp_path / "published")
    files = {path.relative_to(published).as_posix(): path.read_bytes() for path in published.rglob("*.onnx")}
    files["fp16/model.armnn"] = b"not wanted"
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = urlparse(self.path).path
            seen.append(path)
            if path == "/api/models/immich-app/buffalo_l/tree/main":
                tree = [{"type": "file", "path": name, "size": len(data), "oid": "0" * 40,
                         "lfs": {"oid": hashlib.sha256(data).hexdigest(), "size": len(data)}}
                        for name, data in files.items()]
                return self._send(200, json.dumps(tree).encode())
            prefix = "/immich-app/buffalo_l/resolve/main/"
            name = unquote(path[len(prefix):]) if path.startswith(prefix) else None
            if name not in files:
                return self._send(404, b'{"error":"Repository not found"}')
            return self._send(200, files[name])

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}", files=files, seen=seen)
    server.shutdown()


def test_models_fetch_buffalo_l_installs_a_bundle_the_backend_loads(hub, tmp_path):
    home = tmp_path / "home"
    result = run_gallery("models", "fetch", "buffalo_l", "--url", hub.url, "--home", str(home))
    assert "installed buffalo_l" in result.stdout and "gallery index --faces" in result.stdout
    folder = home / "models" / "faces" / "buffalo_l"
    for name in ("detection/model.onnx", "recognition/model.onnx"):
        assert (folder / name).read_bytes() == hub.files[name]
    assert not (folder / "fp16").exists() and not list(folder.parent.glob(".partial-*"))
    backend = load_backend(_settings(home / "models"))
    assert backend.name == "buffalo_l"
    listed = run_gallery("models", "list", "--home", str(home)).stdout
    assert "buffalo_l installed" in listed and "the faces pass uses buffalo_l" in listed
    again = run_gallery("models", "fetch", "buffalo_l", "--url", hub.url, "--home", str(home))
    assert "already installed" in again.stdout


def test_models_fetch_buffalo_l_says_what_the_hub_lacks(hub, tmp_path):
    del hub.files["recognition/model.onnx"]
    result = run_gallery("models", "fetch", "buffalo_l", "--url", hub.url, "--home", str(tmp_path / "home"),
                         check=False)
    assert result.returncode != 0 and "lacks recognition/model.onnx" in result.stderr
