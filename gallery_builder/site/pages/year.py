"""One page per year: every photo of the year grouped by month and day, with a month scrubber."""
from __future__ import annotations

from functools import partial
from typing import Iterable

from gallery_builder.site.catalog import Catalog
from gallery_builder.site.fingerprint import pack
from gallery_builder.site.formatting import month_label
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import Link, Page, YearPage
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.common import grid_data_files, grid_section, photos_inputs
from gallery_builder.site.urls import year_url


def _months(photos: list) -> tuple[tuple[str, str, int], ...]:
    counts: dict[str, int] = {}
    for photo in photos:
        month = photo.taken_at[5:7] if photo.taken_at else ""
        counts[month] = counts.get(month, 0) + 1
    return tuple((month, month_label(month) if month else "Undated", count) for month, count in counts.items())


def year_page(year: str, previous: str | None, following: str | None, catalog: Catalog) -> YearPage:
    photos = catalog.photos(catalog.years[year])
    folder_urls = catalog.folder_urls
    grid = grid_section(photos, folder_urls, collapse_stacks=True, ranks=catalog.rank_facts(catalog.years[year]))
    return YearPage(
        title=year.capitalize(),
        year=year,
        count=len(photos),
        months=_months(photos),
        grid=grid,
        previous=Link(url=year_url(previous), label=previous) if previous else None,
        next=Link(url=year_url(following), label=following) if following else None,
        best_url=year_url(year) + "best/" if year.isdigit() and grid.grid.best else "",
    )


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    years = sorted(catalog.years)
    for index, year in enumerate(years):
        rows = catalog.years[year]
        previous = years[index - 1] if index else None
        following = years[index + 1] if index + 1 < len(years) else None
        inputs = pack(str(previous), str(following), photos_inputs(catalog, rows, catalog.year_folder_urls[year]))
        yield Page(kind="year", url=year_url(year), inputs=inputs,
                   build=partial(year_page, year, previous, following, catalog))


KIND = PageKind(name="year", gather=gather, template="year.html", data_files=grid_data_files)
