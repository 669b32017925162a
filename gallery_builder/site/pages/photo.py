"""One page per photo (the permalink): preview, original, facts, place, colours, day neighbours.

Photo pages are stored in buckets of 1000 ids (`Page.unit`), so a rebuild shares every unchanged
bucket with the previous site instead of copying 100,000 files.
"""
from __future__ import annotations

import re
from functools import partial
from typing import Iterable

from gallery_builder.core.color_names import names_of
from gallery_builder.core.urls import photo_bucket, photo_url, thumb_url
from gallery_builder.core.wording import camera_label, exposure_label
from gallery_builder.site.cards import display_size, is_original_viewable
from gallery_builder.site.catalog import Catalog
from gallery_builder.site.formatting import day_label, duration_label, size_label, time_label
from gallery_builder.site.library import Library, Photo
from gallery_builder.site.page_models import Link, Page, PhotoPage, Preview
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.common import folder_display, photo_link
from gallery_builder.site.urls import year_url
from gallery_builder.core.thumb_layout import SLOT_BY_WIDTH, thumb_size

HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
NO_PHOTO = "-" * 24   # stands for a missing neighbour in the inputs (digests are 24 characters)


def preview_of(photo: Photo) -> Preview | None:
    """The srcset of the written slots; each file fits within its slot's box (thumb_layout.thumb_size)."""
    if not photo.thumb_key or not photo.thumb_widths:
        return None
    width, height = display_size(photo)
    sources = []
    for slot_width in photo.thumb_widths:
        slot = SLOT_BY_WIDTH.get(slot_width)
        if slot is not None:
            sources.append((thumb_url(photo.thumb_key, slot.width), thumb_size(slot.width, width, height)[0]))
    if not sources:
        return None
    large = [source for source in sources if source[1] >= 1000] or sources
    return Preview(src=large[0][0], sources=tuple(sources), width=width, height=height)


def facts_of(photo: Photo) -> tuple[tuple[str, str], ...]:
    rows = [
        ("Camera", camera_label(photo.camera_make, photo.camera_model)),
        ("Lens", photo.lens or ""),
        ("Exposure", exposure_label(photo.exposure_time, photo.aperture, photo.focal_length, photo.iso)),
        ("Size", f"{photo.width} × {photo.height} px" if photo.width and photo.height else ""),
        ("File", f"{size_label(photo.size)} · {photo.format or photo.kind}"),
        ("Duration", duration_label(photo.duration)),
        ("Altitude", f"{photo.gps_alt:.0f} m" if photo.gps_alt is not None and photo.has_location else ""),
    ]
    return tuple((label, value) for label, value in rows if value)


def place_of(photo: Photo) -> str:
    parts = [part for part in (photo.place, photo.admin, photo.country) if part]
    return ", ".join(dict.fromkeys(parts))


def photo_page(photo: Photo, catalog: Catalog, previous: Photo | None, following: Photo | None, index: int,
               count: int) -> PhotoPage:
    """The model of one photo page; `index` (1-based) of `count` photos that day, neighbours."""
    folder = catalog.folders[(photo.root, photo.folder)]
    located = photo.has_location
    return PhotoPage(
        title=photo.name,
        id=photo.id,
        kind=photo.kind,
        folder=Link(url=folder.url, label=folder_display(folder)),
        year=Link(url=year_url(photo.year), label=photo.year.capitalize()),
        day=day_label(photo.day) if photo.day else "Date unknown",
        time=time_label(photo.taken_at, photo.tz_offset),
        date_in_future=photo.date_in_future,
        preview=preview_of(photo),
        original=photo.original,
        original_viewable=is_original_viewable(photo),
        facts=facts_of(photo),
        place=place_of(photo),
        latitude=round(photo.gps_lat, 6) if located else None,
        longitude=round(photo.gps_lon, 6) if located else None,
        colors=tuple(color for color in photo.colors if HEX_COLOR.fullmatch(color)),   # goes into a style attribute
        color_names=tuple(names_of(list(photo.colors))),
        previous=photo_link(previous),
        next=photo_link(following),
        position=f"{index} of {count} on this day" if count > 1 else "",
        duration=duration_label(photo.duration),
        description=photo.description,
        tags=photo.tags,
        score=photo.score,
        flag=photo.flag,
        stars=photo.stars,
    )


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    """One page per photo; its inputs: its row, its day neighbours' rows, folder URL, place in the day."""
    for day_photos in catalog.days.values():
        count = len(day_photos)
        for index, photo in enumerate(day_photos):
            previous = day_photos[index - 1] if index else None
            following = day_photos[index + 1] if index + 1 < count else None
            folder_url = catalog.folders[(photo.root, photo.folder)].url
            inputs = (f"{photo.digest}{previous.digest if previous else NO_PHOTO}{following.digest if following else NO_PHOTO}"
                      f"{folder_url}|{index + 1}/{count}")
            yield Page(kind="photo", url=photo_url(photo.id), inputs=inputs,
                       build=partial(photo_page, photo, catalog, previous, following, index + 1, count),
                       unit=f"photos/{photo_bucket(photo.id)}")


KIND = PageKind(name="photo", gather=gather, template="photo.html")
