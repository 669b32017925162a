"""The home page: years with counts and covers, recent folders, roots, map and search entries.

"On this day" is not part of the model: the browser picks it every day from a small index
(see on_this_day.py), so the page stays right without a rebuild.
"""
from __future__ import annotations

from typing import Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import HomePage, Link, Page, eager_page
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.common import count_label, folder_link, thumb_of
from gallery_builder.site.urls import year_url

RECENT_FOLDERS = 12


def year_cover(photos: list) -> object:
    """The photo shown for a year: the best scored one when scores exist, else the middle one."""
    scored = [photo for photo in photos if photo.score is not None and photo.thumb_key]
    if scored:
        return max(scored, key=lambda photo: (photo.score, -photo.id))
    with_thumbs = [photo for photo in photos if photo.thumb_key] or photos
    return with_thumbs[len(with_thumbs) // 2]


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    years = tuple(
        Link(url=year_url(year), label=year, thumb=thumb_of(year_cover(photos)), detail=count_label(len(photos)))
        for year, photos in sorted(catalog.years.items(), reverse=True))
    leaves = [node for node in catalog.folders.values() if node.photos]
    leaves.sort(key=lambda node: (node.latest, node.root, node.path), reverse=True)
    model = HomePage(
        title="Photos",
        photo_count=len(catalog.photos),
        years=years,
        recent_folders=tuple(folder_link(node) for node in leaves[:RECENT_FOLDERS]),
        roots=tuple(folder_link(node) for _, node in sorted(catalog.roots.items())),
        has_map=any(photo.has_location for photo in catalog.photos),
    )
    yield eager_page("home", "", model)


KIND = PageKind(name="home", gather=gather, template="home.html")
