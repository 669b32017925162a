"""Shoot review in a real browser through nginx and the sidecar: the page lists the proposed shoots,
opens the latest, a tap toggles a photo (kept across a reload), and "Accept as picks" flags the
selection."""
from __future__ import annotations

import pytest

from tests.conftest import run_gallery
from tests.site_servers import Nginx, browser_context, collect_errors
from tests.test_curation_browser import PASSWORD, Sidecar, decisions_of, make_home, sign_in
from tests.waiting import wait_for

pytestmark = [pytest.mark.nginx, pytest.mark.browser, pytest.mark.slow]


def test_review_toggle_reload_and_accept(tmp_path):
    folder, home = make_home(8, PASSWORD)
    run_gallery("review", "propose", "--recent", "5", "--home", str(home))
    run_gallery("build", "--home", str(home))  # the review page and its script
    nginx = Nginx(home)
    sidecar = Sidecar(home, nginx.sidecar_port)
    sidecar.start(nginx)
    try:
        for context in browser_context(has_touch=True):
            page = context.new_page()
            errors = collect_errors(page)
            sign_in(page, nginx, "/review/")
            page.wait_for_selector(".review-photo")
            tiles = page.locator(".review-photo")
            count = tiles.count()
            assert count >= 2
            kept_before = page.locator(".review-photo[aria-pressed='true']").count()
            target = page.locator(".review-photo[aria-pressed='false']").first
            if target.count() == 0:  # every frame its own group: drop one instead
                target = page.locator(".review-photo[aria-pressed='true']").first
            photo_id = int(target.get_attribute("data-id"))
            was = target.get_attribute("aria-pressed")
            target.tap()
            page.wait_for_selector(f".review-photo[data-id='{photo_id}'][aria-pressed='{'false' if was == 'true' else 'true'}']")
            page.reload()
            page.wait_for_selector(f".review-photo[data-id='{photo_id}'][aria-pressed='{'false' if was == 'true' else 'true'}']")
            kept_now = page.locator(".review-photo[aria-pressed='true']").count()
            assert kept_now == kept_before + (1 if was == "false" else -1)
            kept_ids = [int(item.get_attribute("data-id"))
                        for item in page.locator(".review-photo[aria-pressed='true']").all()]
            csv_text = page.evaluate("fetch(document.getElementById('review-download-csv').href).then(r => r.text())")
            assert sorted(int(line.split(",")[0]) for line in csv_text.strip().split("\r\n")[1:]) == sorted(kept_ids)
            page.click("#review-accept-picks")
            page.wait_for_selector("#review-note:has-text('as picks')")
            wait_for(lambda: all(decisions_of(nginx, photo)["flag"] == "pick" for photo in kept_ids), 30,
                     "the kept photos flagged pick")
            assert [error for error in errors if "/signin" not in error] == []
    finally:
        sidecar.stop()
        nginx.stop()
