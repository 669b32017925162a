"""One page per folder (a shoot), with breadcrumbs, its subfolders and its photos."""
from __future__ import annotations

from functools import partial
from typing import Iterable

from gallery_builder.site.catalog import Catalog, FolderNode
from gallery_builder.site.fingerprint import pack
from gallery_builder.site.formatting import day_label
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import FolderPage, Link, Page
from gallery_builder.site.pages import PageKind, Unit
from gallery_builder.site.pages.common import folder_link, grid_data_files, grid_section, photos_inputs


def date_range(photos: list) -> str:
    days = [photo.day for photo in photos if photo.day]
    if not days:
        return ""
    first, last = min(days), max(days)
    return day_label(first) if first == last else f"{day_label(first)} – {day_label(last)}"


def folder_page(node: FolderNode, catalog: Catalog) -> FolderPage:
    photos = catalog.photos(node.rows)
    multi_day = len({photo.day for photo in photos}) > 1
    return FolderPage(
        title=node.name,
        crumbs=tuple(Link(url=crumb.url, label=crumb.name) for crumb in node.crumbs),
        count=len(photos),
        total=node.total,
        date_range=date_range(photos),
        subfolders=tuple(folder_link(child) for child in node.children),
        grid=grid_section(photos, catalog.folder_urls, group="day" if multi_day else "none", collapse_stacks=True,
                          ranks=catalog.rank_facts(node.rows)),
        rank_scope=f"folder:{node.root}/{node.path}".rstrip("/"),
    )


def folder_inputs(node: FolderNode, catalog: Catalog) -> str:
    crumbs = [f"{crumb.url}={crumb.name}" for crumb in node.crumbs]
    children = [pack(child.url, child.name, str(child.total), child.latest, child.cover.digest if child.cover else "")
                for child in node.children]
    return pack(*crumbs, "|", *children, "|", str(node.total), photos_inputs(catalog, node.rows, (node.url,)))


def folder_unit(url: str) -> str:
    """Folder pages are stored per top-level folder of a root ("folders/photos/2019" holds the
    page of 2019 and every page below it), so a rebuild shares every untouched top-level folder."""
    parts = url.split("/")
    return "/".join(parts[:3]) if len(parts) > 3 else ""


def _page(node: FolderNode, catalog: Catalog) -> Page:
    return Page(kind="folder", url=node.url, inputs=folder_inputs(node, catalog),
                build=partial(folder_page, node, catalog), unit=folder_unit(node.url))


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    """The pages of the roots' own folders (the rest are in units, one per top-level folder)."""
    for node in catalog.folders.values():
        if not folder_unit(node.url):
            yield _page(node, catalog)


def units(catalog: Catalog, library: Library) -> Iterable[Unit]:
    """One unit per top-level folder of a root: its page and every page below it (a few
    thousand folders at most, so their inputs are made at once; their photos only on render)."""
    groups: dict[str, list[Page]] = {}
    for node in catalog.folders.values():
        unit = folder_unit(node.url)
        if unit:
            groups.setdefault(unit, []).append(_page(node, catalog))
    for name, pages in groups.items():
        inputs = pack(*(f"{page.url}={page.inputs}" for page in pages))
        yield Unit(kind="folder", name=name, inputs=inputs, count=len(pages), pages=lambda pages=pages: pages)


KIND = PageKind(name="folder", gather=gather, units=units, template="folder.html", data_files=grid_data_files)
