"""Thumbnails: upright pictures whatever the EXIF orientation, HEIC rotated exactly once, colour
modes (CMYK, 16-bit, alpha, palette), DCT-scaled decoding, atomic content-addressed files."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy
import pytest
from PIL import Image

from gallery_builder.media.errors import MediaError, classify
from gallery_builder.media.pictures import open_picture
from gallery_builder.media.thumbnails import make_thumbnails


def thumbnail(path: Path, out: Path, key: str = "k" * 32, kind: str = "photo", max_pixels: int = 200_000_000):
    picture, _ = open_picture(str(path), kind, max_pixels, 2048)
    made = make_thumbnails(picture, key, str(out), 82, 80)
    return made, Image.open(out / key[:2] / f"{key}-400.webp").convert("RGB")


def difference(first: Image.Image, second: Image.Image) -> float:
    """Mean absolute pixel difference (0-255) after bringing both to one size."""
    second = second.resize(first.size)
    return float(numpy.abs(numpy.asarray(first, float) - numpy.asarray(second, float)).mean())


def test_all_eight_orientations_give_the_same_upright_picture(corpus: Path, tmp_path: Path) -> None:
    pictures = {}
    for number in range(1, 9):
        made, grid = thumbnail(corpus / f"exif/orientation/landscape_{number}.jpg", tmp_path, key=f"{number}" * 32)
        assert (made.width, made.height) == (600, 450)
        pictures[number] = grid
    _, baked = thumbnail(corpus / "derived/rotation/landscape_6_baked.jpg", tmp_path, key="b" * 32)
    reference = pictures[1]
    for number, grid in pictures.items():
        assert grid.size == (400, 300)
        assert difference(reference, grid) < 12, number
    assert difference(reference, baked) < 20  # re-encoded without the colour profile of the others
    # and a wrong transform would be far off: the picture is not symmetric
    assert min(difference(reference, reference.transpose(method)) for method in Image.Transpose) > 40


def test_heic_with_irot_is_rotated_once(corpus: Path, tmp_path: Path) -> None:
    made, grid = thumbnail(corpus / "formats/heic/arrow.heic", tmp_path, key="a" * 32)
    assert (made.width, made.height) == (3024, 4032) and made.widths == [400, 1280, 1920]
    assert grid.size == (300, 400)
    preview = Image.open(tmp_path / "aa" / f"{'a' * 32}-1920.jpg")
    assert preview.size == (1440, 1920)  # fits the 1920 box: a portrait preview is never 2560 tall


def test_heic_with_exif_orientation_but_no_irot_stays_as_stored(corpus: Path, tmp_path: Path) -> None:
    made, grid = thumbnail(corpus / "formats/heic/Issue 437 (dotnet).heic", tmp_path, key="c" * 32)
    assert (made.width, made.height) == (4000, 1848)
    assert grid.size == (400, 185)


@pytest.mark.parametrize("relative", ["neardup/cmyk_vs_rgb/pil_sample_cmyk.jpg", "formats/png/RGB_16__128x128.png",
                                      "formats/png/RGBA_8__128x128.png",
                                      "formats/webp/Alpha Lossy (1).webp", "formats/gif/pbar-ani-invalid-XMP.gif",
                                      "formats/mpo/frozenpond.mpo", "formats/avif/exif.avif"])
def test_colour_modes_become_8_bit_rgb(corpus: Path, tmp_path: Path, relative: str) -> None:
    made, grid = thumbnail(corpus / relative, tmp_path)
    assert grid.mode == "RGB" and made.widths[0] == 400
    assert numpy.asarray(grid).std() > 1, "the thumbnail is a flat colour"


def test_cmyk_looks_like_its_rgb_twin(corpus: Path, tmp_path: Path) -> None:
    _, cmyk = thumbnail(corpus / "neardup/cmyk_vs_rgb/pil_sample_cmyk.jpg", tmp_path, key="1" * 32)
    _, rgb = thumbnail(corpus / "neardup/cmyk_vs_rgb/pil_sample_rgb.jpg", tmp_path, key="2" * 32)
    assert difference(rgb, cmyk) < 20


def test_sixteen_bit_grey_is_scaled_not_clipped(corpus: Path, tmp_path: Path) -> None:
    source = numpy.asarray(Image.open(corpus / "formats/tiff/16bit.cropped.tif"), float)
    _, grid = thumbnail(corpus / "formats/tiff/16bit.cropped.tif", tmp_path)
    assert numpy.asarray(grid)[..., 0].mean() == pytest.approx(source.mean() / 257, abs=3)


def test_alpha_is_flattened_on_white(tmp_path: Path) -> None:
    Image.new("RGBA", (800, 600), (255, 0, 0, 0)).save(tmp_path / "clear.png")
    _, grid = thumbnail(tmp_path / "clear.png", tmp_path / "out")
    assert numpy.asarray(grid).min() > 245


def test_icc_profile_is_converted_to_srgb(corpus: Path, tmp_path: Path) -> None:
    """john2.jpeg carries a ProPhoto RGB profile: shown without conversion its colours are dull."""
    import io

    from PIL import ImageCms

    source = Image.open(corpus / "faces/train/kit_harington/john2.jpeg")
    prophoto = ImageCms.ImageCmsProfile(io.BytesIO(source.info["icc_profile"]))
    expected = ImageCms.profileToProfile(source.convert("RGB"), prophoto, ImageCms.createProfile("sRGB"),
                                         outputMode="RGB")
    _, grid = thumbnail(corpus / "faces/train/kit_harington/john2.jpeg", tmp_path)
    assert difference(grid, expected) < 4
    assert difference(grid, source.convert("RGB")) > 2 * difference(grid, expected)


def test_jpegs_are_decoded_at_a_reduced_dct_scale(tmp_path: Path) -> None:
    """A 4000x3000 JPEG is drafted to 2000x1500 (>= 1920 wide), never decoded at full size."""
    Image.effect_mandelbrot((4000, 3000), (-2, -1.5, 1, 1.5), 60).convert("RGB").save(tmp_path / "big.jpg", quality=90)
    picture, _ = open_picture(str(tmp_path / "big.jpg"), "photo", 200_000_000, 2048)
    made = make_thumbnails(picture, "d" * 32, str(tmp_path / "out"), 82, 80)
    assert picture.size == (2000, 1500)
    assert (made.width, made.height) == (4000, 3000) and made.widths == [400, 1280, 1920]
    assert Image.open(tmp_path / "out" / "dd" / f"{'d' * 32}-1920.jpg").size == (1920, 1440)
    assert Image.open(tmp_path / "out" / "dd" / f"{'d' * 32}-1280.jpg").size == (1280, 960)


def test_small_pictures_are_never_upscaled(corpus: Path, tmp_path: Path) -> None:
    made, grid = thumbnail(corpus / "exif/cameras/Canon_40D.jpg", tmp_path)
    assert made.widths == [400] and grid.size == (100, 68)


def test_existing_thumbnails_are_not_rewritten(corpus: Path, tmp_path: Path) -> None:
    thumbnail(corpus / "exif/gps/DSCN0010.jpg", tmp_path, key="e" * 32)
    target = tmp_path / "ee" / f"{'e' * 32}-400.webp"
    before = target.stat().st_mtime_ns
    os.utime(target, ns=(before - 10**9, before - 10**9))
    thumbnail(corpus / "exif/gps/DSCN0010.jpg", tmp_path, key="e" * 32)
    assert target.stat().st_mtime_ns == before - 10**9
    assert sorted(path.name for path in (tmp_path / "ee").iterdir()) == [
        f"{'e' * 32}-1280.jpg", f"{'e' * 32}-400.webp"] and not list(tmp_path.rglob(".tmp-*"))


def test_permission_denied_is_unreadable(tmp_path: Path, corpus: Path) -> None:
    error = classify(PermissionError(13, "Permission denied"))
    assert error.code == "unreadable" and "permission denied" in error.message
    locked = tmp_path / "locked.jpg"
    shutil.copy(corpus / "exif/gps/DSCN0010.jpg", locked)
    locked.chmod(0)
    if os.access(locked, os.R_OK):
        pytest.skip("running as root: file permissions cannot deny a read here (the mapping is tested above)")
    with pytest.raises(MediaError) as raised:
        open_picture(str(locked), "photo", 200_000_000, 2048)
    assert raised.value.code == "unreadable"


def test_video_poster_comes_from_frame_zero_for_short_clips(corpus: Path, tmp_path: Path) -> None:
    made, grid = thumbnail(corpus / "video/with-gps.mp4", tmp_path, kind="video")
    assert (made.width, made.height) == (1920, 1080) and grid.size == (400, 225)
