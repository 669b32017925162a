"""People in the static site, from faces planted with SQL and exported like `gallery export`: the
people index (named first, hidden left out), a page per person and per unknown cluster (ignored
and small clusters left out), "Who is this?", face boxes on photo pages, the grid's person data,
the offline search index, and incremental republishing after a rename."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gallery_builder.core.urls import face_crop_url
from gallery_builder.site.urls import segment
from tests.face_rows import (add_cluster, add_face, add_person, crop_key_of, export_faces, face_db, rename_person,
                             write_crops)
from tests.site_fixtures import build, golden_rows, write_golden_library
from tests.test_site_incremental import changes

ANA_BOX = (0.1, 0.2, 0.3, 0.4)


def html(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def card_ids(page: str) -> list[int]:
    return [int(value) for value in re.findall(r'class="card[^"]*" href="[^"]*" data-id="(\d+)"', page)]


def grid_payload(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" class="grid-data">(.*?)</script>', page, re.S)[1])


def plant(db) -> dict[str, int]:
    """Ana on 1, 2 and 10 (1 beside Ben), Ben on 1 and 3, hidden Carl on 4; an unknown cluster of
    three faces (5, 10, 11), an ignored one (12, 13, 15) and a small one (7, 8)."""
    ana, ben, carl = add_person(db, "Ana"), add_person(db, "Ben"), add_person(db, "Carl", hidden=True)
    for photo in (1, 2, 10):
        add_face(db, photo, ANA_BOX if photo == 1 else (0.3, 0.3, 0.2, 0.2), person_id=ana, score=0.8 + photo / 100)
    add_face(db, 1, (0.6, 0.2, 0.2, 0.3), person_id=ben)
    add_face(db, 3, person_id=ben)
    add_face(db, 4, person_id=carl)
    unknown, ignored, small = add_cluster(db), add_cluster(db, ignored=True), add_cluster(db)
    for photo in (5, 10, 11):
        add_face(db, photo, (0.5, 0.5, 0.1, 0.1), cluster_id=unknown)
    for photo in (12, 13, 15):
        add_face(db, photo, cluster_id=ignored)
    for photo in (7, 8):
        add_face(db, photo, cluster_id=small)
    return {"ana": ana, "ben": ben, "carl": carl, "unknown": unknown, "ignored": ignored, "small": small}


@pytest.fixture
def planted(tmp_path: Path):
    write_golden_library(tmp_path)
    db = face_db(tmp_path / "gallery.db", [row.id for row in golden_rows()])
    ids = plant(db)
    write_crops(db, tmp_path / "thumbs")
    export_faces(db, tmp_path)
    assert build(tmp_path).generation == 1
    return tmp_path, db, ids


def test_the_people_index_lists_named_people_first_then_unknown_clusters(planted):
    home, _, ids = planted
    page = html(home / "site", "people/")
    tiles = re.findall(r'<a class="tile tile-face" href="([^"]*)">(.*?)</a>', page, re.S)
    assert [url for url, _ in tiles] == [f"../people/{segment('Ana')}/", f"../people/{segment('Ben')}/",
                                         f"../faces/{ids['unknown']}/"]
    ana, ben, unknown = (body for _, body in tiles)
    assert "Ana" in ana and "3 photos" in ana and "2 photos" in ben and "3 photos" in unknown
    # Ana's cover is her best-scored face (on photo 10); its crop is served from the thumbnail store
    cover = face_crop_url(crop_key_of(10, (0.3, 0.3, 0.2, 0.2)))
    assert f'src="../{cover}"' in ana and (home / "site" / cover).is_file()
    assert "Carl" not in page
    assert 'href="./people/">People (3)</a>' in html(home / "site", "")


def test_a_person_page_shows_their_photos_by_year(planted):
    site = planted[0] / "site"
    page = html(site, f"people/{segment('Ana')}/")
    assert card_ids(page) == [1, 2, 10]
    assert re.findall(r'<h3 class="grid-day">([^<]*)</h3>', page) == ["2021", "2023"]
    assert card_ids(html(site, f"people/{segment('Ben')}/")) == [1, 3]
    assert not (site / "people" / segment("Carl")).exists()


def test_only_unknown_clusters_big_enough_and_not_ignored_get_pages(planted):
    home, _, ids = planted
    site = home / "site"
    assert card_ids(html(site, f"faces/{ids['unknown']}/")) == [5, 10, 11]
    assert not (site / "faces" / str(ids["ignored"])).exists()
    assert not (site / "faces" / str(ids["small"])).exists()
    who = html(site, "faces/")
    assert re.findall(r'class="tile tile-face" href="([^"]*)"', who) == [f"../faces/{ids['unknown']}/"]


def test_a_photo_page_shows_face_boxes_with_names(planted):
    home, _, ids = planted
    page = (home / "site" / "photos/0/1.html").read_text(encoding="utf-8")
    boxes = re.findall(r'<span class="face-box[^"]*" data-face="\d+" data-person="\d*" style="([^"]*)">'
                       r'<span class="face-name">([^<]*)</span>', page)
    assert boxes == [("left:10.0%;top:20.0%;width:30.0%;height:40.0%", "Ana"),
                     ("left:60.0%;top:20.0%;width:20.0%;height:30.0%", "Ben")]
    assert f'href="../../people/{segment("Ana")}/">Ana</a>' in page
    unknown = (home / "site" / "photos/0/5.html").read_text(encoding="utf-8")
    assert f'href="../../faces/{ids["unknown"]}/">Unknown</a>' in unknown
    hidden = (home / "site" / "photos/0/4.html").read_text(encoding="utf-8")
    assert "Carl" not in hidden and "face-box-plain" in hidden


def test_pages_carry_the_ids_the_writing_controls_need(planted):
    """Face ids and person ids on a photo page's boxes and list, the person's or the cluster's id on
    their page and on "Who is this?" (people_edit.js writes through them; hidden unless signed in)."""
    home, _, ids = planted
    photo = (home / "site" / "photos/0/1.html").read_text(encoding="utf-8")
    assert re.findall(r'class="face-box" data-face="(\d+)" data-person="(\d*)"', photo) == [
        ("1", str(ids["ana"])), ("4", str(ids["ben"]))]
    assert re.findall(r'<li data-face="(\d+)" data-person="(\d*)">', photo) == [("1", str(ids["ana"])),
                                                                                  ("4", str(ids["ben"]))]
    assert 'class="face-edit writer-only"' in photo and "js/people_edit.js" in photo
    unknown = (home / "site" / "photos/0/5.html").read_text(encoding="utf-8")
    assert re.search(r'<li data-face="\d+" data-person="">', unknown)
    ana = html(home / "site", f"people/{segment('Ana')}/")
    assert f'class="people-edit writer-only" data-person="{ids["ana"]}" data-name="Ana"' in ana
    assert 'data-action="rename"' in ana and 'data-action="merge"' in ana and 'data-action="hide"' in ana
    cluster = html(home / "site", f"faces/{ids['unknown']}/")
    assert f'class="people-edit writer-only" data-cluster="{ids["unknown"]}"' in cluster
    assert 'data-action="name"' in cluster and 'data-action="ignore"' in cluster
    who = html(home / "site", "faces/")
    assert re.findall(r'<div class="people-edit writer-only" data-cluster="(\d+)">', who) == [str(ids["unknown"])]
    assert "js/people_edit.js" in who


def test_year_grids_and_search_shards_carry_the_people_on_each_card(planted):
    home, _, ids = planted
    payload = grid_payload(html(home / "site", "years/2021/"))
    assert payload["people"] == [ids["ana"], ids["ben"]]          # ids only: names are in one shared table
    names = json.loads((home / "site" / "people/_people.json").read_text(encoding="utf-8"))
    assert names == {"people": [[ids["ana"], "Ana", f"people/{segment('Ana')}/"],
                                [ids["ben"], "Ben", f"people/{segment('Ben')}/"]]}
    assert (home / "site" / "people/_people.json.js").read_text(encoding="utf-8").startswith("window.GALLERY_PEOPLE=")
    assert 'src="../../people/_people.json.js"' in html(home / "site", "years/2021/")
    assert "_people.json" not in html(home / "site", "years/2022/")  # nobody named on that year's cards
    assert payload["faces"] == [[1, [[0, *ANA_BOX, 1], [1, 0.6, 0.2, 0.2, 0.3, 4]]], [2, [[0, 0.3, 0.3, 0.2, 0.2, 2]]],
                                [3, [[1, 0.4, 0.3, 0.2, 0.25, 5]]]]     # face ids last (the lightbox corrects them)
    shard = json.loads((home / "site" / "search/index/2021.json").read_text(encoding="utf-8"))
    people_at = shard["fields"].index("people")
    people = {row[0]: sorted(shard["tables"]["person"][index] for index in row[people_at]) for row in shard["rows"]}
    assert people[1] == [ids["ana"], ids["ben"]] and people[3] == [ids["ben"]] and people[4] == [] and people[5] == []
    assert '<option value="Ana">Ana</option>' in html(home / "site", "search/")


def test_a_rename_republishes_the_pages_that_show_the_person(planted):
    home, db, ids = planted
    rename_person(db, ids["ben"], "Benjamin")
    export_faces(db, home)
    build(home)
    rendered, removed = changes(home, 1, 2)
    assert removed == {f"people/{segment('Ben')}/"}
    # only what prints the name: the person's page, their photos' pages, the people and search pages
    # and the shared names table; grids and search shards carry ids only
    assert rendered == {"people/", f"people/{segment('Benjamin')}/", "photos/0/1.html", "photos/0/3.html", "search/",
                        "people/_people.json"}
    page = (home / "site" / "photos/0/1.html").read_text(encoding="utf-8")
    assert ">Benjamin</span>" in page and ">Ben</span>" not in page
    assert not build(home).published


def test_no_faces_means_no_people_pages_and_no_home_link(tmp_path):
    write_golden_library(tmp_path)
    build(tmp_path)
    assert not (tmp_path / "site" / "people").exists() and not (tmp_path / "site" / "faces").exists()
    assert "people/" not in html(tmp_path / "site", "")
