"""The home page: years with counts and covers, recent folders, roots, map, collections, people and search entries.

"On this day" is not part of the model: the browser picks it every day from a small index
(see on_this_day.py), so the page stays right without a rebuild.
"""
from __future__ import annotations

from typing import Iterable

from gallery_builder.site.best_first import best_row
from gallery_builder.site.catalog import Catalog
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import HomePage, Link, Page, eager_page
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.common import count_label, folder_link, thumb_of
from gallery_builder.site.urls import year_url

RECENT_FOLDERS = 12


def year_cover(catalog: Catalog, rows) -> object:
    """The photo shown for a year: its best by the one "best first" order, else the middle one (of
    those with a thumbnail)."""
    import pyarrow.compute as pc

    keys = catalog.table.column("thumb_key", rows)
    has_thumb = pc.fill_null(pc.greater(pc.utf8_length(keys), 0), False).to_numpy(zero_copy_only=False)
    with_thumbs = rows[has_thumb] if has_thumb.any() else rows
    middle = int(with_thumbs[len(with_thumbs) // 2])
    return catalog.photos([best_row(catalog.scores, with_thumbs, middle)])[0]


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    from gallery_builder.site.pages.duplicates import group_count
    from gallery_builder.site.pages.map_page import located_rows
    from gallery_builder.site.pages.stacks import stack_count

    years = tuple(
        Link(url=year_url(year), label=year, thumb=thumb_of(year_cover(catalog, rows)), detail=count_label(len(rows)))
        for year, rows in sorted(catalog.years.items(), reverse=True))
    leaves = [node for node in catalog.folders.values() if node.count]
    leaves.sort(key=lambda node: (node.latest, node.root, node.path), reverse=True)
    model = HomePage(
        title="Photos",
        photo_count=catalog.photo_count,
        years=years,
        recent_folders=tuple(folder_link(node) for node in leaves[:RECENT_FOLDERS]),
        roots=tuple(folder_link(node) for _, node in sorted(catalog.roots.items())),
        has_map=bool(len(located_rows(catalog))),
        collection_count=len(library.collections),
        people_count=len(library.faces.visible_people) + len(library.faces.paged_clusters),
        duplicate_groups=group_count(library),
        stack_count=stack_count(catalog),
    )
    yield eager_page("home", "", model)


KIND = PageKind(name="home", gather=gather, template="home.html")
