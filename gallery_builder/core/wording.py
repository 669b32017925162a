"""How a photo's facts are worded wherever they are shown (site pages, search results): camera,
exposure. Pure functions of their inputs (no locale, no clock), so every build and every answer agree.
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def camera_label(make: str | None, model: str | None) -> str:
    """Make and model without the make repeated ("Canon Canon EOS 40D" -> "Canon EOS 40D")."""
    make, model = (make or "").strip(), (model or "").strip()
    if model.lower().startswith(make.lower()):
        return model
    return f"{make} {model}".strip()


def exposure_label(exposure_time: float | None, aperture: float | None, focal_length: float | None,
                   iso: int | None) -> str:
    """"1/250 s · f/4 · 35 mm · ISO 100" (the parts the file gave)."""
    parts = []
    if exposure_time:
        if exposure_time < 1:
            parts.append(f"1/{round(1 / exposure_time)} s")
        else:
            parts.append(f"{exposure_time:g} s")
    if aperture:
        parts.append(f"f/{aperture:g}")
    if focal_length:
        parts.append(f"{focal_length:g} mm")
    if iso:
        parts.append(f"ISO {iso}")
    return " · ".join(parts)
