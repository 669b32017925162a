"""Metadata rules: capture-time order and lenient parsing, XMP sidecars, odd EXIF, GPS refs, and
originals that stay byte-identical (opened read-only) through every default pass."""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gallery_builder.media.dates import (date_from_filename, date_from_folders, parse_exif_datetime,
                                         parse_iso_datetime)
from gallery_builder.media.exif_tags import Tags, clean_text, gps_facts
from gallery_builder.media.metadata import read_facts
from gallery_builder.media.sniff import sniff_bytes
from tests.media_helpers import PassHarness

MTIME_2020 = int(datetime(2020, 9, 13, 12, 26, 40, tzinfo=timezone.utc).timestamp() * 1e9)


def facts(path: Path, kind: str = "photo") -> dict:
    return read_facts(str(path), kind, MTIME_2020, 200_000_000)


def test_exif_date_with_offset_and_subseconds(corpus: Path) -> None:
    row = facts(corpus / "exif/robustness/empty_gps_ifd.jpg")
    assert row["taken_at"].startswith("2020-07-27T14:46:48.780") and row["taken_at_source"] == "exif"
    assert row["orientation"] == 6 and (row["width"], row["height"]) == (10, 10)


def test_malformed_unset_and_blank_dates(corpus: Path) -> None:
    assert facts(corpus / "faces/train/obama/obama2.jpg")["taken_at"] == "2009-09-09T20:27:09.600"
    for unset in ("exif/dates/Olympus C860L.jpg", "exif/dates/FujiFilm DX-5.jpg"):
        assert facts(corpus / unset)["taken_at_source"] == "mtime", unset
    assert parse_exif_datetime("0000:00:00 00:00:00") is None
    assert parse_exif_datetime("    :  :     :  :  ") is None
    assert parse_exif_datetime("2021:02:30 10:00:00") is None  # no 30 February


def test_exif_date_wins_over_create_date_and_xmp(corpus: Path) -> None:
    row = facts(corpus / "exif/dates/date-priority-test.jpg")
    assert (row["taken_at"], row["taken_at_source"]) == ("2023-02-02T02:00:00", "exif")


def test_utf16_xmp_sidecar_gives_the_date(corpus: Path) -> None:
    row = facts(corpus / "exif/dates/Casio QV-7000SX.jpg")
    assert (row["taken_at"], row["tz_offset"], row["taken_at_source"]) == ("2010-09-27T14:35:33", "+02:00",
                                                                          "xmp_sidecar")


def test_sidecar_named_with_the_full_file_name(corpus: Path, tmp_path: Path) -> None:
    shutil.copy(corpus / "derived/resized/DSCN0012_thumb160_noexif.jpg", tmp_path / "scan.jpg")
    (tmp_path / "scan.jpg.xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>'
        "<photoshop:DateCreated>1987-06-05T04:03:02</photoshop:DateCreated>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>", encoding="utf-8")
    row = facts(tmp_path / "scan.jpg")
    assert (row["taken_at"], row["taken_at_source"]) == ("1987-06-05T04:03:02", "xmp_sidecar")


def test_name_then_folder_then_mtime(corpus: Path, tmp_path: Path) -> None:
    plain = corpus / "derived/resized/DSCN0012_thumb160_noexif.jpg"
    named = tmp_path / "2024" / "2024-05-17 Party" / "PXL_20230514_153012345.jpg"
    named.parent.mkdir(parents=True)
    shutil.copy(plain, named)
    row = facts(named)
    assert (row["taken_at"], row["taken_at_source"]) == ("2023-05-14T15:30:12.345", "filename")
    in_folder = named.with_name("DSC01234.jpg")
    shutil.copy(plain, in_folder)
    assert (facts(in_folder)["taken_at"], facts(in_folder)["taken_at_source"]) == ("2024-05-17T00:00:00", "folder")
    row = facts(plain)
    assert row["taken_at_source"] == "mtime"
    assert datetime.fromisoformat(row["taken_at"] + row["tz_offset"]).timestamp() == MTIME_2020 / 1e9


@pytest.mark.parametrize("name, expected", [
    ("IMG_20230514_153012.jpg", "2023-05-14T15:30:12"), ("2023-05-14 15.30.12.jpg", "2023-05-14T15:30:12"),
    ("IMG-20230514-WA0001.jpg", "2023-05-14T00:00:00"), ("Screenshot_2023-05-14-15-30-12.png", "2023-05-14T15:30:12"),
    ("DSC01234.JPG", None), ("20231301_000000.jpg", None), ("1234520230514.jpg", None)])
def test_dates_in_file_names(name: str, expected: str | None) -> None:
    found = date_from_filename("/photos/" + name)
    assert (found.taken_at if found else None) == expected


def test_dates_in_folder_names() -> None:
    assert date_from_folders("/p/2024/2024-05-17/a.jpg").taken_at == "2024-05-17T00:00:00"
    assert date_from_folders("/p/2024/05/17/a.jpg").taken_at == "2024-05-17T00:00:00"
    assert date_from_folders("/p/holidays/a.jpg") is None


def test_future_dates_are_flagged(corpus: Path) -> None:
    row = facts(corpus / "exif/dates/exif_gps_future.jpg")
    assert row["taken_at"] == "2099-09-29T10:10:10" and row["date_in_future"] is True
    assert row["exposure_time"] is None  # 4294967295 s is garbage
    assert facts(corpus / "exif/gps/DSCN0010.jpg")["date_in_future"] is False
    assert parse_iso_datetime("2099-01-01T00:00:00+02:00", "xmp").is_in_future()


def test_gps_refs_and_null_island(corpus: Path) -> None:
    samsung = facts(corpus / "exif/gps/Samsung GT-I9000 (Galaxy S).jpg")
    assert samsung["gps_lat"] is None and (samsung["width"], samsung["height"]) == (480, 640)
    garbage = facts(corpus / "exif/dates/exif_gps_future.jpg")
    assert garbage["gps_lat"] is None
    south_west = Tags(gps={1: "S", 2: (33.0, 51.0, 36.0), 3: "W", 4: (151.0, 12.0, 0.0), 5: b"\x01", 6: 12.5})
    assert gps_facts(south_west) == {"gps_lat": -33.86, "gps_lon": -151.2, "gps_alt": -12.5}
    assert gps_facts(Tags(gps={2: (33.0, 51.0, 36.0), 4: (151.0, 12.0, 0.0)}))["gps_lat"] is None
    assert gps_facts(Tags(gps={1: "X", 2: (33.0, 0.0, 0.0), 3: "E", 4: (151.0, 0.0, 0.0)}))["gps_lat"] is None


def test_camera_text_is_trimmed_and_cut_at_nul(corpus: Path) -> None:
    row = facts(corpus / "exif/cameras/WWL_(Polaroid)_ION230.jpg")
    assert (row["camera_make"], row["camera_model"]) == ("WWL", "ION230")
    assert clean_text(b"  Canon\x00\x00 ") == "Canon" and clean_text("\x00") is None


def test_lens_and_exposure(corpus: Path) -> None:
    row = facts(corpus / "exif/gps/DSCN0010.jpg")
    assert row["focal_length"] == pytest.approx(24.0) and row["aperture"] == pytest.approx(5.9)
    assert row["exposure_time"] == pytest.approx(1 / 75) and row["iso"] == 64


def test_content_decides_the_format(corpus: Path) -> None:
    assert facts(corpus / "library_quirks/DCIM/100CANON/IMG_0042")["format"] == "JPEG"
    png_named = facts(corpus / "library_quirks/DCIM/100CANON/IMG_0043.png")
    assert png_named["format"] == "JPEG" and png_named["camera_model"] == "Canon PowerShot S30"
    assert sniff_bytes(b"<!DOCTYPE html><html>").format == "HTML"
    assert sniff_bytes(b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01").family == "raw"


def test_originals_stay_byte_identical(corpus: Path, tmp_path: Path, manifest: dict) -> None:
    """Index a read-only copy with every default pass; no file changes, no file appears beside them."""
    library = tmp_path / "library"
    chosen = [entry["dest"] for entry in manifest["files"]
              if entry["dest"].split("/")[0] in ("exif", "formats", "raw", "video", "broken")]
    for relative in chosen:
        (library / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / relative, library / relative)
    before = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in library.rglob("*") if path.is_file()}
    for path in [*before, *(p for p in library.rglob("*") if p.is_dir()), library]:
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | (stat.S_IXUSR if path.is_dir() else 0))
    harness = PassHarness(tmp_path / "work", library)
    for relative in chosen:
        if not relative.endswith(".xmp"):
            harness.add(relative)
    try:
        results = harness.run("exif", "thumbs", "phash", "geocode")  # colors reads thumbnails only
        assert results
        after = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in library.rglob("*") if path.is_file()}
        assert after == before
    finally:
        for path in library.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        library.chmod(0o755)
    assert os.path.isdir(harness.context.thumbs_dir)
