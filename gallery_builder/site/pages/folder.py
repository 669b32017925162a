"""One page per folder (a shoot), with breadcrumbs, its subfolders and its photos."""
from __future__ import annotations

from functools import partial
from typing import Iterable

from gallery_builder.site.catalog import Catalog, FolderNode
from gallery_builder.site.fingerprint import pack
from gallery_builder.site.formatting import day_label
from gallery_builder.site.library import Library
from gallery_builder.site.page_models import FolderPage, Link, Page
from gallery_builder.site.pages import PageKind
from gallery_builder.site.pages.common import folder_link, grid_data_files, grid_section, photos_inputs


def date_range(node: FolderNode) -> str:
    days = [photo.day for photo in node.photos if photo.day]
    if not days:
        return ""
    first, last = min(days), max(days)
    return day_label(first) if first == last else f"{day_label(first)} – {day_label(last)}"


def folder_page(node: FolderNode, folder_urls: dict[tuple[str, str], str]) -> FolderPage:
    multi_day = len({photo.day for photo in node.photos}) > 1
    return FolderPage(
        title=node.name,
        crumbs=tuple(Link(url=crumb.url, label=crumb.name) for crumb in node.crumbs),
        count=len(node.photos),
        total=node.total,
        date_range=date_range(node),
        subfolders=tuple(folder_link(child) for child in node.children),
        grid=grid_section(node.photos, folder_urls, group="day" if multi_day else "none"),
    )


def folder_inputs(node: FolderNode) -> str:
    crumbs = [f"{crumb.url}={crumb.name}" for crumb in node.crumbs]
    children = [pack(child.url, child.name, str(child.total), child.latest, child.cover.digest if child.cover else "")
                for child in node.children]
    return pack(*crumbs, "|", *children, "|", str(node.total), photos_inputs(node.photos, (node.url,)))


def folder_unit(url: str) -> str:
    """Folder pages are stored per top-level folder of a root ("folders/photos/2019" holds the
    page of 2019 and every page below it), so a rebuild shares every untouched top-level folder."""
    parts = url.split("/")
    return "/".join(parts[:3]) if len(parts) > 3 else ""


def gather(catalog: Catalog, library: Library) -> Iterable[Page]:
    folder_urls = {key: node.url for key, node in catalog.folders.items()}
    for node in catalog.folders.values():
        yield Page(kind="folder", url=node.url, inputs=folder_inputs(node),
                   build=partial(folder_page, node, folder_urls), unit=folder_unit(node.url))


KIND = PageKind(name="folder", gather=gather, template="folder.html", data_files=grid_data_files)
