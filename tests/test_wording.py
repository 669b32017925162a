"""One wording of facts: a photo's camera label and original URL are the same on its site page and
in a search result, and the sidecar takes them from gallery_builder.core, never from the builder."""
from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from gallery_builder.core.urls import original_url, photo_url, thumb_url
from gallery_builder.core.wording import camera_label, exposure_label
from tests.search_library import SHOTS, Shot, write_photo

ODD_BYTES = b"2024/caf\xe9 #1/menu?.jpg"         # a Latin-1 name: not UTF-8, shown as "caf\xe9"
ODD_SHOT = Shot(os.fsdecode(ODD_BYTES), (200, 200, 200), None, SHOTS[0].taken, "Canon", "Canon EOS R6", None)


@pytest.mark.parametrize("make, model, label", [
    ("Canon", "Canon EOS R6", "Canon EOS R6"),
    ("NIKON CORPORATION", "NIKON Z 6", "NIKON CORPORATION NIKON Z 6"),
    ("SONY", "ILCE-7M3", "SONY ILCE-7M3"),
    ("Apple", "iPhone 13 Pro", "Apple iPhone 13 Pro"),
    ("Google", "Google Pixel 7", "Google Pixel 7"),
    (" Canon ", "canon eos 40d", "canon eos 40d"),
    (None, "Pixel 6", "Pixel 6"),
    ("Canon", None, "Canon"),
    (None, None, ""),
])
def test_camera_label_says_the_make_once(make, model, label):
    assert camera_label(make, model) == label


def test_exposure_label_says_what_the_file_gave():
    assert exposure_label(1 / 250, 4.0, 35.0, 100) == "1/250 s · f/4 · 35 mm · ISO 100"
    assert exposure_label(2.5, None, None, None) == "2.5 s"
    assert exposure_label(None, None, None, None) == ""


def test_shared_url_rules():
    assert photo_url(12345) == "photos/12/12345.html"
    assert thumb_url("ab12cd", 400) == "thumbs/ab/ab12cd-400.webp"
    assert thumb_url("ab12cd", 1920) == "thumbs/ab/ab12cd-1920.jpg"
    assert original_url("my photos", ODD_BYTES) == "originals/my%20photos/2024/caf%E9%20%231/menu%3F.jpg"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> tuple[Path, Path]:
    """The search library (plus a non-UTF-8 file) indexed for exif and thumbs, and exported."""
    from gallery_builder.db.connection import connect
    from gallery_builder.config import load_settings
    from gallery_builder.export.parquet import export_all
    from tests.search_library import build_home

    base = tmp_path_factory.mktemp("wording")
    write_photo(base / "library" / ODD_SHOT.path, ODD_SHOT, size=(200, 200))
    home = build_home(base, passes=("exif", "thumbs"))
    db = connect(home / "gallery.db")
    try:
        export_all(db, load_settings(home, environ={}))
    finally:
        db.close()
    return home, base / "library"


def test_a_photo_is_worded_alike_on_its_page_and_in_a_search_result(indexed):
    from gallery_builder.db import search_queries
    from gallery_builder.db.connection import connect
    from gallery_builder.site.catalog import build_catalog
    from gallery_builder.site.library import load_library
    from gallery_builder.site.pages import photo
    from search_api.results import result_card

    home, _ = indexed
    library = load_library(home / "parquet")
    pages = {page.url: page.build() for page in photo.gather(build_catalog(library), library)}
    db = connect(home / "gallery.db", readonly=True)
    try:
        cards = search_queries.photo_cards(db, [item.id for item in library.photos])
    finally:
        db.close()
    results = {card["id"]: result_card(card, None) for card in cards.values()}
    assert len(results) == len(pages) == len(SHOTS) + 1

    for item in library.photos:
        page, result = pages[photo_url(item.id)], results[item.id]
        assert result["url"] == "/" + photo_url(item.id)
        assert result["original"] == "/" + page.original, item.path
        assert result["camera"] == dict(page.facts)["Camera"], item.path
        assert result["thumbs"]["400"] == "/" + page.preview.sources[0][0]

    by_name = {result["name"]: result for result in results.values()}
    assert by_name["IMG_0042.JPG"]["camera"] == "Canon EOS R6"                  # make starts the model
    odd = by_name[os.fsdecode(ODD_BYTES).rpartition("/")[2]]
    assert odd["original"] == "/originals/library/2024/caf%E9%20%231/menu%3F.jpg"   # the exact bytes


def test_the_original_url_of_a_result_names_the_file_on_disk(indexed):
    from urllib.parse import unquote_to_bytes

    from gallery_builder.db import search_queries
    from gallery_builder.db.connection import connect
    from search_api.results import result_card

    home, library = indexed
    db = connect(home / "gallery.db", readonly=True)
    try:
        ids = [row[0] for row in db.execute("SELECT id FROM photos")]
        cards = search_queries.photo_cards(db, ids)
    finally:
        db.close()
    assert len(cards) == len(SHOTS) + 1
    for card in cards.values():
        original = result_card(card, None)["original"]
        assert original.startswith("/originals/library/"), original
        relative = unquote_to_bytes(original.removeprefix("/originals/library/"))
        assert os.path.isfile(os.path.join(os.fsencode(library), relative)), relative


def _imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):                       # every import, inside functions too
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_sidecar_never_imports_the_builders_site_package():
    sidecar = Path(__file__).resolve().parent.parent / "search_api"
    offenders = {}
    for source in sorted(sidecar.rglob("*.py")):
        modules = _imported_modules(ast.parse(source.read_text(encoding="utf-8")))
        bad = sorted(name for name in modules if name == "gallery_builder.site" or name.startswith("gallery_builder.site."))
        if bad:
            offenders[source.name] = bad
    assert not offenders
