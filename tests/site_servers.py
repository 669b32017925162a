"""Real servers for site tests: Debian nginx with the config `gallery nginx-config` renders (run
as a subprocess, like a user), a tiny upstream standing in for the sidecar's HTTP contract, and
headless Chromium through Playwright. Screenshots go to test-output/screenshots/."""
from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO / "test-output" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gallery(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "gallery_builder", *args], capture_output=True, text=True,
                            timeout=240, cwd=REPO)
    if result.returncode != 0:
        raise AssertionError(f"gallery {' '.join(args)}: {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


class Nginx:
    """nginx on 127.0.0.1:<free port> from the rendered config, in its own process session. Its
    config, pid, logs and temp files live in home/<folder>, so two servers on one home never share them."""

    def __init__(self, home: Path, *extra: str, folder: str = "nginx") -> None:
        if not Path(NGINX).exists():
            pytest.skip("Debian nginx is not installed (apt-get install nginx)")
        self.home = home
        self.port = free_port()
        self.sidecar_port = free_port()
        self.config = home / folder / "nginx.conf"
        gallery("nginx-config", "--home", str(home), "--listen", f"127.0.0.1:{self.port}",
                "--sidecar", f"127.0.0.1:{self.sidecar_port}", "--out", str(self.config), *extra)
        subprocess.run([NGINX, "-t", "-p", str(self.config.parent), "-c", str(self.config)], check=True,
                       capture_output=True)
        self.process = subprocess.Popen([NGINX, "-p", str(self.config.parent), "-c", str(self.config),
                                         "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        try:
            wait_for(self._listening, 20, f"nginx listening on 127.0.0.1:{self.port}")
        except AssertionError:
            self.stop()
            raise

    def _listening(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"nginx exited ({self.process.returncode}) before listening on port {self.port}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Upstream:
    """A small HTTP server on 127.0.0.1:`port` answering like the search sidecar's contract:
    GET /api/search -> the documented JSON; GET /api/events -> two server-sent events 1.5 s apart."""

    def __init__(self, port: int, results: list[dict[str, Any]]) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                outer.paths.append(self.path)
                if self.path.startswith("/api/search") or self.path.startswith("/api/similar/"):
                    body = json.dumps({"results": results, "parsed": {"text": "x"}}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif self.path == "/api/events":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.end_headers()
                    for number in (1, 2):
                        self.wfile.write(f"data: event {number}\n\n".encode())
                        self.wfile.flush()
                        time.sleep(1.5)  # the contract under test: events 1.5 s apart, so buffering shows as lateness
                else:
                    self.send_error(404)

        self.paths: list[str] = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def browser_context(**options: Any) -> Iterator[Any]:
    """A fresh headless Chromium (Debian's) through Playwright; yields the context."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport=options.pop("viewport", {"width": 1280, "height": 800}), **options)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(page: Any, name: str, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def collect_errors(page: Any) -> list[str]:
    """Script errors and failed requests of a page (favicon and the sidecar's absence excepted)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))

    def on_response(response: Any) -> None:
        if response.status >= 400 and "/api/" not in response.url and not response.url.endswith("/progress.json"):
            errors.append(f"HTTP {response.status} {response.url}")

    page.on("response", on_response)
    return errors
