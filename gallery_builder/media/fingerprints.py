"""Colour palettes (colorthief's MMCQ, media/palette.py) and perceptual hashes (ImageHash) of a grid thumbnail.

`dominant_colors` gives what `ColorThief(path).get_palette(color_count, quality)` gives: the same
pixel selection (every `quality`-th pixel, opaque, not near-white) fed to the same MMCQ quantiser,
with the pixels gathered and the colour boxes summed by numpy (~1 ms instead of colorthief's ~70 ms).
"""
from __future__ import annotations

from typing import Any

PALETTE_SIZE = 5
PALETTE_QUALITY = 10  # colorthief's default sampling step


def palette_pixels(image: Any, quality: int = PALETTE_QUALITY) -> Any:
    """The pixels colorthief's get_palette would quantise, in the same order: an (N, 3) uint8 array."""
    import numpy

    rgba = numpy.asarray(image.convert("RGBA")).reshape(-1, 4)[::quality]
    white = (rgba[:, 0] > 250) & (rgba[:, 1] > 250) & (rgba[:, 2] > 250)
    return rgba[(rgba[:, 3] >= 125) & ~white, :3]


def dominant_colors(path: str, count: int = PALETTE_SIZE, quality: int = PALETTE_QUALITY) -> list[str]:
    """'#rrggbb' colours, most dominant first (an all-white or transparent picture gives white)."""
    from PIL import Image

    from gallery_builder.media.palette import quantize

    with Image.open(path) as image:
        pixels = palette_pixels(image, quality)
    if not len(pixels):
        return ["#ffffff"]
    return ["#%02x%02x%02x" % color for color in quantize(pixels, count)]


def perceptual_hash(path: str) -> str:
    """ImageHash's DCT pHash (8x8 bits), as 16 hex digits."""
    import imagehash
    from PIL import Image

    with Image.open(path) as image:
        return str(imagehash.phash(image))
