"""Collections (albums): the index of every collection and one grid page per collection, its
photos in the collection's manual order (members that are not indexed and `ok` are left out)."""
from __future__ import annotations

from functools import partial
from typing import Any, Iterable

from gallery_builder.site.best_first import best_row
from gallery_builder.site.catalog import Catalog
from gallery_builder.site.fingerprint import pack
from gallery_builder.site.formatting import day_label
from gallery_builder.site.library import Collection, Library
from gallery_builder.site.page_models import CollectionPage, CollectionsPage, Link, Page, eager_page
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.common import count_label, grid_data_files, grid_section, photos_inputs, thumb_of
from gallery_builder.site.urls import allocate_segments

INDEX_URL = "collections/"


def collection_urls(collections: Iterable[Collection]) -> dict[int, str]:
    """Collection id -> its page URL (names are unique; segments are allocated like folders')."""
    collections = list(collections)
    segments = allocate_segments(item.name for item in collections)
    return {item.id: f"{INDEX_URL}{segments[item.name]}/" for item in collections}


def member_rows(catalog: Catalog, collections: tuple[Collection, ...]) -> dict[int, Any]:
    """Collection id -> capture positions of its `ok` members, in manual order (numpy)."""
    import numpy as np

    ids = catalog.table.ids
    sorter = np.argsort(ids, kind="stable")
    result = {}
    for item in collections:
        wanted = np.asarray(item.photo_ids, dtype=np.int64)
        if not len(ids) or not len(wanted):
            result[item.id] = np.zeros(0, np.int64)
            continue
        found = np.minimum(np.searchsorted(ids, wanted, sorter=sorter), len(ids) - 1)
        rows = sorter[found]
        result[item.id] = rows[ids[rows] == wanted]
    return result


def cover_row(item: Collection, rows: Any, catalog: Catalog) -> int | None:
    """The chosen cover when it is shown, else the collection's best by the one "best first" order
    (its first shown photo when none is judged above it)."""
    import numpy as np

    if not len(rows):
        return None
    chosen = [] if item.cover_photo_id is None else np.flatnonzero(catalog.table.ids[rows] == item.cover_photo_id)
    if item.cover_chosen and len(chosen):
        return int(rows[chosen[0]])
    return best_row(catalog.scores, rows, int(rows[chosen[0]]) if len(chosen) else int(rows[0]))


def newest_first(collections: tuple[Collection, ...]) -> list[Collection]:
    ordered = sorted(collections, key=lambda item: (item.name.casefold(), item.id))
    return sorted(ordered, key=lambda item: item.updated_at, reverse=True)


def index_page(catalog: Catalog, collections: list[Collection], rows: dict[int, Any],
               urls: dict[int, str]) -> CollectionsPage:
    covers = {item.id: cover_row(item, rows[item.id], catalog) for item in collections}
    shown = [covers[item.id] for item in collections if covers[item.id] is not None]
    photos = dict(zip(shown, catalog.photos(shown)))
    tiles = tuple(Link(url=urls[item.id], label=item.name, thumb=thumb_of(photos.get(covers[item.id])),
                       detail=count_label(len(rows[item.id])))
                  for item in collections)
    return CollectionsPage(title="Collections", collections=tiles)


def collection_page(item: Collection, rows: Any, catalog: Catalog) -> CollectionPage:
    photos = catalog.photos(rows)
    updated = day_label(item.updated_at[:10]) if item.updated_at else ""
    return CollectionPage(title=item.name, id=item.id, count=len(photos), updated=updated,
                          grid=grid_section(photos, catalog.folder_urls, group="none", ranks=catalog.rank_facts(rows)),
                          rank_scope=f"collection:{item.id}")


def folder_urls_of(catalog: Catalog, rows: Any) -> tuple[str, ...]:
    import numpy as np

    codes = np.unique(catalog.folder_of_row[rows]) if len(rows) else []
    return tuple(sorted(catalog.leaves[code].url for code in np.asarray(codes).tolist()))


def gather_index(catalog: Catalog, library: Library) -> Iterable[Page]:
    """The index (cheap: one cover per collection), only when the export has a collection."""
    if library.collections:
        collections = newest_first(library.collections)
        rows = member_rows(catalog, library.collections)
        yield eager_page("collections", INDEX_URL, index_page(catalog, collections, rows, collection_urls(collections)))


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    """One page per collection: inputs are its row and its members' digests in manual order."""
    rows = member_rows(catalog, library.collections)
    urls = collection_urls(library.collections)
    for item in library.collections:
        members = rows[item.id]
        inputs = pack(*map(str, item.row), photos_inputs(catalog, members, folder_urls_of(catalog, members)))
        yield Page(kind="collection", url=urls[item.id], inputs=inputs,
                   build=partial(collection_page, item, members, catalog))


INDEX_KIND = PageKind(name="collections", gather=gather_index, template="collections.html")
KIND = PageKind(name="collection", gather=gather, template="collection.html", data_files=grid_data_files)
