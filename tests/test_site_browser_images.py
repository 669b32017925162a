"""Images in real headless Chromium through real nginx: a result without a thumbnail (from the
sidecar, "find similar" or the offline index) is a file card, never a broken image; the grid
serves the 1280 px slot as its 2x source, so a DPR-2 screen is sharp and a DPR-1 screen fetches
the same thumbnails as before."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.site_fixtures import GOLDEN_COVERAGE, GOLDEN_ERRORS, Row, build, golden_rows, write_records
from tests.site_servers import Nginx, Upstream, browser_context, collect_errors, screenshot
from tests.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.nginx, pytest.mark.slow]
RAW_WITHOUT_PREVIEW = Row(5000, "photos", "2019/2019-04 Raw/DSC_5000.NEF", "2019-04-01T09:00:00", kind="raw",
                          format="NEF", width=6000, height=4000,
                          extra={"camera_make": "Nikon", "camera_model": "Nikon Z 6"})
MISSING_THUMB = "/thumbs/00/" + "0" * 32 + "-400.webp"       # a thumbnail the server does not have
SETTLED = "[...document.querySelectorAll('#results img')].every(i => i.complete && i.naturalWidth > 0)"


@pytest.fixture(scope="module")
def nginx():
    base = Path(tempfile.mkdtemp(prefix="gallery-site-images-"))
    os.chmod(base, 0o755)
    home = base / "home"
    records = [row.record() for row in golden_rows()]
    records.append({**RAW_WITHOUT_PREVIEW.record(), "thumb_key": None, "thumb_widths": None})
    write_records(home, records, coverage=GOLDEN_COVERAGE, errors=GOLDEN_ERRORS)
    build(home)
    server = Nginx(home)
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


def open_tab(context):
    tab = context.new_page()
    tab.errors = collect_errors(tab)
    tab.thumbs = []
    tab.on("request", lambda request: tab.thumbs.append(request.url) if "/thumbs/" in request.url else None)
    return tab


@pytest.mark.parametrize("address", ["/search/?q=nikon", "/search/?similar=11"])
def test_sidecar_results_without_a_thumbnail_are_file_cards(nginx, address):
    thumb = next((nginx.home / "thumbs").rglob("*-400.webp")).relative_to(nginx.home / "thumbs").as_posix()
    raw = RAW_WITHOUT_PREVIEW.record()
    results = [
        {"id": 12, "path": "2023/06/IMG_0012.JPG", "name": "IMG_0012.JPG", "kind": "photo", "score": 0.9,
         "thumb": f"/thumbs/{thumb}", "thumbs": {"400": f"/thumbs/{thumb}"}, "url": "/photos/0/12.html",
         "width": 640, "height": 480},
        {"id": 5000, "path": raw["path"], "name": raw["name"], "kind": "raw", "score": 0.8, "thumb": None,
         "thumbs": {}, "url": "/photos/5/5000.html", "width": 6000, "height": 4000},
        {"id": 11, "path": "2023/06/IMG_0011.JPG", "name": "IMG_0011.JPG", "kind": "photo", "score": 0.7,
         "thumb": MISSING_THUMB, "thumbs": {"400": MISSING_THUMB}, "url": "/photos/0/11.html",
         "width": 640, "height": 480},
    ]
    upstream = Upstream(nginx.sidecar_port, results)
    try:
        for context in browser_context():
            page = open_tab(context)
            page.goto(nginx.base + address)
            page.wait_for_selector(".source-badge")
            assert page.locator(".source-badge").inner_text() == "search server"
            wait_for(lambda: page.evaluate(SETTLED), 30, "every result image settled (loaded or swapped for a file card)")
            images = page.eval_on_selector_all("#results img", "els => els.map(i => [i.getAttribute('src'), i.naturalWidth])")
            assert images and all(src and width > 0 for src, width in images), images     # no broken image
            assert page.locator("#results a.card").count() == 3                           # and no result left out
            cards = page.locator("#results a.card:has(.card-file)")
            assert cards.count() == 2
            text = cards.first.inner_text()
            assert "DSC_5000.NEF" in text and "RAW" in text and "no preview" in text.lower()
            assert cards.first.evaluate("a => a.href") == nginx.base + "/photos/5/5000.html"
            assert "IMG_0011.JPG" in cards.nth(1).inner_text()
            screenshot(page, "search-file-cards")
            assert [error for error in page.errors if MISSING_THUMB not in error] == []
    finally:
        upstream.stop()


def test_offline_results_without_a_thumbnail_are_file_cards(nginx):
    for context in browser_context():
        page = open_tab(context)
        page.goto(nginx.base + "/search/?q=nikon")
        page.wait_for_selector(".source-badge")
        assert page.locator(".source-badge").inner_text() == "offline index"
        assert page.locator("#search-status").inner_text().startswith("1 result")
        card = page.locator("#results .grid-window a.card")
        card.wait_for()
        assert card.locator("img").count() == 0 and card.locator(".card-file").count() == 1
        text = card.locator(".card-file").inner_text()
        assert "DSC_5000.NEF" in text and "RAW" in text and "no preview" in text.lower()
        screenshot(page, "search-offline-file-card")
        assert page.errors == []


@pytest.mark.parametrize("ratio, chosen, never", [(1, "-400.webp", "-1280.jpg"), (2, "-1280.jpg", "-400.webp")])
def test_the_grid_takes_the_1280_slot_as_its_2x_source(nginx, ratio, chosen, never):
    for context in browser_context(device_scale_factor=ratio):
        tab = open_tab(context)
        tab.goto(nginx.base + "/years/2021/")
        tab.wait_for_function("document.querySelectorAll('.grid-window .card canvas.loaded').length === 6")
        pictures = tab.eval_on_selector_all(".grid-window .card canvas", """els => els.map(canvas => [
          canvas.dataset.src, canvas.width, canvas.height, parseFloat(canvas.parentNode.style.width),
          parseFloat(canvas.parentNode.style.height)])""")
        assert all(src.endswith(chosen) for src, *_ in pictures), pictures
        # drawn at the screen's pixels: sharp, and no bigger than the card needs
        assert all(width == round(box_width * ratio) and height == round(box_height * ratio)
                   for _, width, height, box_width, box_height in pictures), pictures
        # one size per photo: DPR 1 fetches exactly what it always did; DPR 2 no first screen it then drops
        assert [url for url in tab.thumbs if url.endswith(never)] == []
        assert tab.errors == []
