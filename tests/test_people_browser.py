"""People in real headless Chromium through real nginx: a photo page's face boxes sit over the faces
with their names, the lightbox shows the same boxes, a year grid filters by person, and the people
index loads its face crops. Faces are planted as in test_site_people."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.face_rows import export_faces, face_db, write_crops
from tests.site_fixtures import build, golden_rows, write_golden_library
from tests.site_servers import Nginx, browser_context, collect_errors, screenshot
from tests.test_site_people import ANA_BOX, plant

pytestmark = [pytest.mark.browser, pytest.mark.nginx, pytest.mark.slow]


@pytest.fixture(scope="module")
def nginx():
    base = Path(tempfile.mkdtemp(prefix="gallery-people-browser-"))
    os.chmod(base, 0o755)
    home = base / "home"
    write_golden_library(home)
    db = face_db(home / "faces.db", [row.id for row in golden_rows()])
    plant(db)
    write_crops(db, home / "thumbs")
    export_faces(db, home)
    db.close()
    (home / "faces.db").unlink()
    (home / "gallery.toml").write_text(f'[[roots]]\nlabel = "photos"\npath = "{base / "photos"}"\n')
    build(home)
    server = Nginx(home)
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def context():
    yield from browser_context()


@pytest.fixture
def page(context):
    tab = context.new_page()
    tab.errors = collect_errors(tab)
    yield tab
    tab.close()


def test_a_photo_page_shows_named_boxes_over_the_faces(page, nginx):
    page.goto(nginx.base + "/photos/0/1.html")
    page.wait_for_function("document.querySelector('.stage .zoom img').naturalWidth > 0")
    assert page.locator(".stage .face-box .face-name").all_inner_texts() == ["Ana", "Ben"]
    image = page.locator(".stage .zoom img").bounding_box()
    box = page.locator(".stage .face-box").first.bounding_box()
    x, y, w, h = ANA_BOX
    assert abs(box["x"] - (image["x"] + x * image["width"])) <= 3
    assert abs(box["y"] - (image["y"] + y * image["height"])) <= 3
    assert abs(box["width"] - w * image["width"]) <= 4 and abs(box["height"] - h * image["height"]) <= 4
    assert page.locator(".people-here a").all_inner_texts() == ["Ana", "Ben"]
    screenshot(page, "photo-faces")
    assert page.errors == []


def test_a_year_grid_filters_by_person_and_the_lightbox_names_faces(page, nginx):
    page.goto(nginx.base + "/years/2021/")
    page.wait_for_selector(".grid-window .card canvas.loaded")
    shown = "[...document.querySelectorAll('.grid-window .card')].map(c => +c.dataset.id).sort((a, b) => a - b)"
    assert page.evaluate(shown) == [1, 2, 3, 4, 5, 6]
    assert page.locator(".grid-filter select[name=person] option").all_inner_texts() == ["anyone", "Ana", "Ben"]
    page.select_option(".grid-filter select[name=person]", label="Ben")
    page.wait_for_function(f"JSON.stringify({shown}) === '[1,3]'")
    assert page.locator(".grid-filter-count").inner_text() == "2 of 6 photos"
    page.locator(".grid-window .card[data-id='1']").click()
    page.wait_for_selector("html[data-lightbox=open] .pswp__img")
    page.wait_for_selector(".pswp--open .face-boxes .face-name")
    names = page.locator(".pswp__item:not([aria-hidden=true]) .face-boxes .face-name").all_inner_texts()
    assert sorted(names) == ["Ana", "Ben"]
    screenshot(page, "lightbox-faces")
    page.keyboard.press("Escape")
    page.select_option(".grid-filter select[name=person]", label="anyone")
    page.wait_for_function(f"{shown}.length === 6")
    assert page.errors == []


def test_the_people_index_loads_its_face_crops(page, nginx):
    page.goto(nginx.base + "/people/")
    page.wait_for_function("[...document.querySelectorAll('.tile-face img')].every(i => i.complete && i.naturalWidth)")
    assert page.locator(".tile-face .tile-label").all_inner_texts()[:2] == ["Ana", "Ben"]
    assert page.errors == []


def test_the_offline_search_finds_people_by_name_from_the_shared_names_table(page, nginx):
    """Shards carry person ids; the names come from people/_people.json's script twin."""
    page.goto(nginx.base + "/search/?person=Ben")
    page.wait_for_selector(".source-badge")
    assert page.locator(".source-badge").inner_text() == "offline index"
    page.wait_for_function("document.querySelector('#search-status').innerText.startsWith('2 results')")
    page.goto(nginx.base + "/search/?q=ana")                   # a name in the text matches too
    page.wait_for_function("document.querySelector('#search-status').innerText.startsWith('3 results')")
    assert page.errors == []
