"""The top of each year (`years/2023/best/`): its best photos by the "best first" order, for the years
where anything is rated, starred or scored (the year page links to it then). Only those judged
photos are its inputs and are materialised, so a change to any other photo leaves it alone."""
from __future__ import annotations

from functools import partial
from typing import Any, Iterable

from gallery_builder.core.best_first import STEPS, best_first, score
from gallery_builder.site.best_first import facts_of, judged_rows
from gallery_builder.site.catalog import Catalog
from gallery_builder.site.fingerprint import pack
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import Page, YearBestPage
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.collections import folder_urls_of
from gallery_builder.site.pages.common import grid_section, photos_inputs
from gallery_builder.site.urls import year_url

TOP_OF_YEAR = 50


def best_url(year: str) -> str:
    return year_url(year) + "best/"


def year_best_page(year: str, rows: Any, catalog: Catalog) -> YearBestPage:
    photos = catalog.photos(rows)
    facts = facts_of(photos, catalog.rank_facts(rows))
    judged = [index for index in best_first(facts, STEPS) if score(facts[index], STEPS) is not None]
    shown = [photos[index] for index in judged[:TOP_OF_YEAR]]
    return YearBestPage(title=f"Best of {year}", year=year, count=len(shown), judged=len(judged),
                        grid=grid_section(shown, catalog.folder_urls, group="none"), year_url=year_url(year))


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    """A page per dated year with judged photos (inputs: those photos' rows, ratings and folder URLs)."""
    for year in sorted(catalog.years):
        rows = judged_rows(catalog, catalog.years[year]) if year.isdigit() else ()
        if len(rows):
            inputs = pack(photos_inputs(catalog, rows, folder_urls_of(catalog, rows)))
            yield Page(kind="year_best", url=best_url(year), inputs=inputs, build=partial(year_best_page, year, rows,
                                                                                          catalog))


KIND = PageKind(name="year_best", gather=gather, template="year_best.html")
