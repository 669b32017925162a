"""The small "on this day" index the home page reads in the browser: one file per month.

`data/on-this-day/06.json` maps "06-01" to a few photos of that calendar day from every year, so
the home page picks today's (earlier years only) without a rebuild.
"""
from __future__ import annotations

from typing import Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import DataFile, Page, eager_page
from gallery_builder.site.pages import PageKind

PER_YEAR = 3


def _spread(rows, count: int) -> list[int]:
    """`count` photos spread over the day (first, middle, last ...), only those with thumbnails
    (`rows` are capture positions of the usable photos)."""
    if len(rows) <= count:
        return list(rows)
    step = (len(rows) - 1) / (count - 1)
    return [rows[round(index * step)] for index in range(count)]


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    import numpy as np

    chosen: list[tuple[str, list[int]]] = []
    usable = catalog.slot_masks > 0
    for day, rows in sorted(catalog.days.items()):
        if len(day) != 10:
            continue
        positions = np.arange(rows.start, rows.stop)
        chosen.append((day, _spread(positions[usable[positions]].tolist(), PER_YEAR)))
    picked = np.array([row for _, rows in chosen for row in rows], np.int64)
    table = catalog.table
    keys = table.column("thumb_key", picked).to_pylist()
    widths = table.column("width", picked).to_pylist()
    heights = table.column("height", picked).to_pylist()
    ids, slots = table.ids[picked].tolist(), catalog.slot_masks[picked].tolist()
    months: dict[str, dict[str, list]] = {}
    index = 0
    for day, rows in chosen:
        entries = months.setdefault(day[5:7], {}).setdefault(day[5:], [])
        for _ in rows:
            width, height = (int(widths[index]), int(heights[index])) if widths[index] and heights[index] else (4, 3)
            entries.append([int(day[:4]), ids[index], keys[index], width, height, slots[index]])
            index += 1
    for month, days in sorted(months.items()):
        yield eager_page("on-this-day", f"data/on-this-day/{month}.json", DataFile(payload={"days": days}))


KIND = PageKind(name="on-this-day", gather=gather)
