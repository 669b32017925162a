"""Where thumbnails live: content-addressed files shared by the indexer, builder and sidecar.

A photo's thumbnails are `thumbs/<key[:2]>/<key>-<slot width>.<ext>` with `key` the file's content
hash, so identical files share thumbnails and a rebuild never re-encodes. The slot table below is
the single source of the sizes and formats (see README "Thumbnails" for why these).
A slot is a bounding box: the file of slot `s` is the upright picture scaled to fit within `s` x `s`
(never upscaled), so a portrait preview is 1440x1920, not 1920x2560. A slot is written only if it is
the first one or the picture's long edge exceeds the previous slot.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Slot:
    name: str
    width: int
    ext: str


# grid: loaded by the hundreds on every page, so the smallest bytes win -> WebP (-25% vs JPEG).
# lightbox/preview: encode cost dominates (WebP 1600 px ~25x JPEG's CPU here) -> baseline JPEG.
SLOTS: tuple[Slot, ...] = (
    Slot("grid", 400, "webp"),
    Slot("lightbox", 1280, "jpg"),
    Slot("preview", 1920, "jpg"),
)
SLOT_BY_WIDTH = {slot.width: slot for slot in SLOTS}
# What one camera photo's three slots take on disk, typically (12 MP JPEG: ~25 KB WebP grid, ~200 KB
# lightbox, ~400 KB preview): used to tell a person with a full disk how much a run still needs.
TYPICAL_BYTES_PER_PHOTO = 650_000


def slots_for(width: int, height: int) -> list[Slot]:
    """The slots written for an upright picture of `width` x `height` pixels."""
    chosen: list[Slot] = []
    previous, long_edge = 0, max(width, height)
    for slot in SLOTS:
        if not chosen or long_edge > previous:
            chosen.append(slot)
        previous = slot.width
    return chosen


def thumb_size(slot_width: int, width: int, height: int) -> tuple[int, int]:
    """Pixel size of the file of a slot for an upright `width` x `height` picture (fit within, no upscale)."""
    scale = min(1.0, slot_width / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumb_relpath(key: str, width: int) -> str:
    """Path of one thumbnail relative to the thumbs folder (and to the `/thumbs/` URL)."""
    return f"{key[:2]}/{key}-{width}.{SLOT_BY_WIDTH[width].ext}"


def thumb_files(key: str, widths: list[int]) -> list[str]:
    return [thumb_relpath(key, width) for width in widths]


def face_crop_relpath(crop_key: str) -> str:
    """Path of one face crop relative to the thumbs folder (and to the `/thumbs/` URL)."""
    return f"faces/{crop_key[:2]}/{crop_key}.jpg"


def face_crop_path(thumbs_root: Path, crop_key: str) -> Path:
    """A face crop: `faces/<key[:2]>/<key>.jpg` under the thumbs folder (URL `thumbs/faces/...`),
    `crop_key` being the hex SHA-1 of the crop's JPEG bytes (content-addressed, shared)."""
    return thumbs_root / face_crop_relpath(crop_key)
