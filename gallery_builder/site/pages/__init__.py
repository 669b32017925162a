"""The page-kind registry: every kind of page or data file the site has, named once.

The builder gathers pages by walking PAGE_KINDS; the renderer looks a page's kind up here for its
template and data files. Adding a page kind means adding one module and one line below.

How a new page kind plugs in, and its memory rules (a library may hold 1,000,000 photos and the
build must stay within about 1.5 GB on a NAS):
- `gather(catalog, library)` yields the kind's pages that live in the generation itself (a few
  thousand at most: years, people, collections). Each `Page` has cheap `inputs` (fingerprint
  material) and a lazy `build`; make inputs from vectorised facts (`catalog.rows_digest(rows)`,
  numpy arrays of capture positions), never by materialising every photo.
- A kind with one page per photo (or per any large set: stacks, duplicates, faces) yields
  `Unit`s from `units(catalog, library)` instead: a unit is a folder of pages stored and shared
  as a whole (a photo bucket of 1000 ids, a top-level folder). Its `inputs` cover every page of
  the unit and are computed without making the pages (vectorised digests grouped by unit), so an
  unchanged unit is skipped without building anything; `pages()` runs only for a changed unit,
  in a worker, and materialises at most that unit's photos (`catalog.photos(rows)`).
- A page's `build()` materialises only the photos it shows, and only when it renders.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, NamedTuple

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import DataFile, Page


class Unit(NamedTuple):
    """A group of pages of one kind stored together under the URL prefix `name + "/"`."""

    kind: str
    name: str                                # "photos/12", "folders/photos/2019"
    inputs: str                              # fingerprint material of every page of the unit
    count: int                               # how many pages `pages()` gives
    pages: Callable[[], Iterable[Page]]      # the unit's pages (gathered only when it changed)


def no_data_files(model: Any) -> dict[str, DataFile]:
    return {}


def no_pages(catalog: Catalog, library: Library) -> Iterable[Page]:
    return ()


def no_units(catalog: Catalog, library: Library) -> Iterable[Unit]:
    return ()


@dataclass(frozen=True)
class PageKind:
    """A kind of output: how to gather its pages (and units of pages), its template (None for a
    data file) and the extra JSON files written beside a page (e.g. a big grid's `_photos.json`)."""

    name: str
    gather: Callable[[Catalog, Library], Iterable[Page]] = no_pages
    template: str | None = None
    data_files: Callable[[Any], dict[str, DataFile]] = field(default=no_data_files)
    units: Callable[[Catalog, Library], Iterable[Unit]] = no_units


def all_pages(kind: PageKind, catalog: Catalog, library: Library) -> list[Page]:
    """Every page of a kind, units expanded: for tests and small libraries."""
    pages = list(kind.gather(catalog, library))
    for unit in kind.units(catalog, library):
        pages.extend(unit.pages())
    return pages


def _registry() -> dict[str, PageKind]:
    from gallery_builder.site.pages import (collections, duplicates, folder, home, map_page, on_this_day, people,
                                            photo, rank, review, search, site_state, stacks, status, year,
                                            year_best)

    kinds = (home.KIND, year.KIND, folder.KIND, photo.KIND, map_page.KIND, map_page.POINTS_KIND,
             search.KIND, search.SHARD_KIND, search.MANIFEST_KIND, status.KIND, on_this_day.KIND, site_state.KIND,
             collections.INDEX_KIND, collections.KIND, people.INDEX_KIND, people.WHO_KIND, people.KIND,
             people.NAMES_KIND, review.KIND, stacks.INDEX_KIND, stacks.KIND, duplicates.KIND, rank.KIND,
             year_best.KIND)
    return {kind.name: kind for kind in kinds}


PAGE_KINDS: dict[str, PageKind] = _registry()
