"""The small "on this day" index the home page reads in the browser: one file per month.

`data/on-this-day/06.json` maps "06-01" to a few photos of that calendar day from every year, so
the home page picks today's (earlier years only) without a rebuild.
"""
from __future__ import annotations

from typing import Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.cards import display_size, slot_mask
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import DataFile, Page, eager_page
from gallery_builder.site.pages import PageKind

PER_YEAR = 3


def _spread(photos: list, count: int) -> list:
    """`count` photos spread over the day (first, middle, last ...), only those with thumbnails."""
    usable = [photo for photo in photos if slot_mask(photo)]
    if len(usable) <= count:
        return usable
    step = (len(usable) - 1) / (count - 1)
    return [usable[round(index * step)] for index in range(count)]


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    months: dict[str, dict[str, list]] = {}
    for day, photos in sorted(catalog.days.items()):
        if len(day) != 10:
            continue
        entries = months.setdefault(day[5:7], {}).setdefault(day[5:], [])
        for photo in _spread(photos, PER_YEAR):
            width, height = display_size(photo)
            entries.append([int(day[:4]), photo.id, photo.thumb_key, width, height, slot_mask(photo)])
    for month, days in sorted(months.items()):
        yield eager_page("on-this-day", f"data/on-this-day/{month}.json", DataFile(payload={"days": days}))


KIND = PageKind(name="on-this-day", gather=gather)
