"""Asking an Ollama server about one image at a time through the official `ollama` client: streamed
answers, retries with backoff on transient errors, one request at a time (Ollama has one model slot
on a small box), and one-line explanations a person can act on: not running, model not pulled, out
of memory. A server that cannot be used leaves the remaining photos pending, never failed.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

RETRIES = 3
RECHECK_SECONDS = 30.0   # a failed probe is reused this long: one detection per run, not one per pass
ANSWER_TOKENS = 300      # bounds a runaway answer
RUNNER_DIED = "llama runner process has terminated"
MODEL_SLOT = threading.Lock()  # every request of every pass of this process, one after another
log = logging.getLogger("gallery_builder.ollama")


class OllamaUnavailable(RuntimeError):
    """The server cannot answer for the rest of this run; str() is the one line to show."""


class RequestRefused(ValueError):
    """The server refused this one photo's request (e.g. an image it cannot read)."""


@dataclass(frozen=True)
class Problem:
    full: str    # the line a person reads: what is wrong and how to fix it
    short: str   # the same problem, named again for a second pass


def unreachable(host: str) -> Problem:
    return Problem(f"Ollama is not reachable at {host}: start it (`ollama serve`, or `systemctl start ollama`) or "
                   f"set OLLAMA_HOST to where it runs; these photos stay pending", f"Ollama is not reachable at {host}")


def not_pulled(model: str, host: str) -> Problem:
    return Problem(f"the Ollama model {model!r} is not pulled on {host}: run `ollama pull {model}` "
                   f"(or choose another with --describe-model); these photos stay pending",
                   f"run `ollama pull {model}`")


def runner_died(model: str) -> Problem:
    return Problem(f"Ollama's model runner stopped ({RUNNER_DIED!r}): it usually means {model!r} did not fit in "
                   f"memory. Free some memory (stop other services), choose a smaller model (--describe-model "
                   f"moondream), or let Ollama keep one small model (OLLAMA_MAX_LOADED_MODELS=1, "
                   f"OLLAMA_CONTEXT_LENGTH=2048); photos it could not answer stay pending",
                   f"Ollama's model runner stopped (out of memory?)")


def no_answer(host: str, timeout: float) -> Problem:
    return Problem(f"Ollama at {host} sent nothing for {timeout:g} s (raise GALLERY_OLLAMA_TIMEOUT on a slow "
                   f"machine); these photos stay pending", f"Ollama at {host} stopped answering")


def _tagged(model: str) -> str:
    return model if ":" in model else model + ":latest"


class OllamaSession:
    """One server and model for the passes that ask it. Thread-safe; remembers (per process) when the
    server became unusable, so the remaining photos are skipped at once instead of each waiting."""

    def __init__(self, host: str, model: str, *, timeout: float, retry_seconds: float, retries: int = RETRIES,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import httpx
        import ollama

        self.host, self.model, self.timeout = host, model, timeout
        self.retry_seconds, self.retries, self.sleep = retry_seconds, retries, sleep
        self.client = ollama.Client(host=host, timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)))
        self.down: Problem | None = None
        self._checked_at = 0.0
        self._told: dict[str, tuple[str, float]] = {}  # problem -> (first pass told, when)
        self._announced: set[str] = set()
        self._lock = threading.Lock()

    # -- before a pass runs ---------------------------------------------------------------------
    def check(self, asker: str) -> str | None:
        """None when the server answers and has the model; else one line. The first pass told gets the
        full line, another pass asking within RECHECK_SECONDS a short one (one problem, one
        explanation: the full line was shown already), and the server is not asked again meanwhile."""
        with self._lock:
            now = time.monotonic()
            if self.down is None or now - self._checked_at > RECHECK_SECONDS:
                self.down, self._checked_at = self._probe(), now
            if self.down is None:
                self._told.clear()
                return None
            first, when = self._told.get(self.down.full, (asker, now))
            if first == asker or now - when > RECHECK_SECONDS:
                self._told[self.down.full] = (asker, now)
                return self.down.full
            return f"{self.down.short} (see above)"

    def _probe(self) -> Problem | None:
        import httpx
        import ollama

        try:
            names = {item.model for item in self.client.list().models}
        except (ConnectionError, httpx.TransportError):
            return unreachable(self.host)
        except ollama.ResponseError:
            return unreachable(self.host)
        return None if _tagged(self.model) in names or self.model in names else not_pulled(self.model, self.host)

    # -- one photo ---------------------------------------------------------------------------------
    def ask(self, prompt: str, image: bytes | None) -> str:
        """The model's whole answer about one image (or about the prompt alone, `image` None). Transient
        failures are retried with backoff; OllamaUnavailable when the server cannot be used (then at
        once for every later call); RequestRefused when it refuses this request only."""
        import httpx
        import ollama

        delay = self.retry_seconds
        problem: Problem | None = None
        for attempt in range(self.retries + 1):
            if self.down is not None:
                raise OllamaUnavailable(self.down.full)
            try:
                with MODEL_SLOT:
                    return self._answer(prompt, image)
            except ollama.ResponseError as error:
                problem = self._classify(error)
            except ConnectionError:
                problem = unreachable(self.host)
            except httpx.TimeoutException:
                problem = no_answer(self.host, self.timeout)
            except httpx.TransportError:
                problem = unreachable(self.host)
            if attempt < self.retries:
                self.sleep(delay)
                delay *= 2
        self._give_up(problem)
        raise AssertionError("unreachable")  # _give_up raises

    def _answer(self, prompt: str, image: bytes | None) -> str:
        parts: list[str] = []
        for chunk in self.client.generate(model=self.model, prompt=prompt, images=[image] if image else None,
                                          stream=True, options={"temperature": 0, "num_predict": ANSWER_TOKENS}):
            parts.append(chunk.response or "")
        return "".join(parts)

    def _classify(self, error: Any) -> Problem:
        """What a refusal means: a missing model or a dead runner stop the run's Ollama passes (a retry
        may bring the runner back); another 5xx is retried; any other refusal is this photo's."""
        text = str(error.error)
        if error.status_code == 404 or ("model" in text and "not found" in text):
            self._give_up(not_pulled(self.model, self.host))
        if RUNNER_DIED in text:
            problem = runner_died(self.model)
            self._announce(problem)  # once, at the first crash, even when a retry succeeds
            return problem
        if error.status_code in (-1, 429) or error.status_code >= 500:
            return Problem(f"Ollama failed: {text}; these photos stay pending", f"Ollama failed: {text}")
        raise RequestRefused(f"Ollama refused the request: {text} (status {error.status_code})")

    def _give_up(self, problem: Problem | None) -> None:
        problem = problem or unreachable(self.host)
        with self._lock:
            self.down, self._checked_at = problem, time.monotonic()
            self._told[problem.full] = ("", self._checked_at)  # announced below: passes get the short line
        self._announce(problem)
        raise OllamaUnavailable(problem.full)

    def _announce(self, problem: Problem) -> None:
        with self._lock:
            if problem.full in self._announced:
                return
            self._announced.add(problem.full)
        log.warning(problem.full)


_sessions: dict[tuple[Any, ...], OllamaSession] = {}
_sessions_lock = threading.Lock()


def session_for(settings: Any, model: str | None = None) -> OllamaSession:
    """The shared session for these settings' server and model (`model`, else the describe model; one
    per process). Sessions of several models still ask one at a time (MODEL_SLOT)."""
    model = model or settings.describe_model
    key = (settings.ollama_host, model, settings.ollama_timeout, settings.ollama_retry_seconds)
    with _sessions_lock:
        if key not in _sessions:
            _sessions[key] = OllamaSession(settings.ollama_host, model,
                                           timeout=settings.ollama_timeout,
                                           retry_seconds=settings.ollama_retry_seconds)
        return _sessions[key]
