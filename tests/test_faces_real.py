"""Real faces: dlib's offline models (called directly here, as the dlib backend does) on the corpus'
faces/ folder; clustering and matching with the dlib thresholds group each person once and never put
the two people of one photo together."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from gallery_builder.analysis.faces_run import cluster_people, match_people
from gallery_builder.core.records import RunContext
from gallery_builder.db import people
from tests.face_library import cluster_of, face_library, person_of

pytestmark = pytest.mark.slow


def _dlib_models():
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None:
        pytest.skip("face-recognition-models is not installed")
    dlib = pytest.importorskip("dlib")
    models = Path(spec.submodule_search_locations[0]) / "models"
    return (dlib.get_frontal_face_detector(),
            dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat")),
            dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat")))


def test_corpus_faces_cluster_by_person_and_two_people_of_a_photo_never_merge(corpus, manifest, tmp_path):
    from PIL import Image

    detector, shapes, encoder = _dlib_models()
    owner = {path: name for name, paths in manifest["groups"]["face_identities"]["persons"].items() for path in paths}
    multi = manifest["groups"]["face_identities"]["multi_person"]
    library = face_library(tmp_path)
    truth: dict[int, str | None] = {}
    photo_faces: dict[str, list[int]] = {}
    for entry in (f for f in manifest["files"] if f["dest"].startswith("faces/")):
        image = Image.open(corpus / entry["dest"]).convert("RGB")
        image.thumbnail((1280, 1280))
        pixels = np.asarray(image)
        vectors = [np.array(encoder.compute_face_descriptor(pixels, shapes(pixels, box), 1))
                   for box in detector(pixels, 1)]
        if not vectors:
            continue
        names = [owner.get(entry["dest"])] * len(vectors)
        _, ids = library.add_photo(names, folder=str(Path(entry["dest"]).parent),
                                   vectors=[(v / np.linalg.norm(v)).astype(np.float32) for v in vectors])
        photo_faces[entry["dest"]] = ids
        truth.update(zip(ids, names))
    context = RunContext.for_home(tmp_path, face_min_faces=2)
    cluster_people(library.db, context)
    clusters: dict[str, set] = {}
    for face_id, name in truth.items():
        if name is not None:
            clusters.setdefault(name, set()).add(cluster_of(library.db, face_id))
    for name in ("obama", "biden", "kit_harington", "rose_leslie", "alex_lacamoire"):
        assert len(clusters[name]) == 1 and None not in clusters[name], (name, clusters[name])
    assert len({next(iter(found)) for name, found in clusters.items() if None not in found}) == len(
        [name for name, found in clusters.items() if None not in found])  # one cluster per person
    for path in multi:
        seen = [cluster_of(library.db, face) for face in photo_faces.get(path, [])]
        assert len(seen) >= 2, path
        assert len([c for c in seen if c is not None]) == len({c for c in seen if c is not None}), (path, seen)

    obama_cluster = next(iter(clusters["obama"]))
    obama = people.name_cluster(library.db, obama_cluster, "Obama", "test").person_id
    match_people(library.db, context)
    for path in multi:
        linked = [person_of(library.db, face)[0] for face in photo_faces[path]]
        assert linked.count(obama) <= 1, (path, linked)
    assert [person_of(library.db, f)[0] for f in photo_faces["faces/other/two_people.jpg"]].count(obama) == 1
    library.db.close()
