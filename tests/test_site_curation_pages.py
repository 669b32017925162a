"""Curation in the static site: stacks collapse to one card with a count badge (the members travel
with the page for the lightbox), one page per stack linked from its photos' pages, duplicates pages
with exact copies and near duplicates kept apart (keeper first, size, resolution, date, folder),
and photo pages that list their collections (re-rendered when a collection is renamed)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gallery_builder.site.urls import segment
from tests.site_fixtures import (_arrow_type, _write_table, build, golden_rows, write_collections, write_records)
from tests.test_site_incremental import changes

# photo id -> (stack id, is top): stack 7 in the beach folder (top 2), stack 8 across two roots (top 11)
STACKS = {1: (7, False), 2: (7, True), 3: (7, False), 11: (8, True), 15: (8, False)}
# (group, photo, kind, keeper): group 3 exact copies, group 4 near duplicates (17 is missing)
DUPLICATES = [(3, 5, "exact", True), (3, 4, "exact", False), (4, 12, "near", True), (4, 13, "near", False),
              (4, 17, "near", False), (5, 10, "near", True), (5, 17, "near", False)]


def write_curated(home: Path, stacks: dict[int, tuple[int, bool]] = STACKS) -> None:
    records = []
    for row in golden_rows():
        record = row.record()
        stack_id, top = stacks.get(row.id, (None, False))
        record.update(stack_id=stack_id, stack_top=top)
        records.append(record)
    write_records(home, records, extra_fields=[("stack_id", "int64"), ("stack_top", "bool")])
    _write_table(home / "parquet" / "duplicates.parquet",
                 [{"group_id": group, "photo_id": photo, "kind": kind, "is_keeper": keeper}
                  for group, photo, kind, keeper in DUPLICATES],
                 [("group_id", _arrow_type("int64")), ("photo_id", _arrow_type("int64")),
                  ("kind", _arrow_type("string")), ("is_keeper", _arrow_type("bool"))])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    write_curated(tmp_path)
    write_collections(tmp_path, [(1, "Summer", [4, 1], None, "2024-03-01T10:00:00+00:00"),
                                 (2, "Best of", [1], None, "2024-03-01T10:00:00+00:00")])
    build(tmp_path)
    return tmp_path


def read(site: Path, url: str) -> str:
    return (site / (url if url.endswith(".html") else url + "index.html")).read_text(encoding="utf-8")


def grid_payload(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" class="grid-data">(.*?)</script>', page, re.S)[1])


def card_ids(page: str) -> list[int]:
    return [int(value) for value in re.findall(r'class="card[^"]*" href="[^"]*" data-id="(\d+)"', page)]


def test_a_year_grid_shows_one_card_per_stack_with_its_count_and_carries_the_members(home):
    page = read(home / "site", "years/2021/")
    payload = grid_payload(page)
    assert [row[0] for row in payload["rows"]] == [2, 4, 5, 6]                # 1 and 3 hide behind their top
    assert payload["stacks"] == [[2, [2, 1, 3]]]                              # top first, then capture order
    assert sorted(row[0] for row in payload["members"]) == [1, 3]
    assert card_ids(page)[:1] == [2]
    assert re.search(r'data-id="2".*?<span class="card-stack" title="A stack of 3 photos">3</span>', page, re.S)


def test_a_stack_with_its_top_elsewhere_shows_its_first_photo_here_and_plain_pages_are_unchanged(home):
    tokyo = grid_payload(read(home / "site", "years/2023/"))
    assert tokyo["stacks"] == [[11, [11, 15]]]
    phone = grid_payload(read(home / "site", f"folders/phone/{segment('DCIM')}/{segment('Camera')}/"))
    assert "stacks" not in phone and 15 in [row[0] for row in phone["rows"]]   # one member here: a plain card
    assert "stacks" not in grid_payload(read(home / "site", "years/2022/"))


def test_each_stack_has_a_page_linked_from_its_photos(home):
    stack = read(home / "site", "stacks/0/7.html")
    assert "Stack of 3 photos" in stack
    assert [row[0] for row in grid_payload(stack)["rows"]] == [2, 1, 3]
    assert 'data-stack="7"' in stack
    assert '<a href="../../stacks/0/7.html">Top photo of a stack</a>' in read(home / "site", "photos/0/2.html")
    assert '<a href="../../stacks/0/7.html">In a stack</a>' in read(home / "site", "photos/0/1.html")
    assert "stacks/" not in read(home / "site", "photos/0/4.html").split('class="info"')[1].split("</aside>")[0]


def test_duplicates_pages_keep_exact_and_near_apart_with_the_keeper_first(home):
    exact = read(home / "site", "duplicates/")
    assert "<h1>Exact copies</h1>" in exact and "<h1>Exact copies</h1>" in read(home / "site", "duplicates/exact/")
    groups = re.findall(r'<section class="duplicate-group" data-group="(\d+)" data-kind="(\w+)">', exact)
    assert groups == [("3", "exact")]
    copies = re.findall(r'data-id="(\d+)"', exact.split('data-group="3"')[1])
    assert copies[:2] == ["5", "4"] and "Keeper" in exact
    assert "1000 bytes" not in exact and "1005 bytes" in exact and "640 × 480 px" in exact and "2021-12-24 18:00:00" in exact
    assert 'class="reject-others" data-group="3"' in exact
    assert '<span aria-current="page">Exact copies (1 group)</span>' in exact
    assert '<a href="../duplicates/near/">Near duplicates (1 group)</a>' in exact
    near = read(home / "site", "duplicates/near/")
    assert re.findall(r'data-group="(\d+)" data-kind="near"', near) == ["4"]   # group 5 keeps one shown copy
    assert "menu.jpg" in near and "gone.jpg" not in near
    assert 'href="./duplicates/">Duplicates (3 groups)</a>' in read(home / "site", "")


def test_photo_pages_list_their_collections_and_follow_a_rename(home):
    page = read(home / "site", "photos/0/1.html")
    links = re.findall(r'<li><a href="\.\./\.\./collections/([^"]+)">([^<]+)</a></li>', page)
    assert links == [(f"{segment('Best of')}/", "Best of"), (f"{segment('Summer')}/", "Summer")]
    assert 'data-photo-collections="3" hidden' in read(home / "site", "photos/0/3.html")
    write_collections(home, [(1, "Winter", [4, 1], None, "2024-03-02T10:00:00+00:00"),
                             (2, "Best of", [1], None, "2024-03-01T10:00:00+00:00")])
    build(home)
    rendered = changes(home, 1, 2)[0]
    assert {"photos/0/1.html", "photos/0/4.html"} <= rendered and "photos/0/2.html" not in rendered
    assert "Winter" in read(home / "site", "photos/0/1.html")


def test_the_stacks_index_lists_the_largest_and_the_most_recent_stacks(home):
    page = read(home / "site", "stacks/")
    largest = page.split('class="tiles tiles-stacks stacks-largest"')[1].split("</section>")[0]
    recent = page.split('class="tiles tiles-stacks stacks-recent"')[1].split("</section>")[0]
    assert re.findall(r'href="\.\./(stacks/0/\d+\.html)"', largest) == ["stacks/0/7.html", "stacks/0/8.html"]
    assert re.findall(r'href="\.\./(stacks/0/\d+\.html)"', recent) == ["stacks/0/8.html", "stacks/0/7.html"]
    assert "3 photos" in largest and "June 2023" in recent and "2 stacks" in page
    assert 'href="./stacks/">Stacks (2)</a>' in read(home / "site", "")
    write_curated(home, {})                                        # no stacks any more: no index
    build(home)
    assert not (home / "site" / "stacks" / "index.html").exists() and "Stacks (" not in read(home / "site", "")


def test_a_stack_edit_renders_the_grids_and_stack_pages_it_touches(home):
    write_curated(home, {**STACKS, 2: (7, False), 1: (7, True)})           # a person made photo 1 the top
    build(home)
    rendered = changes(home, 1, 2)[0]
    assert {"years/2021/", "stacks/0/7.html", "photos/0/1.html", "photos/0/2.html"} <= rendered
    assert "stacks/0/8.html" not in rendered and "years/2023/" not in rendered
    assert [row[0] for row in grid_payload(read(home / "site", "stacks/0/7.html"))["rows"]] == [1, 2, 3]


def test_duplicates_are_paged_by_group(tmp_path, monkeypatch):
    from gallery_builder.site.pages import duplicates

    monkeypatch.setattr(duplicates, "GROUPS_PER_PAGE", 1)
    write_curated(tmp_path)
    _write_table(tmp_path / "parquet" / "duplicates.parquet",
                 [{"group_id": group, "photo_id": photo, "kind": kind, "is_keeper": keeper}
                  for group, photo, kind, keeper in DUPLICATES + [(6, 1, "exact", True), (6, 2, "exact", False)]],
                 [("group_id", _arrow_type("int64")), ("photo_id", _arrow_type("int64")),
                  ("kind", _arrow_type("string")), ("is_keeper", _arrow_type("bool"))])
    build(tmp_path)
    first, second = read(tmp_path / "site", "duplicates/exact/"), read(tmp_path / "site", "duplicates/exact/2/")
    assert re.findall(r'data-group="(\d+)"', first)[:1] == ["3"] and re.findall(r'data-group="(\d+)"', second)[:1] == ["6"]
    assert '<a href="../../duplicates/exact/2/">Exact copies (2 groups), page 2</a>' in first
