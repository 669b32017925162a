"""The critique and verify passes through the real runner and the real `ollama` client against the
Ollama-compatible server of tests/fake_ollama.py, with the tiny CLIP (tests/tiny_clip.py) and a
planted aesthetic head (tests/tiny_aesthetic.py): what they ask, store, dispute, skip and export."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest

from gallery_builder.config import load_settings
from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db.connection import connect
from gallery_builder.indexing.runner import PassRunner
from gallery_builder.passes import registry
from tests.fake_ollama import GARBAGE, FakeOllama, Reply, by_prompt, confirm, list_objects
from tests.search_library import MODEL, SHOTS, build_home
from tests.tiny_aesthetic import write_head
from tests.tiny_clip import WORDS, word_vector

DESCRIPTION = "A red car parked on a green field next to a dog."
CRITIQUE = "The colours are bold and the car sits well. Try a lower angle to lose the empty foreground."
MODELS = ("llava:latest", "moondream:latest")
OBJECTS, CONFIRM, CRITIQUE_MARK = "List the concrete", "say whether it is really visible", "Critique the photo"
RED_PLAIN, BLUE_PLAIN = "2023/2023-05-14/DSC06241.JPG", "2019/2019-03-10/P1000123.JPG"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = build_home(tmp_path_factory.mktemp("verify"))
    write_head(home / "models", "laion-linear__tiny", MODEL, kind="linear")
    return home


@pytest.fixture
def home(built, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(built, copy)
    return copy


def _context(home, url, **overrides) -> RunContext:
    return RunContext(load_settings(home, {"ollama_host": url, "ollama_retry_seconds": 0.01, "clip_model": MODEL,
                                           "quality_model": "laion-linear__tiny", **overrides}, environ={}))


def _run(home, context, names, force=frozenset()):
    db = connect(home / "gallery.db")
    try:
        report = PassRunner(db, context, workers=1, log=lambda line: None).run(list(names), Scope(), force)
        return {item.name: item for item in report.passes}
    finally:
        db.close()


def _query(home, sql, params=()):
    db = connect(home / "gallery.db")
    try:
        return [tuple(row) for row in db.execute(sql, params)]
    finally:
        db.close()


def _by_path(home, sql, params=()):
    names = dict(_query(home, "SELECT id, path FROM photos"))
    return {names[row[0]]: row[1:] if len(row) > 2 else row[1] for row in _query(home, sql, params)}


def _clip_similarity(home, path: str, text_words: list[str]) -> float:
    """The oracle: the stored image vector against the planted words of 'a photo of a ...'."""
    vectors = _by_path(home, "SELECT photo_id, vector FROM clip_vectors")
    image = np.frombuffer(vectors[path], "<f4")
    text = sum((word_vector(WORDS[word]) for word in text_words if word in WORDS), np.zeros(8, np.float32))
    norm = np.linalg.norm(text)
    return 0.0 if norm == 0 else float(image @ (text / norm) / np.linalg.norm(image))


def test_the_passes_run_after_what_they_need():
    assert registry()["critique"].requires == ("quality", "describe")
    assert registry()["verify"].requires == ("describe", "clip")
    assert not registry()["critique"].default and not registry()["verify"].default


def test_a_photo_waits_for_the_outputs_its_pass_needs(home):
    critique, verify = registry()["critique"], registry()["verify"]

    def pending(one_pass, context) -> tuple[int, int]:
        db = connect(home / "gallery.db")
        try:
            return len(one_pass.pending(db, Scope(), context)), one_pass.count_pending(db, Scope(), context)
        finally:
            db.close()

    with FakeOllama(models=MODELS, reply=lambda seen: Reply(DESCRIPTION)) as fake:
        context = _context(home, fake.url)
        assert pending(critique, context) == pending(verify, context) == (0, 0)     # nothing described yet
        _run(home, context, ["describe"])
        assert pending(verify, context) == (len(SHOTS), len(SHOTS))              # described, with CLIP vectors
        assert pending(critique, context) == (0, 0)                              # no aesthetic score yet
        _run(home, context, ["quality"])
        assert pending(critique, context) == (len(SHOTS), len(SHOTS))
        other = _context(home, fake.url, describe_model="moondream:latest")     # the describe pass ran, not with it
        assert pending(critique, other) == pending(verify, other) == (0, 0)


def test_critique_is_told_the_score_and_the_description(home):
    with FakeOllama(models=MODELS, reply=by_prompt((CRITIQUE_MARK, Reply(CRITIQUE)), default=Reply(DESCRIPTION))
                    ) as fake:
        report = _run(home, _context(home, fake.url), ["critique"])
        assert [(name, item.done, item.errors) for name, item in report.items() if name != "thumbs"] == [
            ("quality", len(SHOTS), 0), ("describe", len(SHOTS), 0), ("critique", len(SHOTS), 0)]
        assert fake.most_at_once == 1
        scores = _by_path(home, "SELECT photo_id, score FROM photo_quality")
        prompts = [seen.prompt for seen in fake.answers() if CRITIQUE_MARK in seen.prompt]
        assert len(prompts) == len(SHOTS) and all(len(seen.images) == 1 for seen in fake.answers())
        assert sorted(prompt.split("scored this photo ")[1].split(" on a scale")[0] for prompt in prompts) == sorted(
            f"{score:.1f}" for score in scores.values())
        assert all(f"It shows: {DESCRIPTION}" in prompt for prompt in prompts)
    assert _query(home, "SELECT DISTINCT critique, model FROM photo_critiques") == [(CRITIQUE, "llava")]


def test_critique_and_verify_are_skipped_with_a_note_without_their_models(home):
    with FakeOllama(models=MODELS, reply=lambda seen: Reply(DESCRIPTION)) as fake:
        context = _context(home, fake.url, quality_model="laion-improved__ViT-L-14__openai",
                           clip_model="tiny-clip__absent")
        report = _run(home, context, ["critique", "verify"])
    assert report["critique"].skipped_reason.startswith("needs the quality pass's model: aesthetic head")
    assert report["verify"].skipped_reason.startswith("needs a CLIP model to compare objects with photos: CLIP model")
    assert report["describe"].done == len(SHOTS)   # what they need still ran
    assert _query(home, "SELECT COUNT(*) FROM photo_critiques") == [(0,)]
    assert _query(home, "SELECT COUNT(*) FROM description_checks") == [(0,)]


def test_verify_disputes_objects_the_second_model_denies_and_clip_does_not_see(home):
    reply = by_prompt((OBJECTS, list_objects("red car", "dog")), (CONFIRM, confirm(red_car=False, dog=True)),
                      default=Reply(DESCRIPTION))
    with FakeOllama(models=MODELS, reply=reply) as fake:
        context = _context(home, fake.url)
        report = _run(home, context, ["verify"])
        assert (report["verify"].done, report["verify"].errors) == (len(SHOTS), 0)
        asked = [(seen.model, bool(seen.images)) for seen in fake.answers() if OBJECTS in seen.prompt or
                 CONFIRM in seen.prompt]
        assert asked == [("moondream", False), ("moondream", True)] * len(SHOTS)   # the second model, the photo to confirm
        confirms = [seen.prompt for seen in fake.answers() if CONFIRM in seen.prompt]
        assert all('["red car", "dog"]' in prompt for prompt in confirms)
    checks = _by_path(home, "SELECT photo_id, disputed, objects FROM description_checks")
    for path, (disputed, objects) in checks.items():
        similarity = _clip_similarity(home, path, ["red", "car"])
        red_car, dog = json.loads(objects)
        assert red_car["similarity"] == pytest.approx(similarity, abs=1e-4) and dog["similarity"] == 0.0
        assert (red_car["confirmed"], dog["confirmed"], dog["ok"]) == (False, True, True)
        assert red_car["ok"] == (similarity >= 0.2) and bool(disputed) == (similarity < 0.2)
    assert checks[RED_PLAIN][0] == 0 and checks[BLUE_PLAIN][0] == 1   # CLIP sees red in one, not in the other
    assert registry()["verify"].pending(connect(home / "gallery.db"), Scope(), context) == []


def test_a_list_the_model_garbles_falls_back_to_the_noun_list(home):
    reply = by_prompt((OBJECTS, GARBAGE), (CONFIRM, confirm(car=True, field=True, dog=False)),
                      default=Reply(DESCRIPTION))
    with FakeOllama(models=MODELS, reply=reply) as fake:
        report = _run(home, _context(home, fake.url), ["verify"])
        confirms = [seen.prompt for seen in fake.answers() if CONFIRM in seen.prompt]
    assert report["verify"].errors == 0
    assert all('["car", "field", "dog"]' in prompt for prompt in confirms) and len(confirms) == len(SHOTS)
    assert _query(home, "SELECT DISTINCT disputed FROM description_checks") == [(1,)]   # a dog nobody sees


def test_a_garbled_confirmation_is_a_photo_error_named_for_the_checker(home):
    reply = by_prompt((OBJECTS, list_objects("dog")), (CONFIRM, GARBAGE), default=Reply(DESCRIPTION))
    with FakeOllama(models=MODELS, reply=reply) as fake:
        context = _context(home, fake.url)
        report = _run(home, context, ["verify"])
    assert (report["verify"].done, report["verify"].errors) == (len(SHOTS), len(SHOTS))
    errors = _query(home, "SELECT DISTINCT error_code, substr(error, 1, 53) FROM pass_runs WHERE pass = 'verify'")
    assert errors == [("bad_answer", "[moondream] the answer is not a JSON object of yes/no")]
    assert registry()["verify"].pending(connect(home / "gallery.db"), Scope(), context) == []
    other = _context(home, fake.url, verify_model="llava")   # another checker asks again
    assert len(registry()["verify"].pending(connect(home / "gallery.db"), Scope(), other)) == len(SHOTS)


def test_a_new_description_voids_the_verdict_and_the_export_flags_disputed_ones(home):
    from gallery_builder.export.parquet import export_all

    reply = by_prompt((OBJECTS, list_objects("dog")), (CONFIRM, confirm(dog=False)), (CRITIQUE_MARK, Reply(CRITIQUE)),
                      default=Reply(DESCRIPTION))
    with FakeOllama(models=MODELS, reply=reply) as fake:
        context = _context(home, fake.url)
        _run(home, context, ["verify", "critique"])
        db = connect(home / "gallery.db")
        try:
            export_all(db, context.settings)
        finally:
            db.close()
        columns = ["description", "description_disputed", "critique", "aesthetic_score"]
        rows = pq.read_table(home / "parquet" / "photos.parquet", columns=columns).to_pylist()
        assert all(row["description_disputed"] is True and row["critique"] == CRITIQUE and row["aesthetic_score"]
                   for row in rows)
        _run(home, context, ["describe"], force=frozenset({"describe"}))
    assert _query(home, "SELECT COUNT(*) FROM description_checks") == [(0,)]
    assert len(registry()["verify"].pending(connect(home / "gallery.db"), Scope(), context)) == len(SHOTS)


def test_a_disputed_description_can_be_asked_again_and_checked_once_more(home):
    honest = "A red car parked on a green field."

    def objects(seen):
        return list_objects("red car", "dog") if "next to a dog" in seen.prompt else list_objects("red car")

    reply = by_prompt(("do not mention: dog", Reply(honest)), (OBJECTS, objects),
                      (CONFIRM, confirm(red_car=True, dog=False)), default=Reply(DESCRIPTION))
    with FakeOllama(models=MODELS, reply=reply) as fake:
        _run(home, _context(home, fake.url), ["describe"])
        report = _run(home, _context(home, fake.url, redescribe_disputed=True), ["verify"])
        redescribed = [seen.model for seen in fake.answers() if "do not mention: dog" in seen.prompt]
    assert (report["verify"].done, report["verify"].errors) == (len(SHOTS), 0)
    assert redescribed == ["llava"] * len(SHOTS)   # the describe model writes it again, once per photo
    assert _query(home, "SELECT DISTINCT description, model FROM photo_descriptions") == [(honest, "llava")]
    checks = _query(home, "SELECT disputed, objects FROM description_checks")
    assert len(checks) == len(SHOTS) and {disputed for disputed, _ in checks} == {0}
    assert all([entry["name"] for entry in json.loads(objects)] == ["red car"] for _, objects in checks)
