"""The duplicates pages: exact copies and near duplicates kept apart, GROUPS_PER_PAGE groups a page,
each copy with its size, resolution, date and folder, the proposed keeper first, and a "reject the
others" button (a flag through the sidecar; never a delete). Streams: one page's groups at a time."""
from __future__ import annotations

from functools import partial
from typing import Any, Iterable

from gallery_builder.core.urls import photo_url
from gallery_builder.site.cards import flags_for
from gallery_builder.site.catalog import Catalog
from gallery_builder.site.fingerprint import pack
from gallery_builder.site.formatting import size_label
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import DuplicateCopy, DuplicateGroupView, DuplicatesPage, Link, Page
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.common import count_label, folder_display, thumb_of

INDEX_URL = "duplicates/"
GROUPS_PER_PAGE = 100
KIND_LABELS = {"exact": "Exact copies", "near": "Near duplicates"}


def page_url(kind: str, number: int) -> str:
    """`duplicates/` is the first page of exact copies (else of near duplicates when there are none)."""
    return f"{INDEX_URL}{kind}/" + (f"{number}/" if number > 1 else "")


def duplicate_groups(catalog: Catalog, library: Library) -> dict[str, list[tuple[int, Any, Any, Any]]]:
    """Kind -> groups (group id, capture positions keeper first, copy kinds, keeper flags) with at
    least two copies among the `ok` photos, by group id; vectorised over duplicates.parquet."""
    import numpy as np
    import pyarrow.compute as pc

    table = library.duplicates
    found: dict[str, list[tuple[int, Any, Any, Any]]] = {"exact": [], "near": []}
    if table is None or not len(catalog.table):
        return found
    ids = catalog.table.ids
    sorter = np.argsort(ids, kind="stable")
    groups = table.column("group_id").to_numpy().astype(np.int64)
    photo_ids = table.column("photo_id").to_numpy().astype(np.int64)
    exact = pc.fill_null(pc.equal(table.column("kind"), "exact"), False).to_numpy(zero_copy_only=False).astype(bool)
    keepers = table.column("is_keeper").to_numpy(zero_copy_only=False).astype(bool)
    position = np.minimum(np.searchsorted(ids, photo_ids, sorter=sorter), len(ids) - 1)
    rows = sorter[position]
    shown = ids[rows] == photo_ids
    starts = np.flatnonzero(np.diff(groups, prepend=groups[0] - 1))
    for start, stop in zip(starts.tolist(), starts[1:].tolist() + [len(groups)]):
        keep = np.flatnonzero(shown[start:stop]) + start
        if len(keep) < 2:
            continue
        kind = "exact" if exact[start:stop].all() else "near"
        found[kind].append((int(groups[start]), rows[keep], exact[keep], keepers[keep]))
    return found


def _copy(photo: Any, catalog: Catalog, is_exact: bool, is_keeper: bool) -> DuplicateCopy:
    folder = catalog.folders[(photo.root, photo.folder)]
    return DuplicateCopy(
        id=photo.id, name=photo.name, url=photo_url(photo.id), thumb=thumb_of(photo),
        folder=Link(url=folder.url, label=folder_display(folder)), size=size_label(photo.size),
        resolution=f"{photo.width} × {photo.height} px" if photo.width and photo.height else "",
        taken=(photo.taken_at or "").replace("T", " ")[:19], is_keeper=is_keeper,
        kind="exact" if is_exact else "near", decision_bits=flags_for(photo))


def duplicates_page(kind: str, number: int, groups: list[tuple[int, Any, Any, Any]], total: int,
                    pages: tuple[Link, ...], catalog: Catalog) -> DuplicatesPage:
    views = []
    for group_id, rows, exact, keepers in groups:
        photos = catalog.photos(rows)
        copies = tuple(_copy(photo, catalog, bool(is_exact), bool(is_keeper))
                       for photo, is_exact, is_keeper in zip(photos, exact.tolist(), keepers.tolist()))
        views.append(DuplicateGroupView(id=group_id, kind=kind, copies=copies))
    return DuplicatesPage(title=KIND_LABELS[kind], kind=kind, groups=tuple(views), total_groups=total, pages=pages,
                          page_url=page_url(kind, number))


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    """One page per GROUPS_PER_PAGE groups of a kind (only when the export has duplicates), plus
    `duplicates/` (the first page again). Inputs: the page list and each group's id, copy kinds,
    keepers and its copies' row digests."""
    import numpy as np

    found = duplicate_groups(catalog, library)
    plan = [(kind, number, found[kind][start:start + GROUPS_PER_PAGE])
            for kind in ("exact", "near") for number, start in enumerate(range(0, len(found[kind]), GROUPS_PER_PAGE), 1)]
    if not plan:
        return
    several = {kind: len(found[kind]) > GROUPS_PER_PAGE for kind in found}
    links = tuple(Link(url=page_url(kind, number), detail=str(len(found[kind])),
                       label=f"{KIND_LABELS[kind]} ({count_label(len(found[kind]), 'group')})"
                             + (f", page {number}" if several[kind] else ""))
                  for kind, number, _ in plan)
    for index, (kind, number, groups) in enumerate(plan):
        digests = [pack(str(group_id), catalog.rows_digest(rows), np.asarray(exact, np.uint8).tobytes().hex(),
                        np.asarray(keepers, np.uint8).tobytes().hex(), *[catalog.leaves[code].url for code in
                                                                          catalog.folder_of_row[rows].tolist()])
                   for group_id, rows, exact, keepers in groups]
        inputs = pack(*(f"{link.url}={link.detail}" for link in links), *digests)
        build = partial(duplicates_page, kind, number, groups, len(found[kind]), links, catalog)
        yield Page(kind="duplicates", url=page_url(kind, number), inputs=inputs, build=build)
        if index == 0:
            yield Page(kind="duplicates", url=INDEX_URL, inputs=inputs, build=build)


def group_count(library: Library) -> int:
    """Groups in the export (for the home page's link; counted without the photos)."""
    import pyarrow.compute as pc

    table = library.duplicates
    return 0 if table is None else len(pc.unique(table.column("group_id")))


KIND = PageKind(name="duplicates", gather=gather, template="duplicates.html")
