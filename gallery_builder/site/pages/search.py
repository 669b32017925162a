"""The search page and its offline index: pre-compressed JSON shards (one per year, one per month
of a year past SHARD_ROWS photos) plus a manifest that summarises each shard (search_summary.py).

Each shard carries its own string tables, so a change in one year rewrites only that year's (or
month's) shard. The page filters the shards in the browser when the search sidecar (/api/search)
is down, loading only those whose summary says they can match.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable, NamedTuple

from gallery_builder.site.cards import CARD_FIELDS, grid_data
from gallery_builder.site.catalog import Catalog
from gallery_builder.core.color_names import COLOR_NAMES, names_of
from gallery_builder.core.wording import camera_label
from gallery_builder.site.formatting import MONTHS
from gallery_builder.site.library import Library, Photo
from gallery_builder.site.page_models import DataFile, Page, SearchPage, eager_page
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.common import folder_display, photos_inputs
from gallery_builder.site.search_summary import shard_summary

INDEX_DIR = "search/index/"
MANIFEST_URL = INDEX_DIR + "manifest.json"
# the grid card fields (cards.CARD_FIELDS, "q" always present) then the facets, as table indices
# text: description and tags; people: indices into the shard's "person" table, which holds person ids
# (their names are in people/_people.json, so a rename leaves the shards as they are)
SHARD_FIELDS = CARD_FIELDS + ("place", "country", "camera", "colors", "text", "people")
COLOR_BITS = {name: 1 << index for index, name in enumerate(COLOR_NAMES)}
SHARD_ROWS = 20_000      # a year with more photos is split into one shard per month
MANIFEST_VERSION = 2     # 2: per-shard summaries ("month", "place", ..., "grams")


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


class Shard(NamedTuple):
    year: str
    month: str                 # "" for a whole year
    rows: Any                  # capture positions, capture order
    url: str
    inputs: str


def shards_of(catalog: Catalog) -> list[Shard]:
    """The offline index's shards, newest first: a year, or each month of a year past SHARD_ROWS."""
    import numpy as np

    shards, split_rows = [], SHARD_ROWS
    for year, rows in sorted(catalog.years.items(), reverse=True):
        parts = [("", rows)]
        if len(rows) > split_rows and year != "undated":
            by_month: dict[str, list[range]] = {}
            for day, span in catalog.days.items():
                if day[:4] == year:
                    by_month.setdefault(day[5:7], []).append(span)
            parts = [(month, np.concatenate([np.arange(span.start, span.stop) for span in spans]))
                     for month, spans in sorted(by_month.items(), reverse=True)]
        for month, part in parts:
            url = f"{INDEX_DIR}{year}{'-' + month if month else ''}.json"
            shards.append(Shard(year, month, part, url, photos_inputs(catalog, part, catalog.year_folder_urls[year])))
    return shards


def gather_shards(catalog: Catalog, library: Library) -> Iterable[Page]:
    for shard in shards_of(catalog):
        yield Page(kind="search-shard", url=shard.url, inputs=shard.inputs,
                   build=lambda rows=shard.rows: DataFile(payload=shard_payload(rows, catalog)))


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
    """The manifest: every shard with its summary, rebuilt (shard by shard, vectorised) only when a
    shard changed."""
    shards = shards_of(catalog)
    inputs = "\n".join(f"{shard.url} {hashlib.blake2b(shard.inputs.encode(), digest_size=16).hexdigest()}"
                        for shard in shards)

    def build() -> DataFile:
        entries = [{"year": shard.year, **({"month": shard.month} if shard.month else {}), "count": len(shard.rows),
                    "url": shard.url, **shard_summary(catalog, shard.rows)} for shard in shards]
        return DataFile(payload={"version": MANIFEST_VERSION, "total": catalog.photo_count, "colors": COLOR_NAMES,
                                 "shards": entries})

    yield Page(kind="search-manifest", url=MANIFEST_URL, inputs=f"{catalog.photo_count}\n{inputs}", build=build)


KIND = PageKind(name="search", gather=gather, template="search.html")
SHARD_KIND = PageKind(name="search-shard", gather=gather_shards)
MANIFEST_KIND = PageKind(name="search-manifest", gather=gather_manifest)
