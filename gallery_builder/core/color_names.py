"""Colour words: the eleven names a search understands and how a dominant colour (#rrggbb) maps to one.

Shared by the search sidecar (colour words in a query, the `color` filter) and anything else that
shows or filters colours by name, so "red" means the same everywhere.
"""
from __future__ import annotations

import colorsys

COLOR_NAMES: tuple[str, ...] = (
    "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "gray",
)
ALIASES = {"grey": "gray", "violet": "purple", "cyan": "blue", "turquoise": "blue", "teal": "blue",
           "navy": "blue", "gold": "yellow", "golden": "yellow", "magenta": "pink", "beige": "brown"}
# Upper hue bounds (degrees) of the chromatic names, in order around the wheel.
_HUES = ((15, "red"), (40, "orange"), (68, "yellow"), (170, "green"), (260, "blue"), (295, "purple"),
         (340, "pink"), (361, "red"))


def canonical_color(word: str) -> str | None:
    """'Grey' -> 'gray', 'red' -> 'red', 'car' -> None."""
    lowered = word.strip().lower()
    lowered = ALIASES.get(lowered, lowered)
    return lowered if lowered in COLOR_NAMES else None


def color_name(hex_color: str) -> str | None:
    """The name of one `#rrggbb` colour (None if it is not a colour string)."""
    text = hex_color.strip().lstrip("#")
    if len(text) != 6:
        return None
    try:
        red, green, blue = (int(text[index:index + 2], 16) / 255 for index in (0, 2, 4))
    except ValueError:
        return None
    hue, saturation, value = colorsys.rgb_to_hsv(red, green, blue)
    degrees = hue * 360
    if value < 0.18:
        return "black"
    if saturation < 0.15 or (saturation < 0.25 and value < 0.5):
        return "white" if value > 0.85 else "gray"
    if 10 <= degrees < 45 and value < 0.6:
        return "brown"
    name = next(label for bound, label in _HUES if degrees < bound)
    if name == "red" and saturation < 0.45 and value > 0.7:
        return "pink"
    return name


def names_of(hex_colors: list[str], top: int = 3) -> list[str]:
    """Distinct names of the `top` most dominant colours, most dominant first."""
    found: list[str] = []
    for hex_color in hex_colors[:top]:
        name = color_name(hex_color)
        if name and name not in found:
            found.append(name)
    return found
