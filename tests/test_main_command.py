"""The README's main command, `scripts/demo`, run as a newcomer runs it: sample library, index,
build, serve; then every page link and asset of the home page answers through the served site."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest

from tests.conftest import REPO
from tests.waiting import wait_for


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


@pytest.mark.slow  # ~35 s: sets up, generates 40 photos, indexes, builds and serves
def test_demo_indexes_builds_and_serves_the_sample_library(tmp_path):
    port = free_port()
    home = tmp_path / "home"
    process = subprocess.Popen([str(REPO / "scripts" / "demo"), "--home", str(home), "--port", str(port)],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    output: list[str] = []

    def read_output() -> None:  # a thread, so the wait below keeps its deadline while the demo is silent
        for line in process.stdout:
            output.append(line)

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}/"

    def serving() -> bool:
        if base in "".join(output):
            return True
        if process.poll() is not None:
            reader.join(timeout=10)
            raise AssertionError(f"scripts/demo exited ({process.returncode}) before serving:\n{''.join(output)[-3000:]}")
        return False

    try:
        wait_for(serving, 240, f"scripts/demo serving on {base}", interval=0.2,
                 details=lambda: "".join(output)[-3000:])
        log = "".join(output)
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
