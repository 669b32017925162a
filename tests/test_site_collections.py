"""Collections in the static site: the index (covers, names, counts, newest updated first), one
grid page per collection in its manual order, incremental rebuilds that touch only collection
pages, and no index nor home link when the export has no collection."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from gallery_builder.site.cards import INLINE_LIMIT
from gallery_builder.site.urls import segment
from tests.site_fixtures import (Row, build, golden_rows, site_files, write_collections, write_golden_library,
                                 write_library)
from tests.test_site_incremental import changes

SUMMER = f"collections/{segment('Summer 2021')}/"
TOKYO = f"collections/{segment('Tokyo trip!')}/"
# (id, name, photo ids in manual order, cover, updated_at): 17 is missing, 999 not in the export
COLLECTIONS = [(1, "Summer 2021", [4, 1, 3], 3, "2024-03-01T10:00:00+00:00"),
               (2, "Tokyo trip!", [15, 17, 10, 999], None, "2024-05-01T10:00:00+00:00")]


def html(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def card_ids(page: str) -> list[int]:
    return [int(value) for value in re.findall(r'class="card[^"]*" href="[^"]*" data-id="(\d+)"', page)]


def thumb_key(photo_id: int) -> str:
    return next(row.record()["thumb_key"] for row in golden_rows() if row.id == photo_id)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    write_golden_library(tmp_path)
    write_collections(tmp_path, COLLECTIONS)
    assert build(tmp_path).generation == 1
    return tmp_path


def test_the_index_lists_each_collection_with_its_cover_and_count_newest_first(home):
    page = html(home / "site", "collections/")
    tiles = re.findall(r'<a class="tile" href="([^"]*)">(.*?)</a>', page, re.S)
    assert [url for url, _ in tiles] == [f"../{TOKYO}", f"../{SUMMER}"]
    tokyo, summer = (body for _, body in tiles)
    assert "Tokyo trip!" in tokyo and "2 photos" in tokyo and thumb_key(15) in tokyo     # first shown member
    assert "Summer 2021" in summer and "3 photos" in summer and thumb_key(3) in summer   # the chosen cover
    assert 'href="./collections/">Collections (2)</a>' in html(home / "site", "")


def test_a_collection_page_shows_its_photos_in_manual_order(home):
    assert card_ids(html(home / "site", SUMMER)) == [4, 1, 3]
    tokyo = html(home / "site", TOKYO)
    assert card_ids(tokyo) == [15, 10]
    assert 'href="../../collections/"' in tokyo and "2 photos" in tokyo


def test_a_collection_change_renders_only_collection_pages(home):
    reordered = [(1, "Summer 2021", [1, 3, 4], 3, "2024-03-02T10:00:00+00:00"), COLLECTIONS[1]]
    write_collections(home, reordered)
    build(home)
    assert changes(home, 1, 2) == ({SUMMER}, set())
    assert card_ids(html(home / "site", SUMMER)) == [1, 3, 4]
    grown = [reordered[0], (2, "Tokyo trip!", [15, 17, 10, 11], None, "2024-05-02T10:00:00+00:00")]
    write_collections(home, grown)
    build(home)
    assert changes(home, 2, 3) == ({"collections/", TOKYO, "photos/0/11.html"}, set())   # 11 lists its collections
    assert "3 photos" in html(home / "site", "collections/")


def test_no_collections_means_no_index_and_no_home_link(home, tmp_path_factory):
    bare = tmp_path_factory.mktemp("bare")
    write_golden_library(bare)
    build(bare)
    assert not any(url.startswith("collections/") for url in site_files(bare / "site"))
    assert "collections/" not in html(bare / "site", "")
    write_collections(home, [])
    build(home)
    assert changes(home, 1, 2)[1] == {"collections/", SUMMER, TOKYO}
    assert "collections/" not in html(home / "site", "")


def test_a_big_collection_loads_its_cards_from_the_pages_data_file(tmp_path):
    rows = [Row(index, "photos", f"2020/IMG_{index:04}.JPG", f"2020-01-01T10:{index // 60:02}:{index % 60:02}")
            for index in range(1, INLINE_LIMIT + 50)]
    write_library(tmp_path, rows, thumbnails=False)
    backwards = [row.id for row in reversed(rows)]
    write_collections(tmp_path, [(1, "everything", backwards, None, "2024-01-01T00:00:00+00:00")])
    build(tmp_path)
    page = html(tmp_path / "site", "collections/everything/")
    assert 'data-src="_photos.json"' in page
    data = (tmp_path / "site/collections/everything/_photos.json").read_text()
    assert data.index(f"[{len(rows)},") < data.index("[1,")
