"""Human-readable labels for page models: dates, exposure, camera, sizes.

Pure functions of their inputs (no locale, no clock), so a page renders the same on every build.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def month_label(month: str) -> str:
    """"06" -> "June"."""
    return MONTHS[int(month) - 1]


def day_label(day: str) -> str:
    """"2023-06-01" -> "Thursday, 1 June 2023" ("undated" stays as it is)."""
    try:
        value = date.fromisoformat(day)
    except ValueError:
        return day.capitalize()
    return f"{WEEKDAYS[value.weekday()]}, {value.day} {MONTHS[value.month - 1]} {value.year}"


def short_day_label(day: str) -> str:
    """"2023-06-01" -> "Thu 1 Jun"."""
    try:
        value = date.fromisoformat(day)
    except ValueError:
        return day.capitalize()
    return f"{WEEKDAYS[value.weekday()][:3]} {value.day} {MONTHS[value.month - 1][:3]}"


def time_label(taken_at: str | None, tz_offset: str | None = None) -> str:
    """"2023-06-01T14:05:09" -> "14:05:09" (+ the offset when the file gave one)."""
    if not taken_at or len(taken_at) < 19:
        return ""
    return taken_at[11:19] + (f" (UTC{tz_offset})" if tz_offset else "")


@lru_cache(maxsize=4096)
def camera_label(make: str | None, model: str | None) -> str:
    """Make and model without the make repeated ("Canon Canon EOS 40D" -> "Canon EOS 40D")."""
    make, model = (make or "").strip(), (model or "").strip()
    if model.lower().startswith(make.lower()):
        return model
    return f"{make} {model}".strip()


def exposure_label(exposure_time: float | None, aperture: float | None, focal_length: float | None,
                   iso: int | None) -> str:
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


def size_label(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def duration_label(seconds: float | None) -> str:
    if not seconds:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
