"""The Ollama session of the describe and tags passes, through the real `ollama` client against a
protocol-faithful server on 127.0.0.1 (tests/fake_ollama.py); and how answers are read."""
from __future__ import annotations

import logging
import socket
import threading

import ollama
import pytest

from gallery_builder.ml.ollama_client import OllamaSession, OllamaUnavailable, RequestRefused
from gallery_builder.ml.vision_answers import MalformedAnswer, TAG_VOCABULARY, clean_description, parse_tags
from tests.fake_ollama import FakeOllama, Reply

IMAGE = b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9"
RUNNER_DIED = "llama runner process has terminated: signal: killed"


def _session(url: str, model: str = "llava", *, timeout: float = 5.0, sleeps: list | None = None) -> OllamaSession:
    return OllamaSession(url, model, timeout=timeout, retry_seconds=0.01,
                         sleep=(sleeps.append if sleeps is not None else lambda seconds: None))


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_the_fake_speaks_generate_and_chat_with_images_to_the_real_client():
    with FakeOllama() as fake:
        client = ollama.Client(host=fake.url)
        streamed = "".join(part.response for part in client.generate(model="llava", prompt="what is this?",
                                                                      images=[IMAGE], stream=True))
        chatted = client.chat(model="llava", messages=[{"role": "user", "content": "and this?", "images": [IMAGE]}])
        assert streamed == chatted.message.content == Reply().text
        assert [(seen.path, seen.images, seen.stream) for seen in fake.requests] == [
            ("/api/generate", [IMAGE], True), ("/api/chat", [IMAGE], False)]
        with pytest.raises(ollama.ResponseError) as missing:
            client.generate(model="moondream", prompt="x")
        assert missing.value.status_code == 404 and "not found" in missing.value.error


def test_a_streamed_answer_is_put_together_and_the_image_is_sent():
    with FakeOllama(reply=lambda seen: Reply("A dog on a beach at sunset.", pieces=5)) as fake:
        assert _session(fake.url).ask("describe", IMAGE) == "A dog on a beach at sunset."
        [seen] = fake.answers()
        assert seen.images == [IMAGE] and seen.stream and seen.model == "llava"


def test_a_slow_answer_that_keeps_coming_is_waited_for_beyond_the_timeout():
    # 4 pieces 0.4 s apart: 1.6 s in all, longer than the 1 s timeout, which bounds each wait only
    with FakeOllama(reply=lambda seen: Reply("slow but sure", pieces=4, pause=0.4)) as fake:
        assert _session(fake.url, timeout=1.0).ask("describe", IMAGE) == "slow but sure"
        assert len(fake.answers()) == 1


def test_a_stalled_answer_is_retried_then_the_rest_is_left_pending(caplog):
    sleeps: list[float] = []
    with FakeOllama(reply=lambda seen: Reply("never", pieces=1, pause=1.5)) as fake:
        session = _session(fake.url, timeout=0.5, sleeps=sleeps)
        with caplog.at_level(logging.WARNING), pytest.raises(OllamaUnavailable, match="sent nothing for 0.5 s"):
            session.ask("describe", IMAGE)
        assert len(fake.answers()) == 4 and sleeps == [0.01, 0.02, 0.04]  # 3 retries, backing off
        with pytest.raises(OllamaUnavailable):
            session.ask("describe", IMAGE)
        assert len(fake.answers()) == 4  # the next photo does not wait again
    assert [record.getMessage() for record in caplog.records].count(str(session.down.full)) == 1


def test_a_model_not_pulled_says_which_command_pulls_it():
    with FakeOllama(models=("llava:latest",)) as fake:
        assert "run `ollama pull moondream`" in _session(fake.url, "moondream").check("describe")
        with pytest.raises(OllamaUnavailable, match="ollama pull moondream"):
            _session(fake.url, "moondream").ask("describe", IMAGE)  # removed after the run began
        assert len(fake.answers()) == 1  # a missing model is not retried
        assert _session(fake.url, "llava").check("describe") is None
        assert _session(fake.url, "llava:latest").check("describe") is None


def test_a_runner_crash_is_retried_and_explained_once(caplog):
    replies = iter([Reply(error=RUNNER_DIED, status=500), Reply("first"), Reply(error=RUNNER_DIED, status=500),
                    Reply("second")])
    with FakeOllama(reply=lambda seen: next(replies)) as fake, caplog.at_level(logging.WARNING):
        session = _session(fake.url)
        assert [session.ask("describe", IMAGE), session.ask("describe", IMAGE)] == ["first", "second"]
    hints = [record.getMessage() for record in caplog.records if "memory" in record.getMessage()]
    assert len(hints) == 1 and "--describe-model moondream" in hints[0]


def test_a_runner_that_keeps_crashing_stops_the_run_with_the_memory_hint():
    with FakeOllama(reply=lambda seen: Reply(error=RUNNER_DIED, status=500)) as fake:
        session = _session(fake.url)
        with pytest.raises(OllamaUnavailable, match="did not fit in memory"):
            session.ask("describe", IMAGE)
        assert len(fake.answers()) == 4


def test_an_error_inside_the_stream_is_retried_like_a_crash():
    replies = iter([Reply("par", error_mid_stream=RUNNER_DIED), Reply("whole answer")])
    with FakeOllama(reply=lambda seen: next(replies)) as fake:
        assert _session(fake.url).ask("describe", IMAGE) == "whole answer"


def test_a_request_refused_for_this_image_only_is_not_retried():
    with FakeOllama(reply=lambda seen: Reply(error="image: unknown format", status=400)) as fake:
        session = _session(fake.url)
        with pytest.raises(RequestRefused, match="unknown format"):
            session.ask("describe", IMAGE)
        assert len(fake.answers()) == 1 and session.down is None


def test_an_unreachable_server_is_explained_once_for_both_passes():
    session = _session(_closed_port_url())
    first = session.check("describe")
    assert "Ollama is not reachable at http://127.0.0.1:" in first and "`ollama serve`" in first
    assert "OLLAMA_HOST" in first and "pending" in first
    second = session.check("tags")
    assert second.endswith("(see above)") and "`ollama serve`" not in second
    assert session.check("describe") == first  # the same pass asking again is told in full


def test_two_passes_asking_at_once_are_answered_one_after_the_other():
    with FakeOllama(reply=lambda seen: Reply("ok", pieces=2, pause=0.2)) as fake:
        sessions = [_session(fake.url), _session(fake.url)]
        threads = [threading.Thread(target=session.ask, args=("describe", IMAGE)) for session in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(fake.answers()) == 2 and fake.most_at_once == 1


@pytest.mark.parametrize("answer, tags", [
    ('["beach", "sea", "outdoor"]', ("beach", "sea", "outdoor")),
    ('```json\n["Dogs", "park"]\n```', ("dog", "park")),
    ('{"tags": ["snow", "mountain", "skiing"]}', ("snow", "mountain")),
    ("beach, sunset, palm trees, sea.", ("beach", "sunset", "sea")),
    ("Tags:\n- people\n- party\n- balloons", ("people", "party")),
    ("[]", ()),
])
def test_tags_come_from_a_json_list_or_plain_text_and_stay_in_the_vocabulary(answer, tags):
    assert parse_tags(answer) == tags
    assert set(tags) <= set(TAG_VOCABULARY)


@pytest.mark.parametrize("answer", ["", "   ", "I cannot see an image.", "[1, 2, 3", "\x00\x01##"])
def test_an_answer_naming_no_tag_is_malformed(answer):
    with pytest.raises(MalformedAnswer):
        parse_tags(answer)


def test_a_description_is_tidied_and_garbage_is_malformed():
    assert clean_description('  Description: "A red kite\n over a  field."  ') == "A red kite over a field."
    assert len(clean_description("word " * 400)) <= 1001
    for garbage in ("", " \n ", "#### ### ####", "\ufffd\ufffd a \ufffd", "12345 678"):
        with pytest.raises(MalformedAnswer):
            clean_description(garbage)
    assert 55 <= len(TAG_VOCABULARY) <= 65
