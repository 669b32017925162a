"""Human-readable labels for page models: dates, sizes, durations. Pure functions (no locale, no
clock); a photo's camera and exposure are worded in core.wording, shared with the search sidecar.
"""
from __future__ import annotations

from datetime import date

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
