"""Formats beyond Pillow's defaults: JPEG XL (pillow-jxl-plugin), PSD composites and JPEG 2000 are
indexed; an image no decoder reads (GIMP XCF, Photoshop PSB, ...) is recorded `unsupported` with its
format named, never dropped by the scan. Test files are generated here, never copied in."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from PIL import Image

from tests.media_helpers import PassHarness, write_psd, write_xcf


def picture(size: tuple[int, int] = (640, 400)) -> Image.Image:
    """A landscape picture with a red top-left corner, to check orientation and colours."""
    image = Image.new("RGB", size, (30, 90, 200))
    image.paste((220, 20, 20), (0, 0, size[0] // 4, size[1] // 4))
    return image


def grid_of(harness: PassHarness, path: str) -> Image.Image:
    """The 400 px grid thumbnail the thumbs pass wrote for a photo, as RGB."""
    key = harness.row("thumbnails", path)["thumb_key"]
    with Image.open(Path(harness.context.thumbs_dir) / key[:2] / f"{key}-400.webp") as image:
        return image.convert("RGB")


def assert_upright_landscape(grid: Image.Image, path: str) -> None:
    """640x400 -> 400x250, red corner top left, blue body: not rotated, colours kept."""
    corner, body = grid.getpixel((5, 5)), grid.getpixel((300, 200))
    assert grid.size == (400, 250), (path, grid.size)
    assert corner[0] > 180 and corner[2] < 70 and body[2] > 160 and body[0] < 70, (path, corner, body)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    pytest.importorskip("pillow_jxl")
    root = tmp_path / "photos"
    root.mkdir()
    picture().save(root / "modern.jxl", "JXL", quality=90)
    write_psd(root / "layout.psd", picture())
    picture().save(root / "archive.jp2", "JPEG2000")
    write_xcf(root / "drawing.xcf")
    big = root / "poster-psb"  # no extension: recognised by its magic only
    big.write_bytes(b"8BPS" + struct.pack(">H6xHIIHH", 2, 3, 40, 60, 8, 3) + bytes(64))
    return root


def test_scan_and_index_thumbnail_new_formats_and_record_the_unsupported(library: Path, tmp_path: Path) -> None:
    harness = PassHarness(tmp_path / "work", library)
    report = harness.scan()
    assert set(harness.ids) == {"modern.jxl", "layout.psd", "archive.jp2", "drawing.xcf", "poster-psb"}
    assert report.skipped == []
    harness.run("exif", "thumbs", "colors")
    for path in ("modern.jxl", "layout.psd", "archive.jp2"):
        assert harness.photo(path)["status"] == "ok", harness.pass_run("thumbs", path)
        assert json.loads(harness.row("thumbnails", path)["widths"])[0] == 400
        assert_upright_landscape(grid_of(harness, path), path)
        assert (harness.row("exif", path)["width"], harness.row("exif", path)["height"]) == (640, 400)
        colors = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in json.loads(harness.row("colors", path)["colors"])]
        assert any(b > 160 > r for r, _, b in colors) and any(r > 180 > b for r, _, b in colors), (path, colors)
    assert harness.row("exif", "modern.jxl")["format"] == "JXL"
    assert harness.row("exif", "layout.psd")["format"] == "PSD"
    for path, named in (("drawing.xcf", "GIMP XCF"), ("poster-psb", "Photoshop large document (PSB)")):
        run = harness.pass_run("thumbs", path)
        assert (run["status"], run["error_code"]) == ("error", "unsupported"), run
        assert named in run["error"] and "no decoder" in run["error"]
        assert harness.photo(path)["error_code"] == "unsupported"
        assert harness.row("thumbnails", path) is None


def test_jpeg_xl_pixels_are_upright_as_decoded_whatever_the_exif_tag_says(tmp_path: Path) -> None:
    """libjxl applies the codestream orientation; the EXIF tag inside is informative only (as for HEIF)."""
    pytest.importorskip("pillow_jxl")
    exif = Image.Exif()
    exif[274] = 6
    picture().save(tmp_path / "tagged.jxl", "JXL", exif=exif.tobytes(), quality=90)
    harness = PassHarness(tmp_path / "work", tmp_path)
    harness.add("tagged.jxl")
    harness.run("exif", "thumbs")
    assert (harness.row("exif", "tagged.jxl")["width"], harness.row("exif", "tagged.jxl")["height"]) == (640, 400)
    assert_upright_landscape(grid_of(harness, "tagged.jxl"), "tagged.jxl")


def test_an_image_extension_without_image_content_is_unsupported_not_dropped(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    root.mkdir()
    (root / "sketch.kra").write_bytes(b"PK\x03\x04" + bytes(60))  # Krita: a zip no decoder reads
    harness = PassHarness(tmp_path / "work", root)
    harness.scan()
    result = next(iter(harness.run("thumbs").values()))
    assert result.error_code == "unsupported" and ".kra" in result.error
