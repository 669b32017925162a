"""The five default passes driven as the runner drives them, over the shared corpus: the facts of
manifest.json, the error codes of every rejected file, RAW, video, places, colours and hashes."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.media_helpers import PassHarness

# The documented rule (media/errors.py): not an image -> unsupported, broken image -> corrupt,
# data ends early -> truncated, zero bytes -> empty, over a limit -> too_large.
REJECT_CODES = {
    "broken/truncated_jpeg.jpg": "truncated",
    "broken/broken.png": "corrupt",
    "broken/decompression_bomb.gif": "too_large",
    "broken/png_decompression_dos.png": "too_large",
    "broken/crash-0c7e0e8e11ce787078f00b5b0ca409a167f070e0.tif": "corrupt",
    "broken/beach.jpg": "corrupt",
    "broken/NullPointerException.HeifPictureHandler.processBox.heif": "truncated",
    "broken/empty.heic": "empty",
    "broken/made_zero_bytes.jpg": "empty",
    "broken/made_text_named.jpg": "unsupported",
    "broken/made_html_named.JPG": "unsupported",
    "broken/made_truncated_half_DSCN0021.jpg": "truncated",
    "broken/made_header_only_DSCN0012.jpg": "truncated",
    "formats/jxl/JXL.jxl": "corrupt",  # a 22-byte dummy codestream: pillow-jxl-plugin recognises it, libjxl cannot decode it
}
COLOR_SAMPLE = ("exif/gps/DSCN0010.jpg", "formats/webp/Alpha Lossy (1).webp", "neardup/cmyk_vs_rgb/pil_sample_cmyk.jpg",
                "formats/png/RGB_16__128x128.png", "video/with-gps.mp4")


def exif_date(text: str) -> str:
    """'2008:10:22 16:28:39' -> '2008-10-22T16:28:39'."""
    return text[:10].replace(":", "-") + "T" + text[11:19]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, corpus: Path, manifest: dict) -> PassHarness:
    """Every non-skip corpus file through exif, thumbs, phash and geocode; colours on a sample."""
    harness = PassHarness(tmp_path_factory.mktemp("index"), corpus)
    for entry in manifest["files"]:
        if entry["expect"]["decision"] != "skip":
            harness.add(entry["dest"])
    harness.run("exif", "thumbs", "phash", "geocode")
    return harness


def entries(manifest: dict, *decisions: str) -> list[dict]:
    return [entry for entry in manifest["files"] if entry["expect"]["decision"] in decisions]


def test_every_indexable_file_gets_its_manifest_facts(indexed: PassHarness, manifest: dict) -> None:
    checked = 0
    for entry in entries(manifest, "index"):
        expect, exif = entry["expect"], indexed.row("exif", entry["dest"])
        assert exif is not None, entry["dest"]
        assert (exif["width"], exif["height"]) == (expect["oriented_width"], expect["oriented_height"]), entry["dest"]
        date = expect.get("datetime_original", "")
        if date[:4].isdigit() and date[:4] != "0000":
            assert exif["taken_at"][:19] == exif_date(date) and exif["taken_at_source"] == "exif", entry["dest"]
        if expect.get("make"):
            assert exif["camera_make"] == expect["make"].strip(), entry["dest"]
            assert exif["camera_model"] == expect["model"].split("\x00")[0].strip(), entry["dest"]
        if expect.get("gps"):
            assert exif["gps_lat"] == pytest.approx(expect["gps"][0], abs=1e-4), entry["dest"]
            assert exif["gps_lon"] == pytest.approx(expect["gps"][1], abs=1e-4), entry["dest"]
        else:
            assert exif["gps_lat"] is None and exif["gps_lon"] is None, entry["dest"]
        checked += 1
    assert checked > 100


def test_every_indexable_file_gets_thumbnails_and_a_hash(indexed: PassHarness, manifest: dict) -> None:
    thumbs_dir = Path(indexed.context.thumbs_dir)
    for entry in entries(manifest, "index"):
        row = indexed.row("thumbnails", entry["dest"])
        assert row is not None, entry["dest"]
        widths = json.loads(row["widths"])
        assert widths[0] == 400
        for width in widths:
            extension = "webp" if width == 400 else "jpg"
            assert (thumbs_dir / row["thumb_key"][:2] / f"{row['thumb_key']}-{width}.{extension}").is_file()
        assert re.fullmatch(r"[0-9a-f]{16}", indexed.row("phashes", entry["dest"])["phash"]), entry["dest"]
        assert indexed.photo(entry["dest"])["status"] == "ok"
    assert not list(thumbs_dir.rglob(".tmp-*")), "temporary thumbnail files left behind"


def test_rejected_files_get_the_documented_error_code(indexed: PassHarness, manifest: dict) -> None:
    rejected = {entry["dest"] for entry in entries(manifest, "reject")}
    assert rejected == set(REJECT_CODES)
    for path, code in REJECT_CODES.items():
        run = indexed.pass_run("thumbs", path)
        assert (run["status"], run["error_code"]) == ("error", code), (path, run["error"])
        assert run["error"] and str(indexed.root) not in run["error"]
        photo = indexed.photo(path)
        assert photo["status"] == "error" and photo["error_code"] == code
        assert indexed.row("thumbnails", path) is None


def test_exif_survives_broken_pixels(indexed: PassHarness) -> None:
    """The truncated copy keeps its intact EXIF: date, camera and GPS are read, then geocoded."""
    exif = indexed.row("exif", "broken/made_truncated_half_DSCN0021.jpg")
    assert exif["taken_at"] == "2008-10-22T16:38:20" and exif["camera_model"] == "COOLPIX P6000"
    assert indexed.row("places", "broken/made_truncated_half_DSCN0021.jpg")["place"] == "Arezzo"


def test_places_match_the_manifest(indexed: PassHarness, manifest: dict) -> None:
    located = [entry for entry in manifest["files"] if entry["expect"].get("place_reverse_geocoder")
               and entry["expect"]["decision"] in ("index", "video")]
    assert len(located) > 20
    for entry in located:
        expected, place = entry["expect"]["place_reverse_geocoder"], indexed.row("places", entry["dest"])
        assert place is not None, entry["dest"]
        assert (place["place"], place["admin"], place["country_code"]) == (
            expected["name"], expected["admin1"], expected["cc"]), entry["dest"]
        assert place["country"] and len(place["country"]) > 2
    italy = indexed.row("places", "exif/gps/DSCN0010.jpg")
    assert italy["country"] == "Italy"


def test_photos_without_a_location_have_no_place(indexed: PassHarness) -> None:
    for path in ("exif/gps/Samsung GT-I9000 (Galaxy S).jpg", "exif/dates/exif_gps_future.jpg",
                 "exif/cameras/Canon_40D.jpg"):
        assert indexed.row("exif", path)["gps_lat"] is None
        assert indexed.row("places", path) is None
        assert indexed.pass_run("geocode", path)["status"] == "ok"


def test_raw_files_get_metadata_and_a_preview_or_a_clear_error(indexed: PassHarness, manifest: dict) -> None:
    for entry in entries(manifest, "raw"):
        expect, exif = entry["expect"], indexed.row("exif", entry["dest"])
        date = expect.get("datetime_original") or expect.get("exiftool_datetime_original")
        make = expect.get("make") or expect.get("exiftool_make")
        if entry["dest"].endswith((".crw", ".x3f")):  # no TIFF inside: dated by name or mtime
            assert exif["taken_at_source"] in ("filename", "folder", "mtime")
        else:
            assert exif["taken_at"][:19] == exif_date(date), entry["dest"]
            assert exif["camera_make"] == make, entry["dest"]
        assert exif["format"] == Path(entry["dest"]).suffix[1:].upper()
        thumbs = indexed.pass_run("thumbs", entry["dest"])
        if thumbs["status"] == "ok":
            assert indexed.row("thumbnails", entry["dest"])["widths"] == "[400]"
        else:
            assert thumbs["error_code"] in ("unsupported", "truncated", "corrupt") and "RAW" in thumbs["error"]
    assert indexed.pass_run("thumbs", "raw/FujiFilm.raf")["status"] == "ok"
    assert indexed.pass_run("thumbs", "raw/CanonRaw.cr3")["error_code"] == "unsupported"


def test_jpeg_content_with_a_raw_name_is_a_photo(indexed: PassHarness) -> None:
    exif = indexed.row("exif", "burst/Issue 247-2.nef")
    assert exif["format"] == "JPEG" and exif["taken_at"].startswith("2010-03-01T21:50:40")
    assert json.loads(indexed.row("thumbnails", "burst/Issue 247-2.nef")["widths"]) == [400, 1280, 1920]


def test_videos_get_duration_capture_time_gps_and_a_poster(indexed: PassHarness, manifest: dict) -> None:
    for entry in entries(manifest, "video"):
        video, exif = entry["expect"]["video"], indexed.row("exif", entry["dest"])
        assert exif["duration"] == pytest.approx(video["Duration"], abs=0.02), entry["dest"]
        width, height = video["ImageWidth"], video["ImageHeight"]
        if video["Rotation"] in (90, 270):
            width, height = height, width
        assert (exif["width"], exif["height"]) == (width, height)
        if entry["expect"].get("gps"):
            assert exif["gps_lat"] == pytest.approx(entry["expect"]["gps"][0], abs=1e-4)
    mp4 = indexed.row("exif", "video/with-gps.mp4")
    assert (mp4["taken_at"], mp4["tz_offset"], mp4["taken_at_source"]) == ("2017-02-22T08:20:28", "+00:00", "quicktime")
    iphone = indexed.row("exif", "video/with-gps.mov")  # Apple's local creation date beats UTC creation_time
    assert (iphone["taken_at"], iphone["tz_offset"], iphone["camera_model"]) == ("2019-07-24T11:25:40", "+03:00", "iPhone 6")
    assert indexed.row("exif", "video/short_hamilton_clip.mp4")["taken_at_source"] != "quicktime"  # zero date
    assert json.loads(indexed.row("thumbnails", "video/with-gps.mp4")["widths"]) == [400, 1280, 1920]  # 0.17 s clip
    assert json.loads(indexed.row("thumbnails", "video/with-gps.mov")["widths"]) == [400, 1280]  # 568x320: long edge past the grid box
    metadata_only = indexed.pass_run("thumbs", "video/QuickTime.mov")
    assert metadata_only["error_code"] == "corrupt" and "frame" in metadata_only["error"]


def test_colors_are_colorthiefs_palette_of_the_grid_thumbnail(indexed: PassHarness) -> None:
    from colorthief import ColorThief

    results = indexed.run("colors")
    assert len(results) > 100
    for path in COLOR_SAMPLE:
        colors = json.loads(indexed.row("colors", path)["colors"])
        key = indexed.row("thumbnails", path)["thumb_key"]
        grid = Path(indexed.context.thumbs_dir) / key[:2] / f"{key}-400.webp"
        expected = ["#%02x%02x%02x" % color for color in ColorThief(str(grid)).get_palette(color_count=5)]
        assert colors == expected and 1 <= len(colors) <= 5, path


def test_passes_are_done_once_and_retried_only_with_force(indexed: PassHarness) -> None:
    assert indexed.run("exif", "thumbs", "phash") == {}
    again = indexed.run("phash", force=True)
    assert again and all(result.ok for result in again.values())


def test_identical_content_shares_thumbnails(indexed: PassHarness) -> None:
    first = indexed.row("thumbnails", "faces/train/obama/obama.jpg")
    second = indexed.row("thumbnails", "neardup/obama/obama.jpg")
    assert first["thumb_key"] == second["thumb_key"]
    assert indexed.row("phashes", "faces/train/obama/obama.jpg") == {
        **indexed.row("phashes", "neardup/obama/obama.jpg"), "photo_id": indexed.ids["faces/train/obama/obama.jpg"]}


def test_a_smaller_pixel_limit_refuses_big_images(tmp_path: Path, corpus: Path) -> None:
    harness = PassHarness(tmp_path, corpus, max_pixels=1_000_000)
    harness.add("neardup/hdr/canon_hdr_NO.jpg")
    harness.add("exif/gps/DSCN0010.jpg")
    results = harness.run("thumbs")
    big = results[harness.ids["neardup/hdr/canon_hdr_NO.jpg"]]
    assert big.error_code == "too_large" and "1,000,000" in big.error and "2048x1536" in big.error
    assert results[harness.ids["exif/gps/DSCN0010.jpg"]].ok


def test_a_file_over_the_size_limit_is_too_large(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (1200, 900), "red").save(tmp_path / "big.png")
    (tmp_path / "big.png").write_bytes((tmp_path / "big.png").read_bytes() + os.urandom(1_200_000))
    harness = PassHarness(tmp_path / "work", tmp_path, max_file_mb=1)
    harness.add("big.png")
    result = next(iter(harness.run("thumbs").values()))
    assert result.error_code == "too_large" and "1 MiB" in result.error


def test_a_missing_grid_thumbnail_is_missing_input(tmp_path: Path, corpus: Path) -> None:
    harness = PassHarness(tmp_path, corpus)
    harness.add("exif/gps/DSCN0012.jpg")
    harness.run("thumbs")
    for thumb in Path(harness.context.thumbs_dir).rglob("*.webp"):
        thumb.unlink()
    result = next(iter(harness.run("phash").values()))
    assert result.error_code == "missing_input" and "--force-thumbs" in result.error
    assert harness.row("phashes", "exif/gps/DSCN0012.jpg") is None
    again = harness.run("thumbs", "phash", force=True)
    assert next(iter(again.values())).ok and harness.row("phashes", "exif/gps/DSCN0012.jpg")
