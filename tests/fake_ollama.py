"""An Ollama-API-compatible server for tests, on 127.0.0.1: the real `ollama` client talks to it.

It speaks what the describe and tags passes (and the client) use, as Ollama does: `GET /api/tags`,
`GET /api/version`, `POST /api/generate` and `POST /api/chat` with base64 images, answers streamed
as NDJSON over chunked HTTP/1.1 (or one JSON object with `"stream": false`), 404 `model "x" not
found, try pulling it first`, errors as `{"error": ...}` with a status, or inside a stream. Each
answer is scripted with a `Reply` (text, pieces, pause before each piece, error), decided per
request by `reply` (`by_prompt` routes by the prompt's words; `list_objects`, `confirm` and `GARBAGE`
are the verify pass's answers). It records every request and the most requests it ever served at once.
"""
from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

CREATED_AT = "2025-01-01T00:00:00.000000Z"


@dataclass(frozen=True)
class Reply:
    text: str = "A red kite flies over a green field."
    pieces: int = 3             # the streamed answer comes in this many parts
    pause: float = 0.0          # seconds before each part (a slow model on a small CPU)
    status: int = 200           # with `error`: the HTTP status of the refusal
    error: str | None = None
    error_mid_stream: str | None = None  # sent as a stream line after the first part


GARBAGE = Reply("\ufffd\ufffd ### {{{ ]] 0x00")   # what a model out of memory or context says


def by_prompt(*routes: tuple[str, Reply | Callable[["Seen"], Reply]], default: Reply = Reply()
              ) -> Callable[["Seen"], Reply]:
    """A `reply` that answers by the first route whose marker the prompt contains (the describe,
    tags, critique, list-objects and confirm prompts each have their own words), else `default`."""
    def reply(seen: "Seen") -> Reply:
        for marker, answer in routes:
            if marker in seen.prompt:
                return answer(seen) if callable(answer) else answer
        return default
    return reply


def list_objects(*names: str) -> Reply:
    """The answer to 'which objects does this description name': a JSON list."""
    return Reply(json.dumps(list(names)))


def confirm(**visible: bool) -> Reply:
    """The answer to 'is each of these visible': a JSON object of yes/no (spaces as underscores)."""
    return Reply(json.dumps({name.replace("_", " "): "yes" if seen else "no" for name, seen in visible.items()}))


@dataclass
class Seen:
    path: str
    model: str
    prompt: str
    images: list[bytes]
    stream: bool


def _tagged(model: str) -> str:
    return model if ":" in model else model + ":latest"


@dataclass
class FakeOllama:
    models: tuple[str, ...] = ("llava:latest",)
    reply: Callable[[Seen], Reply] = field(default=lambda seen: Reply())
    requests: list[Seen] = field(default_factory=list)
    most_at_once: int = 0
    _busy: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FakeOllama":
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-ollama").start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answers(self, path: str = "/api/generate") -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def _enter(self) -> None:
        with self._lock:
            self._busy += 1
            self.most_at_once = max(self.most_at_once, self._busy)

    def _leave(self) -> None:
        with self._lock:
            self._busy -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as Go servers do: each streamed line leaves at once
    server_fake: FakeOllama

    def log_message(self, *args: Any) -> None:
        return

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/api/tags":
            self._json(200, {"models": [{"name": name, "model": name, "modified_at": CREATED_AT, "size": 4_700_000_000,
                                         "digest": "0" * 64, "details": {"format": "gguf", "family": "llama"}}
                                        for name in self.server_fake.models]})
        elif self.path == "/api/version":
            self._json(200, {"version": "0.6.0"})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path not in ("/api/generate", "/api/chat"):
            self._json(404, {"error": "not found"})
            return
        fake = self.server_fake
        message = (body.get("messages") or [{}])[-1]
        images = body.get("images") or message.get("images") or []
        seen = Seen(self.path, body.get("model", ""), body.get("prompt") or message.get("content", ""),
                    [base64.b64decode(image) for image in images], body.get("stream", True) is not False)
        fake.requests.append(seen)
        if _tagged(seen.model) not in {_tagged(name) for name in fake.models}:
            self._json(404, {"error": f'model "{seen.model}" not found, try pulling it first'})
            return
        fake._enter()
        try:
            reply = fake.reply(seen)
            if reply.error is not None:
                self._json(reply.status, {"error": reply.error})
            elif seen.stream:
                try:
                    self._stream(seen, reply)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up waiting (a timeout test)
            else:
                self._json(200, _line(seen, reply.text, done=True))
        finally:
            fake._leave()

    def _stream(self, seen: Seen, reply: Reply) -> None:
        import time

        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        size = max(1, -(-len(reply.text) // max(1, reply.pieces)))
        parts = [reply.text[start:start + size] for start in range(0, len(reply.text), size)] or [""]
        for number, part in enumerate(parts):
            if reply.pause:
                time.sleep(reply.pause)  # the model thinking, not test synchronisation
            self._chunk(_line(seen, part, done=False))
            if number == 0 and reply.error_mid_stream:
                self._chunk({"error": reply.error_mid_stream})
                break
        else:
            self._chunk(_line(seen, "", done=True))
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _line(seen: Seen, text: str, *, done: bool) -> dict[str, Any]:
    line: dict[str, Any] = {"model": seen.model, "created_at": CREATED_AT, "done": done}
    if seen.path == "/api/chat":
        line["message"] = {"role": "assistant", "content": text}
    else:
        line["response"] = text
    if done:
        line.update({"done_reason": "stop", "total_duration": 1, "load_duration": 1, "prompt_eval_count": 1,
                     "eval_count": 1, "eval_duration": 1})
    return line
