"""Camera facts from EXIF tag dictionaries (as Pillow parses them): camera, lens, exposure, GPS,
orientation and the EXIF capture time. Every value is checked; garbage becomes None, never an error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gallery_builder.media.dates import CaptureTime, parse_exif_datetime

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
MAKE, MODEL, ORIENTATION = 271, 272, 274
DATE_TIME_ORIGINAL, DATE_TIME_DIGITIZED = 36867, 36868
OFFSET_TIME_ORIGINAL, OFFSET_TIME_DIGITIZED = 36881, 36882
SUBSEC_ORIGINAL, SUBSEC_DIGITIZED = 37521, 37522
EXPOSURE_TIME, F_NUMBER, ISO, FOCAL_LENGTH = 33434, 33437, 34855, 37386
LENS_MAKE, LENS_MODEL = 42035, 42036
PIXEL_X, PIXEL_Y = 40962, 40963


@dataclass
class Tags:
    """EXIF split the usual way: IFD0, the Exif sub-IFD and the GPS IFD (tag id -> value)."""

    ifd0: dict[int, Any] = field(default_factory=dict)
    exif: dict[int, Any] = field(default_factory=dict)
    gps: dict[int, Any] = field(default_factory=dict)

    def get(self, tag: int) -> Any:
        return self.exif.get(tag, self.ifd0.get(tag))

    def merge(self, other: "Tags") -> None:
        """Fill tags this set lacks from another (first reader wins)."""
        for mine, theirs in ((self.ifd0, other.ifd0), (self.exif, other.exif), (self.gps, other.gps)):
            for key, value in theirs.items():
                mine.setdefault(key, value)


def tags_from_exif(exif: Any) -> Tags:
    """A Pillow `Image.Exif` -> Tags; each IFD that fails to parse is left empty."""
    tags = Tags()
    try:
        tags.ifd0 = {key: value for key, value in exif.items() if key not in (EXIF_IFD, GPS_IFD)}
    except Exception:  # broken EXIF: Pillow raises many kinds of errors
        return tags
    for ifd, target in ((EXIF_IFD, tags.exif), (GPS_IFD, tags.gps)):
        try:
            target.update(exif.get_ifd(ifd))
        except Exception:
            continue
    return tags


def clean_text(value: Any) -> str | None:
    """Trim a text tag, cut it at the first NUL (C-string semantics: 'ION230\\x00F' -> 'ION230')."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip(" \t\r\n\x00").split("\x00", 1)[0].strip()
    return text or None


def _number(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) and low < number <= high else None


def camera_facts(tags: Tags) -> dict[str, Any]:
    """Make, model, lens and exposure; implausible values (4294967295 s exposures) are dropped."""
    iso = _number(tags.get(ISO), 0, 10_000_000)
    lens = clean_text(tags.get(LENS_MODEL))
    return {
        "camera_make": clean_text(tags.get(MAKE)),
        "camera_model": clean_text(tags.get(MODEL)),
        "lens": lens,
        "focal_length": _number(tags.get(FOCAL_LENGTH), 0, 10_000),
        "aperture": _number(tags.get(F_NUMBER), 0, 1_000),
        "exposure_time": _number(tags.get(EXPOSURE_TIME), 0, 86_400),
        "iso": int(iso) if iso else None,
    }


def orientation_of(tags: Tags) -> int | None:
    value = tags.ifd0.get(ORIENTATION)
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 8 else None


def exif_capture_time(tags: Tags) -> CaptureTime | None:
    """DateTimeOriginal (+ its offset and sub-seconds), else DateTimeDigitized (CreateDate)."""
    for date_tag, subsec_tag, offset_tag in ((DATE_TIME_ORIGINAL, SUBSEC_ORIGINAL, OFFSET_TIME_ORIGINAL),
                                             (DATE_TIME_DIGITIZED, SUBSEC_DIGITIZED, OFFSET_TIME_DIGITIZED)):
        found = parse_exif_datetime(tags.get(date_tag), tags.get(subsec_tag), tags.get(offset_tag))
        if found:
            return found
    return None


def _degrees(value: Any) -> float | None:
    """(deg, min, sec) rationals -> decimal degrees; None for anything malformed."""
    if not isinstance(value, (tuple, list)) or not 1 <= len(value) <= 3:
        return None
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(part) and part >= 0 for part in parts):
        return None
    parts += [0.0] * (3 - len(parts))
    return parts[0] + parts[1] / 60 + parts[2] / 3600


def _ref(value: Any) -> str:
    return (clean_text(value) or "").upper()[:1]


def gps_facts(tags: Tags) -> dict[str, float | None]:
    """Latitude/longitude/altitude. Missing or garbage refs, out-of-range values and 0,0 mean none."""
    none = {"gps_lat": None, "gps_lon": None, "gps_alt": None}
    gps = tags.gps
    lat, lon = _degrees(gps.get(2)), _degrees(gps.get(4))
    lat_ref, lon_ref = _ref(gps.get(1)), _ref(gps.get(3))
    if lat is None or lon is None or lat_ref not in ("N", "S") or lon_ref not in ("E", "W"):
        return none
    lat, lon = (-lat if lat_ref == "S" else lat), (-lon if lon_ref == "W" else lon)
    if abs(lat) > 90 or abs(lon) > 180 or (abs(lat) < 1e-7 and abs(lon) < 1e-7):
        return none
    return {"gps_lat": round(lat, 7), "gps_lon": round(lon, 7), "gps_alt": _altitude(gps)}


def _altitude(gps: dict[int, Any]) -> float | None:
    altitude = _number(gps.get(6), -1, 100_000)
    if altitude is None:
        return None
    ref = gps.get(5)
    below = (ref[:1] == b"\x01") if isinstance(ref, bytes) else ref == 1
    return -altitude if below else altitude
