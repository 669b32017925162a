"""Uploading a collection from its page as a person does: real nginx (the rendered config), the real
sidecar (`gallery serve`), headless Chromium, and the fake Google on 127.0.0.1. While the fake holds the
second file, the page already shows the first file's progress: the events arrive one by one through
nginx, not all at the end."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading

import pytest

from gallery_builder.config import load_settings
from tests.conftest import REPO, run_gallery
from tests.fake_google import FakeGoogle
from tests.google_library import client_secret, write_token
from tests.site_servers import Nginx, browser_context, collect_errors, screenshot
from tests.test_curation_browser import PASSWORD, indexed, make_home, sign_in
from tests.waiting import wait_for

pytestmark = [pytest.mark.nginx, pytest.mark.browser, pytest.mark.slow]
PANEL = ".google-upload"


def test_upload_events_arrive_one_by_one_through_nginx():
    fake = FakeGoogle()
    folder, home = make_home(3, PASSWORD)
    ids = [str(row["id"]) for row in indexed(home)]
    run_gallery("collection", "create", "Trip", "--home", str(home))
    run_gallery("collection", "add", "Trip", *ids, "--home", str(home))
    run_gallery("export", "--home", str(home))
    run_gallery("build", "--home", str(home))
    (home / "client_secret.json").write_text(json.dumps(client_secret(fake)))
    write_token(load_settings(home, environ={}), fake.stored_token())
    page_path = "/" + next((home / "site" / "collections").glob("*/index.html")).parent.relative_to(
        home / "site").as_posix() + "/"

    held, release = threading.Event(), threading.Event()

    def hold_the_second(count: int) -> None:
        if count == 2:
            held.set()
            release.wait(60)

    fake.on_upload = hold_the_second
    nginx = Nginx(home)
    sidecar = subprocess.Popen(
        [sys.executable, "-m", "gallery_builder", "serve", "--home", str(home), "--port", str(nginx.sidecar_port)],
        cwd=REPO, env={**os.environ, **fake.environ()}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        wait_for(lambda: nginx.get("/api/health")[0] == 200, 60, "the sidecar answering through nginx")
        for context in browser_context():
            page = context.new_page()
            errors = collect_errors(page)
            sign_in(page, nginx, page_path)
            page.wait_for_selector(f"{PANEL}:not([hidden]) .google-start")
            page.click(f"{PANEL} .google-start")
            wait_for(held.is_set, 60, "the second file reaching the fake")
            page.wait_for_function(f"document.querySelector('{PANEL}').getAttribute('data-progress') === '1'",
                                   timeout=30_000)
            panel = page.locator(PANEL)
            assert panel.get_attribute("data-state") is None          # the stream is still open
            assert panel.get_attribute("data-begin") == "2" and panel.get_attribute("data-done") is None
            assert "Sending" in panel.locator(".google-note").inner_text()
            assert page.locator(f"{PANEL} progress").evaluate("bar => bar.value") == 1
            screenshot(page, "google-upload-in-progress")
            release.set()
            page.wait_for_selector(f"{PANEL}[data-state='done']", timeout=60_000)
            assert panel.get_attribute("data-begin") == str(len(ids)) and panel.get_attribute("data-done") == "1"
            assert f"{len(ids)} uploaded" in panel.locator(".google-note").inner_text()
            screenshot(page, "google-upload-done")
            assert errors == []
        assert sum(fake.created.values()) == len(ids) and sum(fake.received.values()) == len(ids)  # one copy is a duplicate file
    finally:
        release.set()
        sidecar.terminate()
        sidecar.wait(30)
        nginx.stop()
        fake.stop()
        shutil.rmtree(folder, ignore_errors=True)
