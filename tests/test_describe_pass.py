"""The describe and tags passes through the real runner and the real `ollama` client, against the
Ollama-compatible server of tests/fake_ollama.py; what they store, leave pending, export and print."""
from __future__ import annotations

import io
import logging
import shutil
import socket
from itertools import count

import pyarrow.parquet as pq
import pytest
from PIL import Image

from gallery_builder.config import load_settings
from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db.connection import connect
from gallery_builder.export.parquet import export_all
from gallery_builder.indexing.runner import PassRunner
from gallery_builder.passes import registry
from tests.conftest import run_gallery
from tests.fake_ollama import FakeOllama, Reply
from tests.search_library import SHOTS, build_home

DESCRIPTION = "A green field under a clear sky."


def _reply(seen) -> Reply:
    return Reply('["field", "outdoor", "grass", "Sky"]') if "Tags:" in seen.prompt else Reply(DESCRIPTION)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_home(tmp_path_factory.mktemp("describe"), passes=("exif", "thumbs"))


@pytest.fixture
def home(built, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(built, copy)
    return copy


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _context(home, url, model="llava") -> RunContext:
    return RunContext(load_settings(home, {"ollama_host": url, "describe_model": model, "ollama_retry_seconds": 0.01},
                                    environ={}))


def _run(home, context, names=("describe", "tags"), lines=None):
    db = connect(home / "gallery.db")
    try:
        report = PassRunner(db, context, workers=1, log=(lines.append if lines is not None else lambda line: None)
                            ).run(list(names), Scope())
        return [item for item in report.passes if item.name in names]  # not the thumbs pass they require
    finally:
        db.close()


def _rows(home, sql):
    db = connect(home / "gallery.db")
    try:
        return [tuple(row) for row in db.execute(sql)]
    finally:
        db.close()


def _pending(home, context, name):
    db = connect(home / "gallery.db")
    try:
        return registry()[name].pending(db, Scope(), context)
    finally:
        db.close()


def test_the_passes_are_registered_off_by_default_after_thumbs():
    for name in ("describe", "tags"):
        the_pass = registry()[name]
        assert the_pass.requires == ("thumbs",) and the_pass.default is False and the_pass.cpu_bound is False


def test_every_photo_is_described_and_tagged_from_its_1280_thumbnail(home):
    with FakeOllama(reply=_reply) as fake:
        context = _context(home, fake.url)
        report = _run(home, context)
        assert [(item.name, item.done, item.errors) for item in report] == [
            ("describe", len(SHOTS), 0), ("tags", len(SHOTS), 0)]
        for seen in fake.answers():
            [image] = seen.images
            picture = Image.open(io.BytesIO(image))
            assert picture.format == "JPEG" and max(picture.size) == 1280  # the lightbox slot, not the grid's 400
        assert {seen.model for seen in fake.answers()} == {"llava"}
    assert _rows(home, "SELECT DISTINCT description, model FROM photo_descriptions") == [(DESCRIPTION, "llava")]
    assert _rows(home, "SELECT DISTINCT tags FROM photo_tags") == [('["field", "outdoor", "sky"]',)]
    assert _pending(home, context, "describe") == _pending(home, context, "tags") == []
    assert len(_pending(home, _context(home, fake.url, "moondream"), "describe")) == len(SHOTS)


def test_a_malformed_answer_is_a_photo_error_retried_when_the_model_changes(home):
    numbers = count()
    with FakeOllama(models=("llava:latest", "moondream:latest"),
                    reply=lambda seen: Reply("#### ####") if next(numbers) == 0 else Reply(DESCRIPTION)) as fake:
        llava = _context(home, fake.url)
        [report] = _run(home, llava, ["describe"])
        assert (report.done, report.errors) == (len(SHOTS), 1)
        [(code, error)] = _rows(home, "SELECT error_code, error FROM pass_runs WHERE pass = 'describe' AND status = 'error'")
        assert code == "bad_answer" and error.startswith("[llava] the answer is not a description")
        assert _pending(home, llava, "describe") == []  # not asked again for the same model and content
        moondream = _context(home, fake.url, "moondream")
        assert len(_pending(home, moondream, "describe")) == len(SHOTS)
        _run(home, moondream, ["describe"])
    assert _rows(home, "SELECT COUNT(*) FROM photo_descriptions WHERE model = 'moondream'") == [(len(SHOTS),)]


def test_when_ollama_fails_mid_run_the_rest_stays_pending_not_failed(home, caplog):
    numbers = count()
    with FakeOllama(reply=lambda seen: Reply(DESCRIPTION) if next(numbers) < 2 else Reply(error="busy", status=503)
                    ) as fake, caplog.at_level(logging.WARNING):
        context = _context(home, fake.url)
        lines: list[str] = []
        describe, tags = _run(home, context, lines=lines)
    assert (describe.done, describe.errors) == (2, 0)
    assert tags.skipped_reason == "Ollama failed: busy (see above)"
    assert _rows(home, "SELECT COUNT(*) FROM pass_runs WHERE pass IN ('describe', 'tags')") == [(2,)]
    assert len(_pending(home, context, "describe")) == len(SHOTS) - 2
    explained = [record.getMessage() for record in caplog.records if "busy" in record.getMessage()]
    assert explained == ["Ollama failed: busy; these photos stay pending"]


def test_descriptions_and_tags_reach_photos_parquet(home):
    with FakeOllama(reply=_reply) as fake:
        context = _context(home, fake.url)
        _run(home, context)
    db = connect(home / "gallery.db")
    try:
        export_all(db, context.settings)
    finally:
        db.close()
    table = pq.read_table(home / "parquet" / "photos.parquet", columns=["description", "description_model", "tags"])
    assert table.schema.field("tags").type.value_type.equals(table.schema.field("description").type)
    assert table.to_pylist() == [{"description": DESCRIPTION, "description_model": "llava",
                                  "tags": ["field", "outdoor", "sky"]}] * len(SHOTS)


def test_cli_without_ollama_says_so_once_runs_the_rest_and_exits_0(home):
    url = _closed_port_url()
    result = run_gallery("index", "--home", str(home), "--describe", "--tags", "--no-progress",
                         env={"OLLAMA_HOST": url})
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Traceback" not in output
    assert [line for line in output.splitlines() if line.startswith("describe: skipped")] == [
        f"describe: skipped: Ollama is not reachable at {url}: start it (`ollama serve`, or `systemctl start "
        f"ollama`) or set OLLAMA_HOST to where it runs; these photos stay pending"]
    assert f"tags: skipped: Ollama is not reachable at {url} (see above)" in output
    assert "exif: 0 done" in output  # the other passes ran (nothing new for them)
    assert _rows(home, "SELECT COUNT(*) FROM pass_runs WHERE pass IN ('describe', 'tags')") == [(0,)]


def test_cli_names_the_pull_command_and_takes_describe_model(home):
    with FakeOllama(models=("moondream:latest",), reply=_reply) as fake:
        missing = run_gallery("index", "--home", str(home), "--describe", "--no-progress",
                              env={"OLLAMA_HOST": fake.url})
        assert missing.returncode == 0 and "run `ollama pull llava`" in missing.stdout
        assert fake.answers() == []
        done = run_gallery("index", "--home", str(home), "--describe", "--describe-model", "moondream",
                           "--no-progress", env={"OLLAMA_HOST": fake.url})
        assert f"describe: {len(SHOTS)} done, 0 errors" in done.stdout
    table = pq.read_table(home / "parquet" / "photos.parquet", columns=["description_model"])
    assert set(table.column("description_model").to_pylist()) == {"moondream"}


def test_without_a_clip_model_search_words_match_descriptions_and_tags(home):
    from gallery_builder.db.search_queries import PhotoFilter, install_search_functions, matching_photo_ids

    numbers = count()

    def reply(seen):
        if "Tags:" in seen.prompt:
            return Reply('["beach"]') if next(numbers) == 1 else Reply('["field"]')
        return Reply("A red kite over the dunes." if not fake.answers()[:-1] else DESCRIPTION)

    with FakeOllama(reply=reply) as fake:
        _run(home, _context(home, fake.url))
    db = connect(home / "gallery.db")
    try:
        install_search_functions(db)
        first, second = [row[0] for row in db.execute("SELECT id FROM photos ORDER BY id LIMIT 2")]
        assert matching_photo_ids(db, PhotoFilter(words=("kite",))) == [first]
        assert matching_photo_ids(db, PhotoFilter(words=("beach",))) == [second]
        assert matching_photo_ids(db, PhotoFilter(words=("dunes", "beach"))) == []
    finally:
        db.close()
