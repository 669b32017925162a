"""A full build of the fixed small library: which pages exist, what they say, untrusted text
escaped, links relative (file:// copies), data files compressed, assets vendored with licences."""
from __future__ import annotations

import gzip
import html
import json
import re
from pathlib import Path

import pytest

from gallery_builder.site.cards import INLINE_LIMIT
from gallery_builder.site.library import LibraryError
from gallery_builder.site.urls import segment
from tests.site_fixtures import Row, build, site_files, write_golden_library, write_library


@pytest.fixture(scope="module")
def golden_site(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("golden")
    write_golden_library(home)
    report = build(home)
    assert report.published and report.removed == 0 and report.reused == 0
    return home / "site"


def read(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8") if url.endswith("/") or not url else \
        (site / url).read_text(encoding="utf-8")


def test_every_page_kind_is_published(golden_site):
    files = site_files(golden_site)
    for url in ["index.html", "years/2021/index.html", "years/2022/index.html", "years/2023/index.html",
                "years/undated/index.html", "folders/photos/index.html", "folders/photos/2021/index.html",
                f"folders/photos/2021/{segment('2021-07-14 Beach')}/index.html", "map/index.html",
                "map/points.json", "search/index.html", "search/index/manifest.json", "search/index/2021.json",
                "status/index.html", "data/on-this-day/07.json", "photos/0/1.html", "photos/0/16.html"]:
        assert url in files, url
    photo_pages = sorted(name for name in files if name.startswith("photos/"))
    assert len(photo_pages) == 16          # the 16 `ok` rows; the missing and the failed file get none
    assert "photos/0/17.html" not in files and "photos/0/18.html" not in files


def test_hostile_names_and_exif_strings_are_shown_as_text(golden_site):
    page = read(golden_site, "photos/0/7.html")
    assert "<img src=x onerror=alert(1)>" not in page and "onerror=alert(2)>" not in page
    assert html.escape("<img src=x onerror=alert(1)>.jpg", quote=False) in page
    assert "&lt;b&gt;Evil&lt;/b&gt;" in page
    folder = read(golden_site, f"folders/photos/2022/{segment('Family & Friends <3')}/")
    assert "Family &amp; Friends &lt;3" in folder and "Friends <3" not in folder
    inline = re.search(r'<script type="application/json" class="grid-data">(.*?)</script>', folder, re.S).group(1)
    assert "<" not in inline and json.loads(inline)["rows"][0][5] == "<img src=x onerror=alert(1)>.jpg"
    status = read(golden_site, "status/")
    assert "<script>x</script>" not in status and "&lt;script&gt;x&lt;/script&gt;" in status


def test_photo_page_facts_links_and_neighbours(golden_site):
    page = read(golden_site, "photos/0/2.html")
    assert "IMG_0002.JPG" in page and "Wednesday, 14 July 2021" in page and "10:05:00" in page
    assert "Canon EOS R6" in page and "RF24-105mm F4 L IS USM" in page and "1/250 s · f/4 · 35 mm · ISO 100" in page
    assert "Nice, Provence-Alpes-Cote d&#39;Azur, France" in page and 'data-lat="43.7031"' in page
    assert 'rel="prev" href="../../photos/0/1.html"' in page and 'rel="next" href="../../photos/0/3.html"' in page
    assert "2 of 3 on this day" in page
    assert 'href="../../originals/photos/2021/2021-07-14%20Beach/IMG_0002.JPG" download' in page
    assert 'href="../../folders/photos/2021/' + segment("2021-07-14 Beach") + '/"' in page
    srcset = re.search(r'srcset="([^"]+)"', page).group(1)
    assert srcset.count("w,") == 1 and "-400.webp 300w" in srcset and "-1280.jpg 480w" in srcset
    last_of_day = read(golden_site, "photos/0/3.html")
    assert 'rel="next"' not in last_of_day          # prev/next stay within the capture day


def test_video_raw_heic_and_odd_paths(golden_site):
    video = read(golden_site, "photos/0/6.html")
    assert "<video controls" in video and 'src="../../originals/photos/2021/2021-12-24/VID_0006.mp4"' in video
    assert "1:05" in video
    assert 'data-viewable="0"' in read(golden_site, "photos/0/8.html")      # HEIC: zoom stops at the preview
    assert 'data-viewable="0"' in read(golden_site, "photos/0/9.html")      # RAW
    assert 'data-viewable="1"' in read(golden_site, "photos/0/1.html")
    assert "originals/photos/caf%E9/menu.jpg" in read(golden_site, "photos/0/13.html")
    assert "originals/photos/scans/old%20photo%20%231%3F.png" in read(golden_site, "photos/0/14.html")
    assert "Date unknown" in read(golden_site, "photos/0/14.html")
    assert "camera clock was probably wrong" in read(golden_site, "photos/0/16.html")


def test_links_are_relative_so_a_file_copy_works(golden_site):
    for name, path in site_files(golden_site).items():
        if name.endswith(".html"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r'(href|src|srcset|action)="/', text), name
            assert "http://" not in text and "https://" not in text, name


def test_year_page_groups_by_month_and_day(golden_site):
    page = read(golden_site, "years/2021/")
    assert 'data-month="07"' in page and 'data-month="12"' in page
    assert page.index("Wednesday, 14 July 2021") < page.index("Thursday, 15 July 2021") < page.index("Friday, 24 December 2021")
    assert "2022 ›" in page


def test_home_lists_years_newest_first_and_recent_folders(golden_site):
    page = read(golden_site, "")
    years = re.findall(r'href="\./years/(\w+)/"', page)
    assert years == ["undated", "2031", "2023", "2022", "2021"]
    assert "Recent folders" in page and "16 photos and videos" in page
    assert 'data-on-this-day="./data/on-this-day/"' in page


def test_data_files_are_json_with_gzip_twins(golden_site):
    for name in ["search/index/2021.json", "search/index/manifest.json", "map/points.json", "data/on-this-day/07.json"]:
        raw = (golden_site / name).read_bytes()
        assert gzip.decompress((golden_site / (name + ".gz")).read_bytes()) == raw
        json.loads(raw)
    manifest = json.loads((golden_site / "search/index/manifest.json").read_text())
    assert {shard["year"]: shard["count"] for shard in manifest["shards"]} == {
        "2021": 6, "2022": 3, "2023": 5, "2031": 1, "undated": 1}
    shard = json.loads((golden_site / "search/index/2021.json").read_text())
    assert shard["fields"][:3] == ["id", "key", "w"] and len(shard["rows"]) == 6
    assert "Nice" in shard["tables"]["place"] and "Canon EOS R6" in shard["tables"]["camera"]
    points = json.loads((golden_site / "map/points.json").read_text())["points"]
    assert sorted(point[0] for point in points) == [1, 2, 3, 4, 10, 11, 12, 15]
    days = json.loads((golden_site / "data/on-this-day/07.json").read_text())["days"]
    assert [entry[1] for entry in days["07-14"]] == [1, 2, 3]


def test_assets_and_vendored_libraries_ship_with_their_licences(golden_site):
    assets = list((golden_site / "assets").iterdir())
    assert len(assets) == 1
    bundle = assets[0]
    for library in ["photoswipe", "justified-layout", "leaflet", "supercluster", "topojson-client", "world-atlas"]:
        assert (bundle / "vendor" / library / "LICENSE").is_file(), library
    assert (bundle / "js" / "grid.js").is_file() and (bundle / "css" / "site.css").is_file()
    assert (golden_site / "thumbs").resolve() == (golden_site.parent / "thumbs").resolve()


def test_a_big_page_ships_its_cards_in_a_data_file(tmp_path):
    rows = [Row(index + 1, "photos", f"2020/big/IMG_{index:05d}.JPG", f"2020-05-{1 + index // 300:02d}T10:{index % 60:02d}:00")
            for index in range(INLINE_LIMIT + 50)]
    write_library(tmp_path, rows, thumbnails=False)
    build(tmp_path)
    site = tmp_path / "site"
    page = read(site, "folders/photos/2020/big/")
    assert 'data-src="_photos.json"' in page and 'class="grid-data"' not in page
    data = json.loads((site / "folders/photos/2020/big/_photos.json").read_text())
    assert len(data["rows"]) == INLINE_LIMIT + 50 and data["fields"][0] == "id"
    script = (site / "folders/photos/2020/big/_photos.json.js").read_text()
    assert script.startswith("window.GALLERY_GRID=") and json.loads(script[len("window.GALLERY_GRID="):-2]) == data
    assert page.count('class="card') == 48        # the first screen only


def test_a_missing_export_is_a_clear_error(tmp_path):
    with pytest.raises(LibraryError, match="index photos first"):
        build(tmp_path)
    assert not (tmp_path / "site").exists()


def test_an_empty_export_still_publishes_home_search_map_and_status(tmp_path):
    write_library(tmp_path, [])
    report = build(tmp_path)
    site = tmp_path / "site"
    assert report.published
    assert "No photos yet" in read(site, "")
    assert (site / "status/index.html").exists() and (site / "search/index.html").exists()


def test_a_photo_without_thumbnails_gets_no_broken_image(tmp_path):
    rows = [Row(1, "photos", "2020/a/ok.jpg", "2020-01-01T10:00:00"),
            Row(2, "photos", "2020/a/no-thumbs.jpg", "2020-01-01T11:00:00", extra={"thumb_widths": []})]
    write_library(tmp_path, rows, thumbnails=False)
    build(tmp_path)
    site = tmp_path / "site"
    folder = read(site, "folders/photos/2020/a/")
    assert folder.count("<img src=") == 1 and '<span class="card-missing">no-thumbs.jpg</span>' in folder
    assert "No preview for this file yet" in read(site, "photos/0/2.html")
    assert 'rel="prev"' in read(site, "photos/0/2.html") and "<img src" not in read(site, "photos/0/1.html").split('rel="next"')[1].split("</a>")[0]


def test_descriptions_and_tags_reach_the_photo_page_and_the_search_index(tmp_path):
    from tests.site_fixtures import write_records

    record = Row(1, "photos", "2020/a/beach.jpg", "2020-01-01T10:00:00").record()
    record.update(description="Two dogs <b>running</b> on a beach", tags=["dog", "beach"], aesthetic_score=6.25)
    write_records(tmp_path, [record], thumbnails=False, extra_fields=[("description", "string"), ("tags", "list<string>"),
                                                                      ("aesthetic_score", "float64")])
    build(tmp_path)
    page = read(tmp_path / "site", "photos/0/1.html")
    assert "Two dogs &lt;b&gt;running&lt;/b&gt; on a beach" in page and "<li>dog</li>" in page and "6.2" in page
    shard = json.loads((tmp_path / "site" / "search/index/2020.json").read_text())
    assert shard["rows"][0][shard["fields"].index("text")] == "Two dogs <b>running</b> on a beach dog beach"


def test_score_concepts_critique_and_a_disputed_description_reach_the_photo_page(tmp_path):
    from tests.site_fixtures import write_concepts, write_records

    records = [Row(ident, "photos", f"2020/a/{ident}.jpg", f"2020-01-0{ident}T10:00:00").record() for ident in (1, 2)]
    records[0].update(description="A dog on a beach", aesthetic_score=7.46, description_disputed=True,
                      critique="Bold light; <crop> the left edge.")
    records[1].update(description="A quiet street", aesthetic_score=None, description_disputed=False, critique=None)
    write_records(tmp_path, records, thumbnails=False, extra_fields=[
        ("description", "string"), ("aesthetic_score", "float64"), ("description_disputed", "bool"),
        ("critique", "string")])
    write_concepts(tmp_path, [(1, "sharp", 0.981), (1, "blurry", 0.019), (1, "landscape", 0.874), (1, "food", 0.5),
                              (2, "blurry", 0.49)])
    build(tmp_path)
    first, second = read(tmp_path / "site", "photos/0/1.html"), read(tmp_path / "site", "photos/0/2.html")
    assert '<dd class="aesthetic-score">7.5 / 10</dd>' in first and "aesthetic-score" not in second
    concepts = first.split('<ul class="concepts">')[1].split("</ul>")[0]
    assert re.findall(r"<li>([^<]*)</li>", concepts) == ["sharp 98%", "landscape 87%", "food 50%"]
    assert '<ul class="concepts">' not in second   # no concept reaches half of its question
    assert "Bold light; &lt;crop&gt; the left edge." in first and "Critique" not in second
    assert 'class="description disputed"' in first and "disputed-note" in first
    assert 'class="description"' in second and "disputed-note" not in second
    write_concepts(tmp_path, [(1, "sharp", 0.2), (1, "blurry", 0.8), (2, "blurry", 0.49)])
    report = build(tmp_path)   # concepts live in another file: the page's fingerprint still covers them
    assert "blurry 80%" in read(tmp_path / "site", "photos/0/1.html") and report.rendered >= 1


def test_a_second_build_waits_for_the_first_instead_of_failing(tmp_path):
    """The sidecar republishes after each decision while a person may run `gallery build`: the
    later build waits for the lock, and gives up with a clear message only after its wait."""
    import threading

    from gallery_builder.site.generations import PublishError, SiteLayout, build_lock

    layout = SiteLayout(tmp_path / "site")
    entered = threading.Event()
    release = threading.Event()

    def first() -> None:
        with build_lock(layout):
            entered.set()
            release.wait(10)

    holder = threading.Thread(target=first)
    holder.start()
    assert entered.wait(10)
    with pytest.raises(PublishError, match="try again when it ends"):
        with build_lock(layout, wait_seconds=0.3):
            pass
    waited: list[bool] = []
    second = threading.Thread(target=lambda: waited.append(_enter(build_lock(layout, wait_seconds=20))))
    second.start()
    release.set()
    holder.join(10)
    second.join(20)
    assert waited == [True]


def _enter(lock) -> bool:
    with lock:
        return True
