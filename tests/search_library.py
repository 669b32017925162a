"""A small photo library for search tests, indexed by the real pipeline with the tiny CLIP model.

Each photo is a flat colour with an optional coloured "object" over the middle half of each side
(what tests/tiny_clip.py's model sees), real EXIF dates, cameras and GPS. `build_home` scans it,
runs exif, thumbs, colors, geocode and clip through the real runner, and returns the data home.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from tests.tiny_clip import write_bundle

MODEL = "tiny-clip__planted"
GREEN_FIELD = (40, 160, 40)


@dataclass(frozen=True)
class Shot:
    path: str
    background: tuple[int, int, int]
    thing: tuple[int, int, int] | None
    taken: dt.datetime
    make: str
    model: str
    gps: tuple[float, float] | None


SHOTS = (
    Shot("2023/2023-05-14/DSC06241.JPG", (220, 20, 20), None, dt.datetime(2023, 5, 14, 12), "SONY", "ILCE-7M3",
         (38.7223, -9.1393)),
    Shot("2023/2023-07-20/IMG_1234.JPG", GREEN_FIELD, (220, 20, 20), dt.datetime(2023, 7, 20, 18), "Apple",
         "iPhone 13 Pro", (41.1579, -8.6291)),
    Shot("2023/2023-07-21/IMG_12345.JPG", GREEN_FIELD, (255, 220, 0), dt.datetime(2023, 7, 21, 9), "Apple",
         "iPhone 13 Pro", (41.1579, -8.6291)),
    Shot("2022/2022-12-25/IMG_0042.JPG", GREEN_FIELD, (100, 100, 240), dt.datetime(2022, 12, 25, 10), "Canon",
         "Canon EOS R6", (38.7223, -9.1393)),
    Shot("2021/2021-08-01/PXL_20210801_101010.jpg", GREEN_FIELD, None, dt.datetime(2021, 8, 1, 15), "Google",
         "Pixel 6", (35.6762, 139.6503)),
    Shot("2019/2019-03-10/P1000123.JPG", (30, 60, 220), None, dt.datetime(2019, 3, 10, 11), "Panasonic", "DC-GH5",
         None),
)


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 1000)
    return (Fraction(degrees), Fraction(minutes), Fraction(seconds, 1000))


def write_photo(path: Path, shot: Shot, size: tuple[int, int] = (1400, 1400)) -> None:
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    image = Image.new("RGB", size, shot.background)
    if shot.thing:
        width, height = size
        image.paste(shot.thing, (width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = shot.make, shot.model
    exif.get_ifd(0x8769)[0x9003] = shot.taken.strftime("%Y:%m:%d %H:%M:%S")
    if shot.gps:
        gps = exif.get_ifd(0x8825)
        gps[0x0000] = b"\x02\x02\x00\x00"
        gps[0x0001], gps[0x0003] = ("N" if shot.gps[0] >= 0 else "S"), ("E" if shot.gps[1] >= 0 else "W")
        gps[0x0002] = tuple(IFDRational(part.numerator, part.denominator) for part in _dms(shot.gps[0]))
        gps[0x0004] = tuple(IFDRational(part.numerator, part.denominator) for part in _dms(shot.gps[1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=95, exif=exif)


def write_library(root: Path) -> None:
    for shot in SHOTS:
        write_photo(root / shot.path, shot)


def build_home(base: Path, *, passes: tuple[str, ...] = ("exif", "thumbs", "colors", "geocode", "clip")) -> Path:
    """Write the library and the tiny model, index everything; returns the data home."""
    from gallery_builder.config import load_settings, resolve_roots, save_settings
    from gallery_builder.indexing.run import index_roots

    library, home = base / "library", base / "home"
    write_library(library)
    write_bundle(home / "models", MODEL)
    settings = load_settings(home, {"clip_model": MODEL, "workers": 1}, environ={})
    settings, roots = resolve_roots(settings, [library])
    save_settings(settings)
    report = index_roots(settings, roots, list(passes), show_bar=False, log=lambda line: None, export=False)
    failed = [item for item in report.passes.passes if item.errors or item.skipped_reason]
    assert not failed, [(item.name, item.errors, item.skipped_reason) for item in failed]
    return home
