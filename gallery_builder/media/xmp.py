"""XMP: find the sidecar beside a file (NAME.xmp or NAME.EXT.xmp), decode it (UTF-8 or UTF-16),
and read its capture date. Embedded XMP packets go through the same date reader.
"""
from __future__ import annotations

import os
import re

from gallery_builder.media.dates import CaptureTime, parse_iso_datetime

MAX_SIDECAR_BYTES = 4 * 1024 * 1024
# In order of preference: when the picture was taken, then when the file was created.
_DATE_NAMES = ("exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate", "xap:CreateDate")


def sidecar_paths(path: str) -> list[str]:
    """Candidate sidecars: IMG.JPG.xmp (darktable, digiKam) and IMG.xmp (Lightroom), either case."""
    stem, _ = os.path.splitext(path)
    return [path + ".xmp", path + ".XMP", stem + ".xmp", stem + ".XMP"]


def find_sidecar(path: str) -> str | None:
    for candidate in sidecar_paths(path):
        if candidate != path and os.path.isfile(candidate):
            return candidate
    return None


def decode_xmp(data: bytes) -> str:
    """XMP text from bytes in UTF-8 or UTF-16 (with or without a byte-order mark)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    head = data[:200]
    if head.count(b"\x00") > len(head) // 4:
        return data.decode("utf-16-le" if head[1:2] == b"\x00" else "utf-16-be", "replace")
    return data.decode("utf-8", "replace")


def xmp_capture_time(xmp: str | bytes | None, source: str) -> CaptureTime | None:
    """The best date in an XMP packet (attribute or element form), or None."""
    if not xmp:
        return None
    text = decode_xmp(xmp) if isinstance(xmp, bytes) else xmp
    for name in _DATE_NAMES:
        quoted = re.escape(name)
        match = (re.search(quoted + r"\s*=\s*[\"']([^\"']+)[\"']", text)
                 or re.search(r"<" + quoted + r">\s*([^<]+?)\s*</" + quoted + ">", text))
        if match:
            found = parse_iso_datetime(match.group(1), source)
            if found:
                return found
    return None


def sidecar_capture_time(path: str) -> CaptureTime | None:
    """The date of the XMP sidecar beside `path`, if there is one and it holds a date."""
    sidecar = find_sidecar(path)
    if not sidecar:
        return None
    try:
        with open(sidecar, "rb") as handle:
            data = handle.read(MAX_SIDECAR_BYTES)
    except OSError:
        return None
    return xmp_capture_time(data, "xmp_sidecar")
