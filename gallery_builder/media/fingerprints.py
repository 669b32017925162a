"""Colour palettes (colorthief's MMCQ) and perceptual hashes (ImageHash) of a grid thumbnail.

`dominant_colors` gives exactly what `ColorThief(path).get_palette(color_count, quality)` gives:
the same pixel selection (every `quality`-th pixel, opaque, not near-white) fed to colorthief's
own quantiser, gathered with numpy instead of `Image.getdata()` (deprecated, gone in Pillow 14).
The cost (~90 ms) is MMCQ's walk over colour boxes, so fewer pixels would not make it faster.
"""
from __future__ import annotations

from typing import Any

PALETTE_SIZE = 5
PALETTE_QUALITY = 10  # colorthief's default sampling step


def palette_pixels(image: Any, quality: int = PALETTE_QUALITY) -> list[tuple[int, int, int]]:
    """The pixels colorthief's get_palette would quantise, in the same order."""
    import numpy

    rgba = numpy.asarray(image.convert("RGBA")).reshape(-1, 4)[::quality]
    white = (rgba[:, 0] > 250) & (rgba[:, 1] > 250) & (rgba[:, 2] > 250)
    chosen = rgba[(rgba[:, 3] >= 125) & ~white, :3]
    return [tuple(pixel) for pixel in chosen.tolist()]


def dominant_colors(path: str, count: int = PALETTE_SIZE, quality: int = PALETTE_QUALITY) -> list[str]:
    """'#rrggbb' colours, most dominant first (an all-white or transparent picture gives white)."""
    from colorthief import MMCQ
    from PIL import Image

    with Image.open(path) as image:
        pixels = palette_pixels(image, quality)
    if not pixels:
        return ["#ffffff"]
    palette = MMCQ.quantize(pixels, count).palette
    return ["#%02x%02x%02x" % tuple(color) for color in palette]


def perceptual_hash(path: str) -> str:
    """ImageHash's DCT pHash (8x8 bits), as 16 hex digits."""
    import imagehash
    from PIL import Image

    with Image.open(path) as image:
        return str(imagehash.phash(image))
