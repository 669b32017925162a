"""A small generated photo library for the demo: real EXIF dates, cameras, GPS in several cities,
a burst, an exact duplicate, a numbered copy and a macOS sidecar (the last two must be skipped).

Deterministic for a given seed. Pixels are soft gradients and shapes drawn with Pillow + numpy,
so thumbnails, colours and perceptual hashes have something to work on.
"""
from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

CITIES = (
    ("Lisbon", "PT", 38.7223, -9.1393), ("Paris", "FR", 48.8566, 2.3522), ("Tokyo", "JP", 35.6762, 139.6503),
    ("New York City", "US", 40.7128, -74.0060), ("Sydney", "AU", -33.8688, 151.2093),
    ("Reykjavik", "IS", 64.1466, -21.9426),
)
CAMERAS = (("Apple", "iPhone 13", None), ("SONY", "ILCE-7M3", "FE 24-70mm F2.8 GM"),
           ("FUJIFILM", "X-T4", "XF23mmF1.4 R"), ("Canon", "Canon EOS R6", "RF24-105mm F4 L IS USM"))


@dataclass(frozen=True)
class SamplePhoto:
    relative: str
    taken: datetime
    camera: tuple[str, str, str | None]
    city: tuple[str, str, float, float] | None
    seed: int
    burst_offset: int = 0


def _plan(count: int, rng: random.Random) -> list[SamplePhoto]:
    photos: list[SamplePhoto] = []
    start = datetime(2021, 3, 14, 9, 0, 0)
    day, number = start, 1000
    while len(photos) < count - 5:
        day = day + timedelta(days=rng.randint(9, 70), hours=rng.randint(-2, 3))
        city = rng.choice(CITIES) if rng.random() < 0.8 else None
        camera = rng.choice(CAMERAS)
        for shot in range(rng.randint(2, 5)):
            taken = day + timedelta(minutes=17 * shot, seconds=rng.randint(0, 50))
            number += 1
            relative = f"{taken:%Y}/{taken:%Y-%m-%d}/IMG_{number:04d}.JPG"
            photos.append(SamplePhoto(relative, taken, camera, city, seed=number))
    burst_day = day + timedelta(days=12)
    for frame in range(5):
        taken = burst_day + timedelta(milliseconds=300 * frame)
        number += 1
        photos.append(SamplePhoto(f"{taken:%Y}/{taken:%Y-%m-%d} burst/DSC{number:05d}.JPG", taken,
                                  CAMERAS[1], CITIES[0], seed=7777, burst_offset=frame))
    return photos[:count]


def _pixels(photo: SamplePhoto, size: tuple[int, int]):
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(photo.seed)
    width, height = size
    top, bottom = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    ramp = np.linspace(0, 1, height)[:, None, None]
    gradient = (top * (1 - ramp) + bottom * ramp).astype(np.float32)
    image = np.broadcast_to(gradient, (height, width, 3)).copy()
    image += np.random.default_rng(photo.seed * 31 + photo.burst_offset).normal(0, 6, image.shape)
    picture = Image.fromarray(image.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    shift = photo.burst_offset * width // 60
    for _ in range(6):
        x, y = int(rng.integers(0, width)) + shift, int(rng.integers(0, height))
        radius = int(rng.integers(width // 20, width // 5))
        fill = tuple(int(value) for value in rng.integers(0, 256, 3))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)
    return picture


def _exif(photo: SamplePhoto):
    from PIL import Image
    from PIL.ExifTags import IFD, Base, GPS
    from PIL.TiffImagePlugin import IFDRational

    exif = Image.Exif()
    make, model, lens = photo.camera
    exif[Base.Make], exif[Base.Model] = make, model
    exif[Base.DateTime] = photo.taken.strftime("%Y:%m:%d %H:%M:%S")
    details = exif.get_ifd(IFD.Exif)
    details[Base.DateTimeOriginal] = photo.taken.strftime("%Y:%m:%d %H:%M:%S")
    details[Base.SubsecTimeOriginal] = f"{photo.taken.microsecond // 1000:03d}"
    details[Base.FNumber] = IFDRational(28, 10)
    details[Base.ExposureTime] = IFDRational(1, 250)
    details[Base.ISOSpeedRatings] = 200
    details[Base.FocalLength] = IFDRational(35, 1)
    if lens:
        details[Base.LensModel] = lens
    if photo.city:
        _, _, lat, lon = photo.city
        gps = exif.get_ifd(IFD.GPSInfo)
        gps[GPS.GPSLatitudeRef], gps[GPS.GPSLongitudeRef] = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
        gps[GPS.GPSLatitude] = _dms(abs(lat))
        gps[GPS.GPSLongitude] = _dms(abs(lon))
    return exif


def _dms(value: float):
    from PIL.TiffImagePlugin import IFDRational

    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 100)
    return (IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 100))


def write_sample_library(out: Path, count: int = 40, seed: int = 7, size: tuple[int, int] = (1600, 1200)) -> dict:
    """Write the library under `out` (which must be empty or absent); returns its ground truth."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    rng = random.Random(seed)
    photos = _plan(max(count, 12), rng)
    truth: dict = {"photos": [], "burst": [], "duplicate": None, "skipped": []}
    for photo in photos:
        target = out / photo.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        _pixels(photo, size).save(target, "JPEG", quality=88, exif=_exif(photo))
        truth["photos"].append({"path": photo.relative, "taken_at": photo.taken.isoformat(timespec="seconds"),
                                "make": photo.camera[0], "model": photo.camera[1],
                                "city": photo.city[0] if photo.city else None,
                                "country_code": photo.city[1] if photo.city else None})
        if photo.burst_offset or photo.seed == 7777:
            truth["burst"].append(photo.relative)
    original = out / photos[3].relative
    duplicate = out / "Exports" / "best-of" / original.name
    duplicate.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(original, duplicate)
    truth["duplicate"] = [photos[3].relative, f"Exports/best-of/{original.name}"]
    numbered = original.with_name(original.stem + "_1" + original.suffix)
    shutil.copyfile(original, numbered)
    sidecar = original.with_name("._" + original.name)
    sidecar.write_bytes(b"\x00\x05\x16\x07" + bytes(4092))
    truth["skipped"] = [str(numbered.relative_to(out)), str(sidecar.relative_to(out))]
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth
