"""Every fact of the `exif` table for one file, whatever it is: a photo (Pillow/pillow-heif EXIF,
no pixel decode), a RAW container, or a video (ffprobe). The capture time follows dates.py's order.
"""
from __future__ import annotations

import warnings
from datetime import datetime
from typing import Any

from gallery_builder.media.dates import CaptureTime, date_from_filename, date_from_folders, date_from_mtime
from gallery_builder.media.decode import needs_exif_rotation, open_image
from gallery_builder.media.errors import MediaError, classify
from gallery_builder.media.exif_tags import (Tags, camera_facts, exif_capture_time, gps_facts, orientation_of,
                                             tags_from_exif)
from gallery_builder.media.pictures import check_file
from gallery_builder.media.sniff import Sniffed, describe_unsupported, route
from gallery_builder.media.xmp import sidecar_capture_time, xmp_capture_time

def read_facts(path: str, kind: str, mtime_ns: int, max_pixels: int,
               now: datetime | None = None) -> dict[str, Any]:
    """The facts of the exif table for a file, by column name (MediaError when nothing is readable)."""
    from gallery_builder.media.native_stderr import decoder_messages_into_errors

    sniffed = check_file(path, kind, 0)
    family = route(sniffed, kind)
    with warnings.catch_warnings(), decoder_messages_into_errors(path):
        warnings.simplefilter("ignore")
        if family == "image":
            facts, embedded = _image_facts(path, max_pixels, sniffed.format)
        elif family == "raw":
            facts, embedded = _raw_facts(path, sniffed)
        elif family == "video":
            facts, embedded = _video_facts(path, sniffed)
        else:
            raise MediaError("unsupported", describe_unsupported(sniffed, path))
    capture = pick_capture_time(path, mtime_ns, embedded)
    row = dict(facts)
    row.update(taken_at=capture.taken_at, tz_offset=capture.tz_offset, taken_at_source=capture.source,
               date_in_future=capture.is_in_future(now))
    return row


def pick_capture_time(path: str, mtime_ns: int, embedded: list[CaptureTime | None]) -> CaptureTime:
    """The first date found: the file's own (EXIF, then XMP sidecar, embedded XMP, QuickTime), the
    file name, the folder names, else the mtime. A sidecar beats embedded XMP: it is the user's edit."""
    exif_time, *others = embedded
    for candidate in (exif_time, lambda: sidecar_capture_time(path), *others,
                      lambda: date_from_filename(path), lambda: date_from_folders(path)):
        found = candidate() if callable(candidate) else candidate
        if found:
            return found
    return date_from_mtime(mtime_ns)


def _tag_facts(tags: Tags) -> dict[str, Any]:
    facts = camera_facts(tags)
    facts.update(gps_facts(tags))
    facts["orientation"] = orientation_of(tags)
    return facts


def _image_facts(path: str, max_pixels: int, sniffed_format: str) -> tuple[dict[str, Any], list[CaptureTime | None]]:
    image = open_image(path, max_pixels, sniffed_format)
    try:
        try:
            tags = tags_from_exif(image.getexif())
        except Exception:  # EXIF so broken that Pillow gives up: the picture may still be fine
            tags = Tags()
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
        facts = _tag_facts(tags)
        width, height = image.size
        if needs_exif_rotation(image) and (facts["orientation"] or 1) >= 5:
            width, height = height, width
        facts.update(width=width, height=height, format=image.format)
    finally:
        image.close()
    return facts, [exif_capture_time(tags), xmp_capture_time(xmp, "xmp")]


def _raw_facts(path: str, sniffed: Sniffed) -> tuple[dict[str, Any], list[CaptureTime | None]]:
    from gallery_builder.media.raw import raw_size, raw_tags

    try:
        tags = raw_tags(path, sniffed)
    except OSError as error:
        raise classify(error) from None
    facts = _tag_facts(tags)
    facts["width"], facts["height"] = raw_size(path, tags)
    facts["format"] = _raw_format(path, sniffed)
    return facts, [exif_capture_time(tags)]


def _raw_format(path: str, sniffed: Sniffed) -> str:
    """CR3, RAF, ... from the content; TIFF-based RAW by its extension (NEF, DNG, CR2, ...)."""
    if sniffed.format != "TIFF":
        return sniffed.format
    extension = path.rsplit(".", 1)[-1].upper() if "." in path else ""
    return extension or "TIFF"


def _video_facts(path: str, sniffed: Sniffed) -> tuple[dict[str, Any], list[CaptureTime | None]]:
    from gallery_builder.media.video import probe, video_facts

    facts = video_facts(probe(path))
    if sniffed.family == "video":
        facts["format"] = sniffed.format
    return facts, [None, facts.pop("capture_time")]
