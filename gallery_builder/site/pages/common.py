"""Small helpers shared by the page kinds: thumbnails, links and labels for photos and folders."""
from __future__ import annotations

from typing import Any

from gallery_builder.site.best_first import best_order
from gallery_builder.site.cards import display_size, grid_data, slot_mask
from gallery_builder.site.catalog import FolderNode
from gallery_builder.site.formatting import MONTHS
from gallery_builder.site.library import Photo
from gallery_builder.site.page_models import DataFile, GridSection, Link, Thumb
from gallery_builder.core.urls import photo_url


def thumb_of(photo: Photo | None) -> Thumb | None:
    slots = slot_mask(photo) if photo is not None else 0
    if not slots:
        return None
    width, height = display_size(photo)
    return Thumb(key=photo.thumb_key, slots=slots, width=width, height=height, alt=photo.name)


def photo_link(photo: Photo | None) -> Link | None:
    if photo is None:
        return None
    return Link(url=photo_url(photo.id), label=photo.name, thumb=thumb_of(photo))


def count_label(count: int, noun: str = "photo") -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def month_year_label(taken_at: str) -> str:
    if len(taken_at) < 7 or not taken_at[5:7].isdigit():
        return ""
    return f"{MONTHS[int(taken_at[5:7]) - 1]} {taken_at[:4]}"


def folder_display(node: FolderNode) -> str:
    return f"{node.root}/{node.path}" if node.path else node.root


def folder_link(node: FolderNode, with_detail: bool = True) -> Link:
    detail = ""
    if with_detail:
        detail = count_label(node.total)
        when = month_year_label(node.latest)
        detail += f" · {when}" if when else ""
    return Link(url=node.url, label=node.name, thumb=thumb_of(node.cover), detail=detail)


GRID_DATA_FILE = "_photos.json"


def grid_section(photos: list[Photo], folder_urls: dict[tuple[str, str], str], group: str = "day",
                 collapse_stacks: bool = False,
                 ranks: tuple[list[float | None], list[int]] | None = None) -> GridSection:
    """The grid of a page; a page with more than INLINE_LIMIT photos loads its cards from JSON.
    With `collapse_stacks` a stack shows as one card (cards.stacked_order); `ranks` (each photo's
    rating and comparison count) join the "best first" order of its cards."""
    grid = grid_data(photos, folder_urls, collapse_stacks, best_order(photos, ranks))
    return GridSection(grid=grid, data_url="" if grid.is_inline else GRID_DATA_FILE, group=group)


def grid_data_files(model: Any) -> dict[str, DataFile]:
    section: GridSection = model.grid
    if not section.data_url:
        return {}
    return {section.data_url: DataFile(payload=section.grid.payload(), script_global="GALLERY_GRID")}


def photos_inputs(catalog: Any, rows: Any, urls: tuple[str, ...]) -> str:
    """Fingerprint material of a list of photos (capture positions): a digest of their row digests
    in order (fixed length), plus the URLs of their folders (a URL can change when a sibling
    folder appears)."""
    ranks = catalog.rank_digest(rows)      # the "best first" order follows the ratings
    return f"{len(rows)}:{catalog.rows_digest(rows)}{':' + ranks if ranks else ''}|" + "|".join(urls)
