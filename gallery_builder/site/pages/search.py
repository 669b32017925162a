"""The search page and its offline index: one pre-compressed JSON shard per year plus a manifest.

Each shard carries its own string tables, so a change in one year rewrites only that year's
shard. The page filters these shards in the browser when the search sidecar (/api/search) is down.
"""
from __future__ import annotations

from typing import Iterable

from gallery_builder.site.cards import CARD_FIELDS, grid_data
from gallery_builder.site.catalog import Catalog
from gallery_builder.core.color_names import COLOR_NAMES, names_of
from gallery_builder.core.wording import camera_label
from gallery_builder.site.formatting import MONTHS
from gallery_builder.site.library import Library, Photo
from gallery_builder.site.page_models import DataFile, Page, SearchPage, eager_page
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.common import folder_display, photos_inputs

INDEX_DIR = "search/index/"
MANIFEST_URL = INDEX_DIR + "manifest.json"
# the grid card fields (cards.CARD_FIELDS, "q" always present) then the facets, as table indices
SHARD_FIELDS = CARD_FIELDS + ("place", "country", "camera", "colors", "text")   # text: description and tags
COLOR_BITS = {name: 1 << index for index, name in enumerate(COLOR_NAMES)}


def _facets(photo: Photo, catalog: Catalog) -> tuple[str, str, str, str]:
    place = photo.place or ""
    country = photo.country or ""
    camera = camera_label(photo.camera_make, photo.camera_model)
    return folder_display(catalog.folders[(photo.root, photo.folder)]), place, country, camera


class _Table:
    """Strings of one shard, each stored once and referred to by index."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.index: dict[str, int] = {}

    def ref(self, value: str) -> int:
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.values)
            self.values.append(value)
        return found


def shard_payload(photos: list[Photo], catalog: Catalog) -> dict:
    tables = {name: _Table() for name in ("place", "country", "camera")}
    folder_urls = {key: node.url for key, node in catalog.folders.items()}
    grid = grid_data(photos, folder_urls)
    rows = []
    for photo, card in zip(photos, grid.rows):
        _, place, country, camera = _facets(photo, catalog)
        colors = sum(COLOR_BITS[name] for name in names_of(list(photo.colors)))
        text = " ".join(filter(None, (photo.description, *photo.tags))) or None
        rows.append([*card[:9], card[9] if len(card) > 9 else None, tables["place"].ref(place),
                     tables["country"].ref(country), tables["camera"].ref(camera), colors, text])
    return {"fields": SHARD_FIELDS, "folders": grid.folders,
            "tables": {name: table.values for name, table in tables.items()}, "rows": rows}


def gather_shards(catalog: Catalog, library: Library) -> Iterable[Page]:
    for year, photos in sorted(catalog.years.items()):
        yield Page(kind="search-shard", url=f"{INDEX_DIR}{year}.json",
                   inputs=photos_inputs(photos, catalog.year_folder_urls[year]),
                   build=lambda photos=photos: DataFile(payload=shard_payload(photos, catalog)))


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({value for value in values if value}, key=str.casefold))


def search_model(catalog: Catalog) -> SearchPage:
    photos = catalog.photos
    cameras = {(photo.camera_make, photo.camera_model) for photo in photos}
    months = sorted({photo.taken_at[5:7] for photo in photos if photo.taken_at})
    return SearchPage(
        title="Search",
        index_url=MANIFEST_URL,
        years=tuple(sorted(catalog.years, reverse=True)),
        months=tuple((month, MONTHS[int(month) - 1]) for month in months),
        countries=_distinct({photo.country for photo in photos}),
        places=_distinct({photo.place for photo in photos}),
        cameras=_distinct(camera_label(make, model) for make, model in cameras),
        folders=_distinct(folder_display(node) for node in catalog.folders.values() if node.photos),
        colors=COLOR_NAMES,
    )


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    yield eager_page("search", "search/", search_model(catalog))


def gather_manifest(catalog: Catalog, library: Library) -> Iterable[Page]:
    shards = [{"year": year, "count": len(photos), "url": f"{INDEX_DIR}{year}.json"}
              for year, photos in sorted(catalog.years.items(), reverse=True)]
    payload = {"version": 1, "total": len(catalog.photos), "colors": COLOR_NAMES, "shards": shards}
    yield eager_page("search-manifest", MANIFEST_URL, DataFile(payload=payload))


KIND = PageKind(name="search", gather=gather, template="search.html")
SHARD_KIND = PageKind(name="search-shard", gather=gather_shards)
MANIFEST_KIND = PageKind(name="search-manifest", gather=gather_manifest)
