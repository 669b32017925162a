"""RAW files: metadata from the TIFF/EXIF structures inside the container (read by Pillow), the
developed size from LibRaw (rawpy), and the camera's embedded JPEG preview for thumbnails.

TIFF-based RAW (NEF, DNG, CR2, ARW, PEF, SRW, IIQ, ...) opens in Pillow directly; RW2/ORF are TIFF
with another magic; CR3, MRW and RAF carry TIFF blocks or a JPEG with EXIF inside. CRW (CIFF) and
X3F hold no TIFF: they get their date from the name or mtime. RAW pixels are never developed.
"""
from __future__ import annotations

import io
import struct
from typing import Any

from gallery_builder.media.errors import MediaError
from gallery_builder.media.exif_tags import ORIENTATION, PIXEL_X, PIXEL_Y, Tags, tags_from_exif
from gallery_builder.media.sniff import Sniffed

SCAN_BYTES = 2 * 1024 * 1024  # metadata blocks sit near the start of every RAW container
_TIFF_HEADERS = (b"II*\x00", b"MM\x00*")
_PATCHED_MAGIC = {"RW2", "ORF"}


def raw_tags(path: str, sniffed: Sniffed) -> Tags:
    """Every EXIF tag we can find in a RAW container (empty Tags when there is none)."""
    with open(path, "rb") as handle:
        data = handle.read(SCAN_BYTES)
    tags = Tags()
    if sniffed.format == "TIFF":
        tags.merge(_tiff_tags(data))
    elif sniffed.format in _PATCHED_MAGIC:
        tags.merge(_tiff_tags(data[:2] + (b"*\x00" if data[:2] == b"II" else b"\x00*") + data[4:]))
    elif sniffed.format == "RAF":
        tags.merge(_raf_tags(path, data))
    if not tags.ifd0 and not tags.exif:
        for block in _embedded_tiffs(data):
            tags.merge(block)
    return tags


def _tiff_tags(data: bytes) -> Tags:
    from PIL import Image

    exif = Image.Exif()
    try:
        exif.load(data)
    except Exception:  # a damaged block: other blocks may still hold the facts
        return Tags()
    return tags_from_exif(exif)


def _embedded_tiffs(data: bytes) -> list[Tags]:
    """TIFF blocks inside BMFF (CR3: CMT1 = IFD0, CMT2 = Exif IFD, CMT4 = GPS) or MRW (TTW)."""
    found: list[Tags] = []
    for header in _TIFF_HEADERS:
        start = data.find(header)
        while start != -1 and len(found) < 8:
            block = _tiff_tags(data[start:])
            if block.ifd0 and all(key < 254 for key in block.ifd0):
                block = Tags(gps=block.ifd0)  # a bare GPS IFD stored as a TIFF (CR3 CMT4)
            elif block.ifd0 and not block.exif and any(key >= 33000 for key in block.ifd0):
                block = Tags(ifd0={k: v for k, v in block.ifd0.items() if k < 33000},
                             exif={k: v for k, v in block.ifd0.items() if k >= 33000})
            found.append(block)
            start = data.find(header, start + 4)
    return found


def _raf_tags(path: str, data: bytes) -> Tags:
    """A RAF header points at a full JPEG (with EXIF) at a big-endian offset/length at byte 84."""
    from PIL import Image

    offset, length = struct.unpack(">II", data[84:92])
    with open(path, "rb") as handle:
        handle.seek(offset)
        jpeg = handle.read(min(length, 64 * 1024 * 1024))
    try:
        return tags_from_exif(Image.open(io.BytesIO(jpeg)).getexif())
    except Exception:
        return Tags()


def raw_size(path: str, tags: Tags) -> tuple[int | None, int | None]:
    """Developed width and height after orientation: LibRaw's idea, else the EXIF pixel dimensions."""
    import rawpy

    try:
        with rawpy.imread(path) as raw:
            sizes = raw.sizes
            width, height = int(sizes.width), int(sizes.height)
            flip = int(sizes.flip)
        if width > 0 and height > 0:
            return (height, width) if flip in (5, 6) else (width, height)
    except Exception:  # LibRaw refuses stripped or unknown files; EXIF may still know the size
        pass
    width, height = tags.get(PIXEL_X), tags.get(PIXEL_Y)
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        swap = tags.ifd0.get(ORIENTATION) in (5, 6, 7, 8)
        return (height, width) if swap else (width, height)
    return None, None


def raw_preview(path: str) -> Any:
    """The embedded preview as a PIL image (JPEG or bitmap); MediaError when the file has none."""
    import rawpy
    from PIL import Image

    try:
        with rawpy.imread(path) as raw:
            thumb = raw.extract_thumb()
    except rawpy.LibRawNoThumbnailError:
        raise MediaError("unsupported", "RAW file without an embedded preview; developing RAW pixels "
                                        "is not supported") from None
    except (rawpy.LibRawFileUnsupportedError, rawpy.LibRawUnsupportedThumbnailError) as error:
        raise MediaError("unsupported", f"LibRaw cannot read this RAW file ({error})") from None
    except rawpy.LibRawIOError as error:
        raise MediaError("truncated", f"RAW file ends early ({error})") from None
    except rawpy.LibRawError as error:
        raise MediaError("corrupt", f"RAW data cannot be read ({type(error).__name__}: {error})") from None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        return Image.open(io.BytesIO(thumb.data))
    return Image.fromarray(thumb.data)
