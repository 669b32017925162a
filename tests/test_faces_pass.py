"""The faces pass through the real CLI: the tiny buffalo_l pair on planted faces (exact boxes,
identities, crops, what is clusterable), dlib's real models on the corpus faces, re-detection that
keeps what a person decided, and bad input that is recorded while the run goes on."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gallery_builder.core.thumb_layout import face_crop_path, thumb_relpath
from gallery_builder.db.connection import connect
from gallery_builder.db.faces import NewFace, faces_of_photo, replace_photo_faces
from tests.conftest import run_gallery
from tests.tiny_faces import draw_faces, expected_embedding, write_buffalo_bundle

# 1280x960: the largest thumbnail is the 1280 px lightbox, which the detector sees at half size, so
# faces centred on multiples of 64 px with 256 px sides are the detector's aligned 128 px squares.
PLANTED = [("ana", 256, 320, 256, 256), ("ben", 768, 320, 256, 256), ("ana", 512, 704, 256, 224)]


def _library(root: Path) -> Path:
    root.mkdir(parents=True)
    Image.fromarray(draw_faces((1280, 960), PLANTED)).save(root / "a.jpg", quality=95)
    Image.fromarray(draw_faces((160, 160), [("ana", 80, 80, 32, 32)])).save(root / "small.png")
    Image.fromarray(draw_faces((640, 480), [])).save(root / "none.jpg", quality=95)
    (root / "broken.jpg").write_bytes((root / "a.jpg").read_bytes()[:600])
    return root


def _index(library: Path, home: Path, *flags: str, env: dict | None = None) -> str:
    result = run_gallery("index", str(library), "--home", str(home), "--no-geocode", "--no-export",
                         "--workers", "1", *flags, env=env)
    return result.stdout + result.stderr


def _photo_ids(db) -> dict[str, int]:
    return {row["name"]: row["id"] for row in db.execute("SELECT id, name FROM photos")}


def _faces_run(db, photo_id: int):
    return db.execute("SELECT version, status, error_code, error FROM pass_runs WHERE pass = 'faces' AND photo_id = ?",
                      (photo_id,)).fetchone()


@pytest.fixture
def tiny_home(tmp_path):
    home = tmp_path / "home"
    write_buffalo_bundle(home / "models")
    library = _library(tmp_path / "photos")
    _index(library, home, "--faces")
    return library, home


def test_planted_faces_are_stored_with_boxes_identities_and_crops(tiny_home):
    library, home = tiny_home
    db = connect(home / "gallery.db")
    ids = _photo_ids(db)
    faces = faces_of_photo(db, ids["a.jpg"])
    assert [(round(f.x * 1280), round(f.y * 960), round(f.w * 1280), round(f.h * 960)) for f in faces] == [
        (128, 192, 256, 256), (640, 192, 256, 256), (384, 576, 256, 256)]
    assert [f.clusterable for f in faces] == [True, True, False]  # the short one scores below min_score
    assert {f.backend for f in faces} == {"buffalo_l"}
    vectors = [np.frombuffer(row[0], dtype="<f4") for row in
               db.execute("SELECT embedding FROM faces WHERE photo_id = ? ORDER BY id", (ids["a.jpg"],))]
    for vector, name in zip(vectors, ("ana", "ben", "ana")):
        assert np.allclose(vector, expected_embedding(name), atol=0.02)
    for face in faces:
        crop = face_crop_path(home / "thumbs", face.crop_key)
        assert hashlib.sha1(crop.read_bytes()).hexdigest() == face.crop_key
        with Image.open(crop) as picture:
            assert max(picture.size) <= 256
    small = faces_of_photo(db, ids["small.png"])
    assert len(small) == 1 and small[0].size_px == 32 and small[0].score > 0.9  # sure, but below the min size:
    assert small[0].clusterable is False                                          # kept, not clustered
    assert faces_of_photo(db, ids["none.jpg"]) == []
    assert [_faces_run(db, ids[name])["status"] for name in ("a.jpg", "small.png", "none.jpg")] == ["ok"] * 3
    assert _faces_run(db, ids["broken.jpg"]) is None  # its thumbnail failed: nothing to detect on


def test_detection_reads_the_largest_thumbnail_not_the_original(tiny_home):
    library, home = tiny_home
    db = connect(home / "gallery.db")
    photo_id = _photo_ids(db)["a.jpg"]
    key = db.execute("SELECT thumb_key FROM thumbnails WHERE photo_id = ?", (photo_id,)).fetchone()[0]
    Image.fromarray(draw_faces((1280, 960), [("cy", 1024, 704, 256, 256)])).save(
        home / "thumbs" / thumb_relpath(key, 1280), quality=95)
    _index(library, home, "--faces", "--force-faces")
    faces = faces_of_photo(db, photo_id)
    assert [(round(f.x * 1280), round(f.y * 960)) for f in faces] == [(896, 576)]


def test_index_without_faces_runs_no_face_code(tmp_path):
    home = tmp_path / "home"
    write_buffalo_bundle(home / "models")
    out = _index(_library(tmp_path / "photos"), home)
    db = connect(home / "gallery.db")
    assert "faces" not in out.split("passes:")[1].split(")")[0]
    assert db.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM pass_runs WHERE pass = 'faces'").fetchone()[0] == 0
    code = ("import sys; from gallery_builder.passes import registry; registry();"
            "print(sorted(m for m in ('dlib', 'insightface', 'onnxruntime', 'cv2', 'PIL', 'numpy') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1]).stdout.strip()
    assert loaded == "[]"


def _decide(db, face_ids: list[int]) -> dict[str, int]:
    """A person's work on the three faces of a.jpg: name the first, reject a person from the third;
    and a machine's guess on the second."""
    people = {}
    for name in ("Ana", "Ben"):
        people[name] = db.execute("INSERT INTO people (name, created_at) VALUES (?, '2026-01-01')", (name,)).lastrowid
    cluster = db.execute("INSERT INTO face_clusters (created_at) VALUES ('2026-01-01')").lastrowid
    db.execute("UPDATE faces SET person_id = ?, assigned_by = 'user', cluster_id = ? WHERE id = ?",
               (people["Ana"], cluster, face_ids[0]))
    db.execute("UPDATE faces SET person_id = ?, assigned_by = 'match' WHERE id = ?", (people["Ben"], face_ids[1]))
    db.execute("INSERT INTO face_rejections VALUES (?, ?, '2026-01-01')", (face_ids[2], people["Ben"]))
    return {**people, "cluster": cluster}


def test_redetection_keeps_what_a_person_decided(tiny_home):
    library, home = tiny_home
    db = connect(home / "gallery.db")
    photo_id = _photo_ids(db)["a.jpg"]
    before = [face.id for face in faces_of_photo(db, photo_id)]
    made = _decide(db, before)

    _index(library, home, "--faces", "--force-faces")  # same backend, same faces: same rows
    after = faces_of_photo(db, photo_id)
    assert [face.id for face in after] == before
    assert (after[0].person_id, after[0].assigned_by, after[0].cluster_id) == (made["Ana"], "user", made["cluster"])
    assert (after[1].person_id, after[1].assigned_by) == (None, None)  # a machine's guess is for analysis to redo
    assert db.execute("SELECT person_id FROM face_rejections WHERE face_id = ?", (before[2],)).fetchone()[0] == made["Ben"]

    # another backend re-runs the pass by itself; dlib sees no face in coloured squares, yet the named
    # face and the refused one stay (out of clustering) and only the machine's face goes
    out = _index(library, home, "--faces", env={"GALLERY_FACE_BACKEND": "dlib"})
    assert "faces: 3 done" in out
    assert _faces_run(db, photo_id)["version"] == 10101
    kept = faces_of_photo(db, photo_id)
    assert [(face.id, face.person_id, face.clusterable, face.cluster_id) for face in kept] == [
        (before[0], made["Ana"], False, None), (before[2], None, False, None)]
    assert db.execute("SELECT COUNT(*) FROM face_rejections WHERE face_id = ?", (before[2],)).fetchone()[0] == 1


def test_replacing_detections_continues_faces_that_overlap(tmp_path):
    db = connect(tmp_path / "gallery.db")
    root = db.execute("INSERT INTO roots (label, path) VALUES ('r', '/r')").lastrowid
    photo = db.execute("INSERT INTO photos (root_id, path, path_bytes, folder, name, kind, size, mtime_ns, first_seen,"
                       " last_seen) VALUES (?, 'a.jpg', X'612E6A7067', '', 'a.jpg', 'photo', 1, 1, 'now', 'now')",
                       (root,)).lastrowid
    person = db.execute("INSERT INTO people (name, created_at) VALUES ('Ana', 'now')").lastrowid
    face = NewFace(0.1, 0.1, 0.2, 0.2, score=0.9, size_px=80, clusterable=True)
    first, second = replace_photo_faces(db, photo, "dlib", "h1", [face, NewFace(0.6, 0.6, 0.2, 0.2, 0.9, 80, True)])
    db.execute("UPDATE faces SET person_id = ?, assigned_by = 'reference' WHERE id = ?", (person, first))
    shifted = NewFace(0.13, 0.12, 0.2, 0.2, score=0.8, size_px=82, clusterable=True)   # IoU ~0.6 with the first
    moved = NewFace(0.7, 0.7, 0.2, 0.2, score=0.8, size_px=82, clusterable=True)       # IoU ~0.3 with the second
    ids = replace_photo_faces(db, photo, "dlib", "h2", [moved, shifted])
    assert ids[1] == first and ids[0] not in (first, second)
    rows = {row.id: row for row in faces_of_photo(db, photo)}
    assert set(rows) == {first, ids[0]}
    assert (rows[first].person_id, rows[first].assigned_by, rows[first].x) == (person, "reference", 0.13)


def test_a_corrupt_thumbnail_is_recorded_and_the_run_goes_on(tiny_home):
    library, home = tiny_home
    db = connect(home / "gallery.db")
    ids = _photo_ids(db)
    key = db.execute("SELECT thumb_key FROM thumbnails WHERE photo_id = ?", (ids["a.jpg"],)).fetchone()[0]
    thumb = home / "thumbs" / thumb_relpath(key, 1280)
    thumb.write_bytes(thumb.read_bytes()[:300])
    out = _index(library, home, "--faces", "--force-faces")
    assert "faces: 3 done, 1 errors" in out
    failed = _faces_run(db, ids["a.jpg"])
    assert failed["status"] == "error" and failed["error_code"] in ("truncated", "corrupt")
    assert [_faces_run(db, ids[name])["status"] for name in ("small.png", "none.jpg")] == ["ok", "ok"]
    assert len(faces_of_photo(db, ids["a.jpg"])) == 3  # a failed detection leaves the faces it had


# --- dlib's real models on the corpus faces ------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_home(corpus, tmp_path_factory):
    home = tmp_path_factory.mktemp("corpus_faces") / "home"
    run_gallery("index", str(corpus / "faces"), "--home", str(home), "--no-geocode", "--no-export", "--faces",
                env={"GALLERY_FACE_BACKEND": "dlib"})
    return home


def test_dlib_finds_the_corpus_faces_into_the_database_with_crops(corpus_home, manifest):
    db = connect(corpus_home / "gallery.db")
    counts = {row[0]: row[1] for row in db.execute(
        "SELECT p.path, COUNT(f.id) FROM photos p LEFT JOIN faces f ON f.photo_id = p.id GROUP BY p.id")}
    expected = {entry["dest"].removeprefix("faces/"): entry["expect"]["faces"] for entry in manifest["files"]
                if entry["dest"].startswith("faces/") and "faces" in entry["expect"]}
    assert len(expected) >= 19 and set(expected) <= set(counts)
    wrong = {path: (counts[path], want) for path, want in expected.items()
             if not want["min"] <= counts[path] <= want["max"]}
    assert wrong == {}
    for row in db.execute("SELECT backend, embedding, crop_key, landmarks FROM faces"):
        assert row["backend"] == "dlib" and row["landmarks"]
        vector = np.frombuffer(row["embedding"], dtype="<f4")
        assert vector.shape == (128,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5
        assert face_crop_path(corpus_home / "thumbs", row["crop_key"]).is_file()
