"""One page per photo (the permalink): preview, original, facts, place, colours, faces, day neighbours.

Photo pages are stored in buckets of 1000 ids (`Page.unit`), so a rebuild shares every unchanged
bucket with the previous site instead of copying 100,000 files.
"""
from __future__ import annotations

import hashlib
import re
from functools import partial
from typing import Any, Callable, Iterable

from gallery_builder.core.color_names import names_of
from gallery_builder.core.urls import PHOTO_BUCKET_SIZE, photo_bucket, photo_url, stack_url, thumb_url
from gallery_builder.core.wording import camera_label, exposure_label
from gallery_builder.site.cards import display_size, is_original_viewable
from gallery_builder.site.catalog import Catalog
from gallery_builder.site.formatting import day_label, duration_label, size_label, time_label
from gallery_builder.site.library import Library, Photo
from gallery_builder.site.page_models import FaceMark, Link, Page, PhotoPage, Preview
from gallery_builder.site.pages import PageKind, Unit
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


def stack_link(photo: Photo) -> Link | None:
    if photo.stack_id is None:
        return None
    return Link(url=stack_url(photo.stack_id), label="Top photo of a stack" if photo.stack_top else "In a stack")


def collection_links(catalog: Catalog, library: Library) -> dict[int, tuple[Link, ...]]:
    """Photo id -> the collections holding it (by name), for the photos in any collection."""
    from gallery_builder.site.pages.collections import collection_urls, member_rows

    if not library.collections:
        return {}
    urls = collection_urls(library.collections)
    rows = member_rows(catalog, library.collections)
    found: dict[int, list[Link]] = {}
    for item in sorted(library.collections, key=lambda item: (item.name.casefold(), item.id)):
        for photo_id in catalog.table.ids[rows[item.id]].tolist():
            found.setdefault(photo_id, []).append(Link(url=urls[item.id], label=item.name))
    return {photo_id: tuple(links) for photo_id, links in found.items()}


def photo_page(photo: Photo, catalog: Catalog, previous: Photo | None, following: Photo | None, index: int,
               count: int, collections: tuple[Link, ...] = ()) -> PhotoPage:
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
        score=photo.aesthetic_score,
        concepts=photo.concepts,
        critique=photo.critique,
        description_disputed=bool(photo.description_disputed),
        flag=photo.flag,
        stars=photo.stars,
        faces=tuple(FaceMark(x=box.x, y=box.y, w=box.w, h=box.h, label=box.name or "Unknown", url=box.url,
                             face_id=box.face_id, person_id=box.person_id)
                    for box in photo.faces),
        stack=stack_link(photo),
        collections=collections,
    )


def _neighbours(catalog: Catalog) -> tuple[Any, Any, Any, Any]:
    """Per capture position: has a previous / next photo the same day, index in the day (1-based),
    photos that day; vectorised from the day runs."""
    import numpy as np

    count = catalog.photo_count
    index, size = np.zeros(count, np.int64), np.zeros(count, np.int64)
    for rows in catalog.days.values():
        index[rows.start:rows.stop] = np.arange(1, len(rows) + 1)
        size[rows.start:rows.stop] = len(rows)
    return index > 1, index < size, index, size


def _membership_text(links: tuple[Link, ...]) -> str:
    return "|".join(f"{link.url}={link.label}" for link in links)


def unit_inputs(catalog: Catalog, memberships: dict[int, tuple[Link, ...]] | None = None) -> Callable[[Any], str]:
    """Fingerprint material of the photo pages of some capture positions (a bucket, by id): per
    photo its row digest, the names on it, its day neighbours' digests, a digest of its folder URL,
    its place in the day, the collections holding it, hashed from vectorised arrays without making a page or a
    photo record."""
    import numpy as np

    table = catalog.table
    has_previous, has_next, index, size = _neighbours(catalog)
    digests = table.digests
    url_digests = np.frombuffer(b"".join(hashlib.blake2b(node.url.encode("utf-8", "surrogatepass"), digest_size=8)
                                         .digest() for node in catalog.leaves) or b"", np.uint8).reshape(-1, 8)

    def inputs(rows: Any) -> str:
        hasher = hashlib.blake2b(digest_size=16)
        hasher.update(digests[rows].tobytes())
        hasher.update(np.where(has_previous[rows, None], digests[rows - 1], 0).astype(np.uint8).tobytes())
        hasher.update(np.where(has_next[rows, None], digests[(rows + 1) % len(digests)], 0).astype(np.uint8).tobytes())
        hasher.update(url_digests[catalog.folder_of_row[rows]].tobytes())
        hasher.update(table.name_digests[rows].tobytes())
        hasher.update(np.column_stack([table.ids[rows], index[rows], size[rows], has_previous[rows],
                                       has_next[rows]]).astype(np.int64).tobytes())
        if memberships:
            for photo_id in table.ids[rows].tolist():
                if photo_id in memberships:
                    hasher.update(f"{photo_id}:{_membership_text(memberships[photo_id])}\n".encode())
        return f"{len(rows)}:{hasher.hexdigest()}"

    return inputs


def bucket_pages(catalog: Catalog, rows: Any, memberships: dict[int, tuple[Link, ...]] | None = None) -> list[Page]:
    """The photo pages of one bucket (capture positions `rows`, by id): one page per photo; its
    inputs: its row, its day neighbours' rows, folder URL, place in the day."""
    import numpy as np

    has_previous, has_next, index, size = _neighbours_of(catalog, rows)
    wanted = np.unique(np.concatenate([rows, rows[has_previous] - 1, rows[has_next] + 1]))
    photos = dict(zip(wanted.tolist(), catalog.photos(wanted)))
    pages = []
    for row, before, after, number, count in zip(rows.tolist(), has_previous.tolist(), has_next.tolist(),
                                                 index.tolist(), size.tolist()):
        photo = photos[row]
        previous = photos[row - 1] if before else None
        following = photos[row + 1] if after else None
        folder_url = catalog.folder_urls[(photo.root, photo.folder)]
        collections = (memberships or {}).get(photo.id, ())
        inputs = (f"{photo.digest}{previous.digest if previous else NO_PHOTO}{following.digest if following else NO_PHOTO}"
                  f"{catalog.table.name_digests[row].tobytes().hex()}"
                  f"{folder_url}|{number}/{count}" + (f"|{_membership_text(collections)}" if collections else ""))
        pages.append(Page(kind="photo", url=photo_url(photo.id), inputs=inputs,
                          build=partial(photo_page, photo, catalog, previous, following, number, count, collections),
                          unit=f"photos/{photo_bucket(photo.id)}"))
    return pages


def _neighbours_of(catalog: Catalog, rows: Any) -> tuple[Any, Any, Any, Any]:
    """_neighbours for some capture positions only (a bucket's)."""
    import numpy as np

    runs = getattr(catalog, "_day_runs", None)
    if runs is None:
        starts = np.array([day.start for day in catalog.days.values()], np.int64)
        stops = np.array([day.stop for day in catalog.days.values()], np.int64)
        order = np.argsort(starts)
        runs = catalog._day_runs = (starts[order], stops[order])
    starts, stops = runs
    run = np.searchsorted(starts, rows, side="right") - 1
    index = rows - starts[run] + 1
    size = stops[run] - starts[run]
    return index > 1, index < size, index, size


def units(catalog: Catalog, library: Library) -> Iterable[Unit]:
    """One unit per bucket of 1000 ids; its inputs are hashed from unit_inputs without making a page."""
    if not catalog.photo_count:
        return
    import numpy as np

    memberships = collection_links(catalog, library)
    inputs = unit_inputs(catalog, memberships)
    ids = catalog.table.ids
    by_id = np.argsort(ids, kind="stable")
    buckets = ids[by_id] // PHOTO_BUCKET_SIZE
    starts = np.flatnonzero(np.diff(buckets, prepend=buckets[0] - 1))
    stops = starts[1:].tolist() + [len(by_id)]
    for start, stop in zip(starts.tolist(), stops):
        rows = by_id[start:stop]
        yield Unit(kind="photo", name=f"photos/{photo_bucket(int(ids[rows[0]]))}", inputs=inputs(rows),
                   count=stop - start, pages=partial(bucket_pages, catalog, rows, memberships))


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    """Every photo page (all units expanded): for tests and small libraries."""
    for unit in units(catalog, library):
        yield from unit.pages()


KIND = PageKind(name="photo", units=units, template="photo.html")
