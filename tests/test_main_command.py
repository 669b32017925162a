"""The README's main command, `scripts/demo`, run as a newcomer runs it: sample library, index,
build, serve; then every page link and asset of the home page answers through the served site."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in {"href", "src"} and value and not value.startswith(("#", "mailto:", "javascript:")):
                self.found.append(value)


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_demo_indexes_builds_and_serves_the_sample_library(tmp_path):
    port = free_port()
    home = tmp_path / "home"
    process = subprocess.Popen([str(REPO / "scripts" / "demo"), "--home", str(home), "--port", str(port)],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    output: list[str] = []
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output.append(line)
            if base in line:
                break
        log = "".join(output)
        assert base in log, log[-3000:]
        assert re.search(r"exported \d+ photos", log) and "41 present" in log, log[-3000:]
        status, body = get(base)
        assert status == 200 and b"<html" in body.lower()
        parser = Links()
        parser.feed(body.decode("utf-8"))
        local = {urljoin(base, link) for link in parser.found if urlparse(urljoin(base, link)).netloc == urlparse(base).netloc}
        assert any("/assets/" in link for link in local) and any("/thumbs/" in link for link in local)
        broken = [link for link in sorted(local) if get(link)[0] != 200]
        assert not broken, broken
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
