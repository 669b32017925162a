"""Capture times: lenient parsing of EXIF, XMP, QuickTime and file/folder-name dates, and the rule
that picks one. Output format: `YYYY-MM-DDTHH:MM:SS[.fff]` local wall time plus `+HH:MM` if known.

Order: EXIF DateTimeOriginal (or CreateDate) > XMP sidecar > embedded XMP > QuickTime > a date in
the file name > a date in the folder names > the file's mtime. Unset clocks ('0000:00:00 ...'),
blanks and impossible dates are rejected; malformed strings keep their valid leading part.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

MIN_YEAR = 1826  # the oldest surviving photograph; anything earlier is a broken clock


@dataclass(frozen=True)
class CaptureTime:
    taken_at: str             # YYYY-MM-DDTHH:MM:SS[.fff], local wall time
    tz_offset: str | None     # +HH:MM when known
    source: str               # exif, xmp_sidecar, xmp, quicktime, filename, folder, mtime

    def is_in_future(self, now: datetime | None = None) -> bool:
        """Later than now: exact when the offset is known, else with a day of slack for time zones."""
        wall = datetime.fromisoformat(self.taken_at)
        if self.tz_offset:
            aware = wall.replace(tzinfo=_tzinfo(self.tz_offset))
            return aware > (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        local_now = (now.astimezone().replace(tzinfo=None) if now else datetime.now())
        return wall > local_now + timedelta(days=1)


def _tzinfo(offset: str) -> timezone:
    sign = -1 if offset[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))


def _wall(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
          fraction: str | None = None) -> str | None:
    """The formatted wall time, or None when the parts do not make a real date."""
    if year < MIN_YEAR:
        return None
    try:
        moment = datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return None
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    digits = re.sub(r"\D", "", fraction or "")[:3].ljust(3, "0")
    return f"{text}.{digits}" if digits.strip("0") else text


def normalize_offset(text: str | None) -> str | None:
    """'+02:00', '+0200', '-5', 'Z' -> '+HH:MM'; None for anything else."""
    if not text:
        return None
    text = text.strip().strip("\x00")
    if text in ("Z", "z"):
        return "+00:00"
    match = re.fullmatch(r"([+-])(\d{1,2})(?::?(\d{2}))?", text)
    if not match:
        return None
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    return f"{match.group(1)}{hours:02d}:{minutes:02d}"


_EXIF_DATE = re.compile(r"\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?"
                        r"(?:[.,](\d+))?")


def parse_exif_datetime(value: object, subsec: object = None, offset: object = None,
                        source: str = "exif") -> CaptureTime | None:
    """An EXIF 'YYYY:MM:DD HH:MM:SS' (lenient: the valid leading part of a malformed string counts)."""
    text = _text(value)
    match = _EXIF_DATE.match(text) if text else None
    if not match:
        return None
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    fraction = _text(subsec) or match.group(7)
    wall = _wall(year, month, day, hour, minute, int(match.group(6) or 0), fraction)
    return CaptureTime(wall, normalize_offset(_text(offset)), source) if wall else None


_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?"
                       r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$")


def parse_iso_datetime(value: object, source: str) -> CaptureTime | None:
    """An XMP / QuickTime ISO 8601 date ('2010-09-27T14:35:33+02:00', '2010-09-27', ...)."""
    text = _text(value)
    match = _ISO_DATE.match(text) if text else None
    if not match:
        return _exif_style_fallback(text, source)
    parts = [int(match.group(i) or default) for i, default in ((1, 0), (2, 1), (3, 1), (4, 0), (5, 0), (6, 0))]
    wall = _wall(*parts, fraction=match.group(7))
    return CaptureTime(wall, normalize_offset(match.group(8)), source) if wall else None


def _exif_style_fallback(text: str | None, source: str) -> CaptureTime | None:
    """Some writers put EXIF-style dates into XMP or QuickTime tags."""
    return parse_exif_datetime(text, source=source) if text else None


_NAME_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])"
    r"(?:[-_ T.]?([01]\d|2[0-3])[-_.:h]?([0-5]\d)[-_.:m]?([0-5]\d)(\d{1,3})?)?(?!\d)")
_FOLDER_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[-_./ ]?(0[1-9]|1[0-2])(?:[-_./ ]?(0[1-9]|[12]\d|3[01]))?(?!\d)")


def date_from_filename(path: str) -> CaptureTime | None:
    """IMG_20230514_153012.jpg, PXL_20230514_153012345.jpg, 2023-05-14 15.30.12.jpg, IMG-20230514-WA0001."""
    stem = os.path.splitext(os.path.basename(path))[0]
    for match in _NAME_DATE.finditer(stem):
        hour, minute, second = (int(match.group(i) or 0) for i in (4, 5, 6))
        wall = _wall(int(match.group(1)), int(match.group(2)), int(match.group(3)), hour, minute, second,
                     match.group(7) if match.group(4) else None)
        if wall:
            return CaptureTime(wall, None, "filename")
    return None


def date_from_folders(path: str, depth: int = 3) -> CaptureTime | None:
    """The deepest date in the last folder names: 2024/2024-05-17, 2024/05/17, 20240517 Party, 2024-05."""
    folders = os.path.dirname(path).replace("\\", "/").split("/")[-depth:]
    matches = list(_FOLDER_DATE.finditer("/".join(folders)))
    for match in reversed(matches):
        wall = _wall(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))
        if wall:
            return CaptureTime(wall, None, "folder")
    return None


def date_from_mtime(mtime_ns: int) -> CaptureTime:
    """The file's modification time in this machine's time zone (the offset says which)."""
    moment = datetime.fromtimestamp(mtime_ns / 1e9, tz=timezone.utc).astimezone()
    offset = moment.strftime("%z")
    return CaptureTime(moment.strftime("%Y-%m-%dT%H:%M:%S"), normalize_offset(offset), "mtime")


def _text(value: object) -> str | None:
    """Tag values arrive as str, bytes or tuples; turn them into a clean string or None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
        return _text(value)
    text = str(value).replace("\x00", " ").strip()
    return text or None
