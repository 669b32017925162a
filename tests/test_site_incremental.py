"""Incremental, atomic publishing: a rebuild renders exactly the pages whose inputs changed,
reuses the rest (hard links, shared photo buckets), deletes stale pages, publishes nothing when
nothing changed, keeps one previous generation, and an interrupted build leaves the site intact."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from gallery_builder.site.urls import segment
from tests.site_fixtures import (GOLDEN_COVERAGE, GOLDEN_ERRORS, Row, build, golden_rows, site_files, with_changes,
                                 write_library)

HIKE = segment("2023-08-09 Hike")


def write(home: Path, rows: list[Row]) -> None:
    write_library(home, rows, coverage=GOLDEN_COVERAGE, errors=GOLDEN_ERRORS)


def fingerprints(home: Path, generation: int) -> dict[str, str]:
    """Every page's fingerprint: the generation's own pages and those of its units (in the store)."""
    manifest = json.loads((home / "site-generations" / f"{generation}.json").read_text())
    pages = dict(manifest["pages"])
    for _, name, _ in manifest["units"].values():
        pages.update(json.loads((home / "site-generations/store" / f"{name}.json").read_text())["pages"])
    return {url: entry[0] for url, entry in pages.items()}


def changes(home: Path, before: int, after: int) -> tuple[set[str], set[str]]:
    """(URLs rendered anew, URLs removed) between two generations."""
    old, new = fingerprints(home, before), fingerprints(home, after)
    return {url for url, value in new.items() if old.get(url) != value}, set(old) - set(new)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    write(tmp_path, golden_rows())
    report = build(tmp_path)
    assert report.generation == 1
    return tmp_path


def test_a_build_with_nothing_to_change_publishes_nothing(home):
    listing = sorted(os.listdir(home / "site-generations"))
    report = build(home)
    assert not report.published and report.rendered == 0 and report.reused == report.pages
    assert sorted(os.listdir(home / "site-generations")) == listing
    assert os.readlink(home / "site") == "site-generations/1"
    assert "Nothing changed" in report.summary()


def test_adding_a_folder_renders_exactly_the_affected_pages(home):
    added = [Row(100, "photos", "2023/2023-08-09 Hike/DSC_0100.JPG", "2023-08-09T10:00:00"),
             Row(101, "photos", "2023/2023-08-09 Hike/DSC_0101.JPG", "2023-08-09T10:30:00")]
    write(home, golden_rows() + added)
    report = build(home)
    changed, removed = changes(home, 1, 2)
    assert changed == {"photos/0/100.html", "photos/0/101.html", f"folders/photos/2023/{HIKE}/", "folders/photos/2023/",
                       "folders/photos/", "years/2023/", "", "search/", "search/index/2023.json",
                       "search/index/manifest.json", "data/on-this-day/08.json", "status/"}
    assert removed == set()
    assert (report.rendered, report.removed) == (len(changed), 0)
    assert "DSC_0101.JPG" in (home / "site" / f"folders/photos/2023/{HIKE}/index.html").read_text()


def test_changing_a_capture_date_moves_the_photo_and_updates_both_days(home):
    rows = [with_changes(row, taken_at="2022-03-05T12:05:00") if row.id == 11 else row for row in golden_rows()]
    write(home, rows)
    build(home)
    changed, removed = changes(home, 1, 2)
    assert changed == {"photos/0/11.html",                                   # the photo itself
                       "photos/0/10.html", "photos/0/15.html",                   # its old day neighbours
                       "photos/0/7.html", "photos/0/8.html", "photos/0/9.html",      # its new day ("n of 4 on this day")
                       "years/2022/", "years/2023/", "folders/photos/2023/06/",
                       "folders/photos/2023/", "folders/photos/", "",     # folder covers (first photo) and counts
                       "search/index/2022.json", "search/index/2023.json", "search/index/manifest.json",
                       "data/on-this-day/06.json", "data/on-this-day/03.json"}
    assert removed == set()
    page = (home / "site/photos/0/9.html").read_text()
    assert 'rel="next" href="../../photos/0/11.html"' in page and "3 of 4 on this day" in page


def test_deleting_a_photo_removes_its_page_and_updates_its_neighbours(home):
    rows = [with_changes(row, status="missing") if row.id == 12 else row for row in golden_rows()]
    write(home, rows)
    report = build(home)
    changed, removed = changes(home, 1, 2)
    assert removed == {"photos/0/12.html"} and report.removed == 1
    assert changed == {"photos/0/13.html", "years/2023/", "folders/photos/2023/06/", "folders/photos/2023/",
                       "folders/photos/", "", "search/index/2023.json", "search/index/manifest.json",
                       "map/", "map/points.json", "data/on-this-day/06.json", "status/"}   # map/: "7 geotagged photos"
    assert not (home / "site/photos/0/12").exists()
    assert 'rel="prev"' not in (home / "site/photos/0/13.html").read_text()


def test_unchanged_files_are_shared_with_the_previous_generation(home):
    before = {name: path.stat().st_ino for name, path in site_files(home / "site").items()}
    buckets_before = {path.name: os.readlink(path) for path in (home / "site/photos").iterdir()}
    rows = [with_changes(row, status="missing") if row.id == 12 else row for row in golden_rows()]
    rows.append(Row(5001, "photos", "2023/06/IMG_5001.JPG", "2024-02-02T10:00:00"))
    write(home, rows)
    build(home)
    after = {name: path.stat().st_ino for name, path in site_files(home / "site").items()}
    assert after["years/2021/index.html"] == before["years/2021/index.html"]
    assert after["photos/0/1.html"] == before["photos/0/1.html"]      # hard link into the new bucket
    assert after["years/2023/index.html"] != before["years/2023/index.html"]
    buckets_after = {path.name: os.readlink(path) for path in (home / "site/photos").iterdir()}
    assert set(buckets_after) == {"0", "5"} and buckets_after["0"] != buckets_before["0"]


def test_one_previous_generation_is_kept_and_older_ones_are_removed(home):
    for taken_at in ("2021-01-02T10:00:00", "2021-01-03T10:00:00", "2021-01-04T10:00:00"):
        rows = [with_changes(row, taken_at=taken_at) if row.id == 5 else row for row in golden_rows()]
        write(home, rows)
        assert build(home).published
    generations = sorted(name for name in os.listdir(home / "site-generations") if name != "store")
    assert generations == [".lock", "3", "3.json", "4", "4.json"]
    assert os.readlink(home / "site") == "site-generations/4"
    stored = {path.name for path in (home / "site-generations/store/photos").iterdir()}
    in_use = set()
    for number in (3, 4):
        for unit, (_, name, _) in json.loads((home / f"site-generations/{number}.json").read_text())["units"].items():
            if unit.startswith("photos/"):
                in_use.update((os.path.basename(name), os.path.basename(name) + ".json"))
    assert stored == in_use


class InjectedFailure(RuntimeError):
    pass


def fail_on_third_page():
    seen = []

    def hook(page):
        seen.append(page.url)
        if len(seen) == 3:
            raise InjectedFailure(f"injected failure while rendering {page.url}")

    return hook


def snapshot(site: Path) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in site_files(site).items()}


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interrupted_build_leaves_the_old_site_serving(tmp_path, workers):
    # enough photos that workers=2 really renders in a process pool (see publish.PARALLEL_THRESHOLD)
    rows = [Row(index, "photos", f"2019/day{index // 50}/IMG_{index}.JPG", f"2019-03-{1 + index // 100:02d}T10:{index % 60:02d}:00")
            for index in range(1, 2201)]
    write_library(tmp_path, rows, thumbnails=False)
    build(tmp_path, workers=workers)
    before = snapshot(tmp_path / "site")
    write_library(tmp_path, [with_changes(row, taken_at="2019-04-01T09:00:00") for row in rows], thumbnails=False)
    with pytest.raises(InjectedFailure):
        build(tmp_path, workers=workers, before_render=fail_on_third_page())
    assert os.readlink(tmp_path / "site") == "site-generations/1"
    assert snapshot(tmp_path / "site") == before
    leftovers = [path for path in (tmp_path / "site-generations").rglob("*.tmp")]
    assert leftovers == [] and not (tmp_path / "site-generations/2").exists()
    report = build(tmp_path, workers=workers)
    assert report.published and report.generation == 2
    assert "Monday, 1 April 2019" in (tmp_path / "site/photos/0/7.html").read_text()


def test_a_template_change_re_renders_only_the_pages_that_use_it(home, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(Path(__file__).resolve().parents[1] / "templates", templates)
    photo = templates / "photo.html"
    photo.write_text(photo.read_text().replace("Download original", "Download the original"))
    build(home, templates_dir=templates)
    changed, removed = changes(home, 1, 2)
    assert changed == {f"photos/0/{number}.html" for number in range(1, 17)} and removed == set()
    assert "Download the original" in (home / "site/photos/0/1.html").read_text()


def test_a_site_folder_not_made_by_the_builder_is_refused(tmp_path):
    from gallery_builder.site.generations import PublishError

    write(tmp_path, golden_rows())
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("someone else's site")
    with pytest.raises(PublishError, match="is not a site published by `gallery build`"):
        build(tmp_path)
    assert (tmp_path / "site" / "index.html").read_text() == "someone else's site"
