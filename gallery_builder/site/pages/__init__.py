"""The page-kind registry: every kind of page or data file the site has, named once.

The builder gathers pages by walking PAGE_KINDS; the renderer looks a page's kind up here for its
template and data files. Adding a page kind means adding one module and one line below.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import DataFile, Page


def no_data_files(model: Any) -> dict[str, DataFile]:
    return {}


@dataclass(frozen=True)
class PageKind:
    """A kind of output: how to gather its pages, its template (None for a data file) and the
    extra JSON files written beside a page (e.g. a big grid's `_photos.json`)."""

    name: str
    gather: Callable[[Catalog, Library], Iterable[Page]]
    template: str | None = None
    data_files: Callable[[Any], dict[str, DataFile]] = field(default=no_data_files)


def _registry() -> dict[str, PageKind]:
    from gallery_builder.site.pages import (folder, home, map_page, on_this_day, photo, search, site_state, status,
                                            year)

    kinds = (home.KIND, year.KIND, folder.KIND, photo.KIND, map_page.KIND, map_page.POINTS_KIND,
             search.KIND, search.SHARD_KIND, search.MANIFEST_KIND, status.KIND, on_this_day.KIND, site_state.KIND)
    return {kind.name: kind for kind in kinds}


PAGE_KINDS: dict[str, PageKind] = _registry()
