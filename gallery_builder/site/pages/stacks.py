"""One page per stack (burst, bracket, sequence): its photos, top first, stored in buckets of 1000
stack ids like photo pages; photo pages of its members link here. Inputs are vectorised per bucket.
The stacks index (`stacks/`) shows the largest and the most recent stacks from the same arrays."""
from __future__ import annotations

from functools import partial
from typing import Any, Iterable

from gallery_builder.core.urls import PHOTO_BUCKET_SIZE, stack_url
from gallery_builder.site.catalog import Catalog
from gallery_builder.site.fingerprint import pack
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import Link, Page, StackPage, StacksPage, eager_page
from gallery_builder.site.pages import PageKind, Unit
from gallery_builder.site.pages.common import (
    count_label, folder_display, grid_section, month_year_label, photo_link, photos_inputs, thumb_of,
)
from gallery_builder.site.pages.folder import date_range

INDEX_URL = "stacks/"
INDEX_TILES = 48   # stacks shown in each list of the index


def stack_groups(catalog: Catalog) -> tuple[Any, Any, Any]:
    """(stack ids, start offsets, member rows): the capture positions of every stacked `ok` photo,
    grouped by stack id (ascending), each stack's top first then capture order. Empty without the
    export's `stack_id` column."""
    import numpy as np
    import pyarrow.compute as pc

    table = catalog.table
    empty = np.zeros(0, np.int64)
    if "stack_id" not in table.optional or not len(table):
        return empty, empty, empty
    stacks = pc.fill_null(table.column("stack_id"), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    tops = (pc.fill_null(table.column("stack_top"), False).to_numpy(zero_copy_only=False).astype(bool)
            if "stack_top" in table.optional else np.zeros(len(stacks), bool))
    rows = np.flatnonzero(stacks > 0)
    rows = rows[np.lexsort((rows, ~tops[rows], stacks[rows]))]
    if not len(rows):
        return empty, empty, empty
    starts = np.flatnonzero(np.diff(stacks[rows], prepend=-1))
    return stacks[rows[starts]], starts, rows


def stack_page(stack_id: int, rows: Any, catalog: Catalog) -> StackPage:
    photos = catalog.photos(rows)
    top = photos[0]
    folder = catalog.folders[(top.root, top.folder)]
    return StackPage(title=f"Stack of {count_label(len(photos))}", id=stack_id, count=len(photos),
                     date_range=date_range(photos), top=photo_link(top),
                     folder=Link(url=folder.url, label=folder_display(folder)),
                     grid=grid_section(photos, catalog.folder_urls, group="none"))


def _folder_urls(catalog: Catalog, rows: Any) -> tuple[str, ...]:
    import numpy as np

    codes = np.unique(catalog.folder_of_row[rows]) if len(rows) else []
    return tuple(sorted(catalog.leaves[code].url for code in np.asarray(codes).tolist()))


def _page(stack_id: int, rows: Any, catalog: Catalog) -> Page:
    inputs = pack(str(stack_id), photos_inputs(catalog, rows, _folder_urls(catalog, rows)))
    return Page(kind="stack", url=stack_url(stack_id), inputs=inputs, build=partial(stack_page, stack_id, rows, catalog),
                unit=f"stacks/{stack_id // PHOTO_BUCKET_SIZE}")


def units(catalog: Catalog, library: Library) -> Iterable[Unit]:
    """One unit per bucket of 1000 stack ids; its inputs cover each stack's id and members."""
    ids, starts, rows = stack_groups(catalog)
    if not len(ids):
        return
    stops = list(starts[1:].tolist()) + [len(rows)]
    bucket: list[Page] = []
    for stack_id, start, stop in zip(ids.tolist(), starts.tolist(), stops):
        if bucket and bucket[0].unit != f"stacks/{stack_id // PHOTO_BUCKET_SIZE}":
            yield _unit(bucket)
            bucket = []
        bucket.append(_page(stack_id, rows[start:stop], catalog))
    yield _unit(bucket)


def _unit(pages: list[Page]) -> Unit:
    inputs = pack(*(f"{page.url}={page.inputs}" for page in pages))
    return Unit(kind="stack", name=pages[0].unit, inputs=inputs, count=len(pages), pages=lambda: pages)


def stack_count(catalog: Catalog) -> int:
    return len(stack_groups(catalog)[0])


def index_page(catalog: Catalog) -> StacksPage | None:
    """The largest and the most recent stacks: sizes and latest captures come from the member arrays
    (capture positions grow with capture time); only the shown tops become photo records."""
    import numpy as np

    ids, starts, rows = stack_groups(catalog)
    if not len(ids):
        return None
    sizes = np.diff(np.append(starts, len(rows)))
    latest = np.maximum.reduceat(rows, starts)
    largest = np.lexsort((-latest, -sizes))[:INDEX_TILES]
    recent = np.argsort(-latest, kind="stable")[:INDEX_TILES]
    shown = np.unique(np.concatenate([largest, recent]))
    tops = dict(zip(shown.tolist(), catalog.photos(rows[starts[shown]])))
    latest_times = dict(zip(shown.tolist(), catalog.table.column("taken_at", latest[shown]).to_pylist()))

    def tile(index: int) -> Link:
        when = month_year_label(latest_times[index] or "")
        return Link(url=stack_url(int(ids[index])), label=count_label(int(sizes[index])), thumb=thumb_of(tops[index]),
                    detail=when)

    return StacksPage(title="Stacks", count=len(ids), largest=tuple(tile(index) for index in largest.tolist()),
                      recent=tuple(tile(index) for index in recent.tolist()))


def gather_index(catalog: Catalog, library: Library) -> Iterable[Page]:
    model = index_page(catalog)
    if model is not None:
        yield eager_page("stacks", INDEX_URL, model)


KIND = PageKind(name="stack", units=units, template="stack.html")
INDEX_KIND = PageKind(name="stacks", gather=gather_index, template="stacks.html")
