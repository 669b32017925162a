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
# text: description and tags; people: indices into the shard's "person" table, which holds person ids
# (their names are in people/_people.json, so a rename leaves the shards as they are)
SHARD_FIELDS = CARD_FIELDS + ("place", "country", "camera", "colors", "text", "people")
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


def shard_payload(rows, catalog: Catalog) -> dict:
    photos = catalog.photos(rows)
    tables = {name: _Table() for name in ("place", "country", "camera", "person")}
    grid = grid_data(photos, catalog.folder_urls)
    rows = []
    for photo, card in zip(photos, grid.rows):
        _, place, country, camera = _facets(photo, catalog)
        colors = sum(COLOR_BITS[name] for name in names_of(list(photo.colors)))
        text = " ".join(filter(None, (photo.description, *photo.tags))) or None
        people = sorted({tables["person"].ref(box.person_id) for box in photo.faces if box.person_id is not None})
        rows.append([*card[:9], card[9] if len(card) > 9 else None, tables["place"].ref(place),
                     tables["country"].ref(country), tables["camera"].ref(camera), colors, text, people])
    return {"fields": SHARD_FIELDS, "folders": grid.folders,
            "tables": {name: table.values for name, table in tables.items()}, "rows": rows}


def gather_shards(catalog: Catalog, library: Library) -> Iterable[Page]:
    for year, rows in sorted(catalog.years.items()):
        yield Page(kind="search-shard", url=f"{INDEX_DIR}{year}.json",
                   inputs=photos_inputs(catalog, rows, catalog.year_folder_urls[year]),
                   build=lambda rows=rows: DataFile(payload=shard_payload(rows, catalog)))


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({value for value in values if value}, key=str.casefold))


def _unique(catalog: Catalog, name: str) -> list:
    import pyarrow.compute as pc

    return pc.unique(catalog.table.table.column(name)).to_pylist()


def search_model(catalog: Catalog) -> SearchPage:
    table = catalog.table.table
    cameras = table.select(["camera_make", "camera_model"]).group_by(["camera_make", "camera_model"]).aggregate([])
    months = sorted(month for month in _unique_months(table) if month is not None)
    return SearchPage(
        title="Search",
        index_url=MANIFEST_URL,
        years=tuple(sorted(catalog.years, reverse=True)),
        months=tuple((month, MONTHS[int(month) - 1]) for month in months),
        countries=_distinct(_unique(catalog, "country")),
        places=_distinct(_unique(catalog, "place")),
        cameras=_distinct(camera_label(make, model) for make, model in
                          zip(cameras.column("camera_make").to_pylist(), cameras.column("camera_model").to_pylist())),
        folders=_distinct(folder_display(node) for node in catalog.folders.values() if node.count),
        colors=COLOR_NAMES,
        people=tuple(person.name for person in catalog.table.faces.visible_people),
    )


def _unique_months(table) -> list:
    """The distinct `taken_at[5:7]` of photos with a capture time (None for the others)."""
    import pyarrow.compute as pc

    taken = table.column("taken_at")
    dated = pc.and_(pc.is_valid(taken), pc.greater(pc.utf8_length(pc.fill_null(taken, "")), 0))
    return pc.unique(pc.if_else(dated, pc.utf8_slice_codeunits(pc.fill_null(taken, ""), 5, 7), None)).to_pylist()


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    yield eager_page("search", "search/", search_model(catalog))


def gather_manifest(catalog: Catalog, library: Library) -> Iterable[Page]:
    shards = [{"year": year, "count": len(rows), "url": f"{INDEX_DIR}{year}.json"}
              for year, rows in sorted(catalog.years.items(), reverse=True)]
    payload = {"version": 1, "total": catalog.photo_count, "colors": COLOR_NAMES, "shards": shards}
    yield eager_page("search-manifest", MANIFEST_URL, DataFile(payload=payload))


KIND = PageKind(name="search", gather=gather, template="search.html")
SHARD_KIND = PageKind(name="search-shard", gather=gather_shards)
MANIFEST_KIND = PageKind(name="search-manifest", gather=gather_manifest)
