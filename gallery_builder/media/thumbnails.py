"""Content-addressed thumbnails at the slots of thumb_layout: decode once at the smallest JPEG DCT
scale that still covers the largest slot (libjpeg `draft`), orient, convert to sRGB, then make each
smaller slot from the previous one. Files are written to a temporary name and renamed.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any

from gallery_builder.media.decode import TRANSPOSE_FOR, exif_orientation, load_pixels, to_srgb
from gallery_builder.core.thumb_layout import Slot, slots_for, thumb_relpath, thumb_size

# Encoder settings, chosen by bench/bench_thumbs.py (docs/media.md has the figures).
WEBP_METHOD = 2          # 0 fastest .. 6 smallest; 2 costs a third of the default 4 at 400 px
RESAMPLE = "HAMMING"     # antialiased like BICUBIC, half its support: ~30% less CPU per resize
REDUCING_GAP = 2.0       # Image.thumbnail's default: box-reduce first, then filter the last 2x


@dataclass(frozen=True)
class ThumbnailSet:
    key: str
    widths: list[int]
    width: int           # of the upright picture as decoded (before any thumbnail resize)
    height: int


def upright_size(image: Any, orientation: int) -> tuple[int, int]:
    width, height = image.size
    return (height, width) if orientation >= 5 else (width, height)


def slot_sizes(width: int, height: int) -> list[tuple[Slot, int, int]]:
    """(slot, width, height) for every slot this picture gets; a slot never upscales."""
    return [(slot, *thumb_size(slot.width, width, height)) for slot in slots_for(width, height)]


def have_all(thumbs_dir: str, key: str, sizes: list[tuple[Slot, int, int]]) -> bool:
    return all(os.path.exists(os.path.join(thumbs_dir, thumb_relpath(key, slot.width))) for slot, _, _ in sizes)


def make_thumbnails(image: Any, key: str, thumbs_dir: str, jpeg_quality: int, webp_quality: int) -> ThumbnailSet:
    """Write every slot for an opened (not yet decoded) image; skip the work when all files exist."""
    orientation = exif_orientation(image)
    width, height = upright_size(image, orientation)
    sizes = slot_sizes(width, height)
    if have_all(thumbs_dir, key, sizes):
        return ThumbnailSet(key, [slot.width for slot, _, _ in sizes], width, height)
    _, largest_width, largest_height = sizes[-1]
    stored_target = (largest_height, largest_width) if orientation >= 5 else (largest_width, largest_height)
    if image.format == "JPEG":
        image.draft("RGB", stored_target)
    load_pixels(image)
    picture = image
    if orientation in TRANSPOSE_FOR:
        picture = picture.transpose(TRANSPOSE_FOR[orientation])
    if picture.mode in ("RGB", "L", "CMYK"):  # convert colours on the smaller picture: cheaper
        picture = to_srgb(_resize(picture, (largest_width, largest_height)))
    else:
        picture = _resize(to_srgb(picture), (largest_width, largest_height))
    for slot, slot_width, slot_height in reversed(sizes):
        picture = _resize(picture, (slot_width, slot_height))
        _write(picture, os.path.join(thumbs_dir, thumb_relpath(key, slot.width)), slot, jpeg_quality, webp_quality)
    return ThumbnailSet(key, [slot.width for slot, _, _ in sizes], width, height)


def _resize(picture: Any, size: tuple[int, int]) -> Any:
    from PIL import Image

    if picture.size == size:
        return picture
    return picture.resize(size, getattr(Image.Resampling, RESAMPLE), reducing_gap=REDUCING_GAP)


def _write(picture: Any, path: str, slot: Slot, jpeg_quality: int, webp_quality: int) -> None:
    """Encode to a temporary file beside the target and rename it (readers never see half a file)."""
    if os.path.exists(path):
        return
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix="." + slot.ext)
    try:
        with os.fdopen(handle, "wb") as output:
            if slot.ext == "webp":
                picture.save(output, "WEBP", quality=webp_quality, method=WEBP_METHOD)
            else:
                picture.save(output, "JPEG", quality=jpeg_quality)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
