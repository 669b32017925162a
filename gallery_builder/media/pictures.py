"""The picture behind any file: an image as Pillow opens it, a RAW's embedded preview, or a video's
poster frame. The content decides the route (sniff.route); the file checks come first.
"""
from __future__ import annotations

import os
from typing import Any

from gallery_builder.media.decode import check_pixels, open_image
from gallery_builder.media.errors import MediaError, classify
from gallery_builder.media.sniff import Sniffed, describe_unsupported, route, sniff_file
from gallery_builder.core.thumb_layout import SLOTS

MIB = 1024 * 1024


def check_file(path: str, kind: str, max_file_mb: int) -> Sniffed:
    """Refuse empty, oversized (videos exempt) and unreadable files; return what the content is."""
    try:
        size = os.stat(path).st_size
        if size == 0:
            raise MediaError("empty", "the file is empty (0 bytes)")
        if kind != "video" and max_file_mb and size > max_file_mb * MIB:
            raise MediaError("too_large", f"{size / MIB:,.0f} MiB is over the limit of {max_file_mb} MiB "
                                          f"(setting max_file_mb / GALLERY_MAX_FILE_MB)")
        return sniff_file(path)
    except OSError as error:
        raise classify(error) from None


def open_picture(path: str, kind: str, max_pixels: int, max_file_mb: int) -> tuple[Any, Sniffed]:
    """A lazily decoded PIL image of the photo, RAW preview or video poster, and the sniffed content."""
    from gallery_builder.media.raw import raw_preview
    from gallery_builder.media.video import poster_frame

    sniffed = check_file(path, kind, max_file_mb)
    family = route(sniffed, kind)
    if family == "unsupported":
        raise MediaError("unsupported", describe_unsupported(sniffed, path))
    if family == "image":
        return open_image(path, max_pixels, sniffed.format), sniffed
    image = raw_preview(path) if family == "raw" else poster_frame(path, SLOTS[-1].width)
    check_pixels(image.size, max_pixels)
    return image, sniffed
