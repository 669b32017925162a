"""The quality and concepts passes through the real runner, ONNX loading and inference code, on the
tiny CLIP of tests/tiny_clip.py and planted heads (tests/tiny_aesthetic.py): exact scores and
rankings, the stored-vector path, the missing-model messages, and the export."""
from __future__ import annotations

import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest

from gallery_builder.config import load_settings
from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db.connection import connect
from gallery_builder.indexing.runner import PassRunner
from gallery_builder.passes import registry
from tests.search_library import MODEL, SHOTS, build_home
from tests.tiny_aesthetic import CONCEPT_WORDS, expected_score, prompt_vector, write_head
from tests.tiny_clip import expected_image_embedding, write_bundle

HEAD = "laion-improved__ViT-L-14__openai"   # the default name, planted weights


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = build_home(tmp_path_factory.mktemp("quality"))
    write_bundle(home / "models", MODEL, words=CONCEPT_WORDS)   # same visual tower, concept words on the text side
    return home


@pytest.fixture
def home(built, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(built, copy)
    return copy


def _context(home, **overrides) -> RunContext:
    return RunContext(load_settings(home, {"clip_model": MODEL, **overrides}, environ={}))


def _run(home, context, names):
    db = connect(home / "gallery.db")
    try:
        report = PassRunner(db, context, workers=1, log=lambda line: None).run(list(names), Scope())
        return {item.name: item for item in report.passes}
    finally:
        db.close()


def _query(home, sql, params=()):
    db = connect(home / "gallery.db")
    try:
        return [tuple(row) for row in db.execute(sql, params)]
    finally:
        db.close()


def _photo_names(home) -> dict[int, str]:
    return {photo_id: path for photo_id, path in _query(home, "SELECT id, path FROM photos")}


def _oracle_scores(home) -> dict[str, float]:
    """Scores worked out by hand from each shot's colours (the independent oracle)."""
    return {shot.path: expected_score(expected_image_embedding(shot.background, shot.thing)) for shot in SHOTS}


def _stored_vectors(home) -> dict[str, np.ndarray]:
    names = _photo_names(home)
    return {names[photo_id]: np.frombuffer(blob, "<f4") for photo_id, blob in
            _query(home, "SELECT photo_id, vector FROM clip_vectors WHERE model = ?", (MODEL,))}


def test_the_passes_are_registered_off_by_default():
    assert registry()["quality"].default is False and registry()["concepts"].default is False
    assert registry()["concepts"].requires == ("clip",)


def test_quality_scores_stored_clip_vectors_without_reading_a_thumbnail(home):
    write_head(home / "models", "laion-linear__tiny", MODEL, kind="linear")
    shutil.rmtree(home / "thumbs")   # one dot product per stored vector: no image is read
    context = _context(home, quality_model="laion-linear__tiny")
    report = _run(home, context, ["quality"])["quality"]
    assert (report.done, report.errors) == (len(SHOTS), 0)
    names = _photo_names(home)
    scores = {names[photo_id]: score for photo_id, score in
              _query(home, "SELECT photo_id, score FROM photo_quality WHERE model = 'laion-linear__tiny@1'")}
    vectors = _stored_vectors(home)
    assert scores == {path: pytest.approx(expected_score(vector), abs=1e-4) for path, vector in vectors.items()}
    assert scores == {path: pytest.approx(value, abs=0.05) for path, value in _oracle_scores(home).items()}
    ranked = sorted(scores, key=scores.get, reverse=True)
    assert ranked[0] == "2023/2023-05-14/DSC06241.JPG" and ranked[-1] == "2019/2019-03-10/P1000123.JPG"
    assert registry()["quality"].pending(connect(home / "gallery.db"), Scope(), context) == []


def test_the_mlp_head_embeds_thumbnails_with_its_own_clip_model(home):
    write_bundle(home / "models", "tiny-clip__other")          # the head's model differs from the clip pass's
    write_head(home / "models", HEAD, "tiny-clip__other", kind="mlp")
    context = _context(home)
    assert context.settings.quality_model == HEAD
    report = _run(home, context, ["quality"])["quality"]
    assert (report.done, report.errors) == (len(SHOTS), 0)
    names = _photo_names(home)
    scores = {names[photo_id]: score for photo_id, score in _query(home, "SELECT photo_id, score FROM photo_quality")}
    vectors = _stored_vectors(home)   # the same visual tower: the same embeddings as the clip pass's
    assert scores == {path: pytest.approx(expected_score(vector), abs=1e-3) for path, vector in vectors.items()}
    # a new version of the bundle scores every photo again; the old scores stay until replaced
    write_head(home / "models", HEAD, "tiny-clip__other", kind="mlp", version=2)
    assert len(registry()["quality"].pending(connect(home / "gallery.db"), Scope(), context)) == len(SHOTS)


def test_a_missing_head_names_its_weights_file_and_the_export_command(home):
    context = _context(home)
    message = registry()["quality"].check_ready(context)
    assert "sac+logos+ava1-l14-linearMSE.pth" in message
    assert f"gallery models export --aesthetic {HEAD} --head-weights sac+logos+ava1-l14-linearMSE.pth" in message
    write_head(home / "models", HEAD, "ViT-L-14__openai")
    assert "gallery models fetch ViT-L-14__openai" in registry()["quality"].check_ready(context)
    report = _run(home, context, ["quality"])["quality"]
    assert report.skipped_reason and report.done == 0


def test_concepts_come_from_stored_vectors_and_the_prompts_embedded_once(home):
    from gallery_builder.ml.concepts import LOGIT_SCALE, QUESTIONS, concept_model_key

    context = _context(home)
    report = _run(home, context, ["concepts"])["concepts"]
    assert (report.done, report.errors) == (len(SHOTS), 0)
    names = _photo_names(home)
    stored: dict[str, dict[str, float]] = {}
    for photo_id, concept, score in _query(home, "SELECT photo_id, concept, score FROM photo_concepts WHERE model = ?",
                                           (concept_model_key(MODEL),)):
        stored.setdefault(names[photo_id], {})[concept] = score
    for path, vector in _stored_vectors(home).items():
        image = vector / np.linalg.norm(vector)
        for question, answers in QUESTIONS.items():
            texts = np.array([prompt_vector(prompt) for _, prompt in answers])
            norms = np.linalg.norm(texts, axis=1, keepdims=True)
            logits = LOGIT_SCALE * (texts / np.where(norms == 0, 1, norms)) @ image
            shares = np.exp(logits - logits.max())
            shares /= shares.sum()
            for (concept, _), share in zip(answers, shares):
                assert stored[path][concept] == pytest.approx(share, abs=2e-4), (path, concept)
    red, red_object, blue = ("2023/2023-05-14/DSC06241.JPG", "2023/2023-07-20/IMG_1234.JPG",
                             "2019/2019-03-10/P1000123.JPG")
    assert stored[red]["blurry"] > 0.99 and stored[red_object]["sharp"] > 0.99    # planted: an object is detail
    assert max(QUESTIONS["exposure"], key=lambda answer: stored[blue][answer[0]])[0] == "underexposed"
    assert max(QUESTIONS["subject"], key=lambda answer: stored[red][answer[0]])[0] == "portrait"
    by_landscape = sorted(stored, key=lambda path: stored[path]["landscape"], reverse=True)
    assert by_landscape[0] == "2021/2021-08-01/PXL_20210801_101010.jpg"           # the plain green field
    assert registry()["concepts"].pending(connect(home / "gallery.db"), Scope(), context) == []


def test_scores_and_concepts_reach_the_export(home):
    from gallery_builder.export.parquet import export_all
    from gallery_builder.ml.concepts import QUESTIONS

    write_head(home / "models", "laion-linear__tiny", MODEL, kind="linear")
    context = _context(home, quality_model="laion-linear__tiny")
    _run(home, context, ["quality", "concepts"])
    db = connect(home / "gallery.db")
    try:
        export_all(db, context.settings)
    finally:
        db.close()
    photos = pq.read_table(home / "parquet" / "photos.parquet", columns=["id", "aesthetic_score"]).to_pylist()
    stored = dict(_query(home, "SELECT photo_id, score FROM photo_quality"))
    assert {row["id"]: row["aesthetic_score"] for row in photos} == stored
    concepts = pq.read_table(home / "parquet" / "concepts.parquet")
    assert concepts.column_names == ["photo_id", "concept", "score"]
    assert concepts.num_rows == len(SHOTS) * sum(len(answers) for answers in QUESTIONS.values())


def test_models_export_converts_a_downloaded_head_and_says_what_it_needs(home, tmp_path):
    from tests.conftest import run_gallery
    from tests.tiny_aesthetic import planted_layers

    (first_weight, first_bias), (second_weight, second_bias) = planted_layers("mlp")
    weights = tmp_path / "head.npz"   # LAION's state-dict keys (layers.N.*), without torch
    np.savez(weights, **{"layers.0.weight": first_weight, "layers.0.bias": first_bias,
                         "layers.3.weight": second_weight, "layers.3.bias": second_bias})
    refused = run_gallery("models", "export", "--aesthetic", HEAD, "--home", str(home), check=False)
    assert refused.returncode == 2 and "--head-weights FILE (sac+logos+ava1-l14-linearMSE.pth" in refused.stderr
    done = run_gallery("models", "export", "--aesthetic", "my-head", "--head-weights", str(weights),
                       "--head-clip-model", MODEL, "--home", str(home))
    assert f"exported aesthetic head my-head (mlp, 8-d {MODEL} embeddings)" in done.stdout
    assert "my-head is ready: run `gallery index --quality --quality-model my-head" in done.stdout
    context = _context(home, quality_model="my-head")
    assert registry()["quality"].check_ready(context) is None
    _run(home, context, ["quality"])
    names = _photo_names(home)
    scores = {names[photo_id]: score for photo_id, score in _query(home, "SELECT photo_id, score FROM photo_quality")}
    assert scores == {path: pytest.approx(expected_score(vector), abs=1e-4) for path, vector in _stored_vectors(home).items()}


def test_an_int8_copy_of_the_visual_tower_is_kept_with_the_head_and_used(home):
    from tests.conftest import run_gallery

    write_bundle(home / "models", "tiny-clip__other")
    write_head(home / "models", HEAD, "tiny-clip__other", kind="mlp")
    done = run_gallery("models", "export", "--aesthetic", HEAD, "--quantize-visual", "--home", str(home))
    assert "quantising the visual tower of tiny-clip__other to int8" in done.stdout
    assert (home / "models" / "aesthetic" / HEAD / "visual-int8.onnx").is_file()
    listed = run_gallery("models", "list", "--home", str(home)).stdout
    assert f" *{HEAD:<40} mlp on tiny-clip__other embeddings, version 1, int8 visual tower" in listed
    (home / "models" / "clip" / "tiny-clip__other" / "visual" / "model.onnx").write_bytes(b"not a model")
    report = _run(home, _context(home), ["quality"])["quality"]   # only the int8 copy can have scored them
    assert (report.done, report.errors) == (len(SHOTS), 0)
    names = _photo_names(home)
    scores = {names[photo_id]: score for photo_id, score in _query(home, "SELECT photo_id, score FROM photo_quality")}
    assert scores == {path: pytest.approx(expected_score(vector), abs=0.05) for path, vector in _stored_vectors(home).items()}
    ranked = sorted(scores, key=scores.get, reverse=True)
    assert ranked[0] == "2023/2023-05-14/DSC06241.JPG" and ranked[-1] == "2019/2019-03-10/P1000123.JPG"


def test_cli_index_runs_quality_and_concepts_or_says_what_is_missing(home):
    from tests.conftest import run_gallery

    missing = run_gallery("index", "--home", str(home), "--quality", "--clip-model", MODEL, "--no-progress")
    assert missing.returncode == 0 and "Traceback" not in missing.stdout + missing.stderr
    assert "quality: skipped: aesthetic head 'laion-improved__ViT-L-14__openai' is not installed" in missing.stdout
    write_head(home / "models", "laion-linear__tiny", MODEL, kind="linear")
    done = run_gallery("index", "--home", str(home), "--quality", "--concepts", "--quality-model",
                       "laion-linear__tiny", "--clip-model", MODEL, "--no-progress")
    assert f"quality: {len(SHOTS)} done, 0 errors" in done.stdout and f"concepts: {len(SHOTS)} done, 0 errors" in done.stdout
    scores = pq.read_table(home / "parquet" / "photos.parquet", columns=["aesthetic_score"]).column(0).to_pylist()
    assert len(scores) == len(SHOTS) and all(1 < score < 10 for score in scores)
