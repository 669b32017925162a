"""The library arranged for pages: years, days, the folder tree with unique URLs, day neighbours.

Built once per build from the `Library`; every page kind reads from it, so grouping and URL
allocation happen in one place (and are deterministic: same export, same URLs).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from gallery_builder.site.library import Library, Photo
from gallery_builder.site.urls import allocate_segments


@dataclass
class FolderNode:
    """One folder of one root (root itself has `path == ""`), with its allocated URL."""

    root: str
    path: str
    name: str
    url: str
    parent: "FolderNode | None" = None
    children: list["FolderNode"] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    total: int = 0                 # photos here and below
    latest: str = ""               # latest capture time here and below
    cover: Photo | None = None     # first photo here, else the first child's cover

    @property
    def crumbs(self) -> list["FolderNode"]:
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]


@dataclass
class Catalog:
    photos: tuple[Photo, ...]
    years: dict[str, list[Photo]]                 # "2023" -> photos in capture order
    days: dict[str, list[Photo]]                  # "2023-06-01" -> photos in capture order
    roots: dict[str, FolderNode]                  # root label -> root folder node
    folders: dict[tuple[str, str], FolderNode]    # (root, folder path) -> node
    year_folder_urls: dict[str, tuple[str, ...]]  # year -> URLs of the folders holding its photos


def _folder_tree(photos: tuple[Photo, ...]) -> tuple[dict[str, FolderNode], dict[tuple[str, str], FolderNode]]:
    paths: set[tuple[str, str]] = set()
    for root, folder in {(photo.root, photo.folder) for photo in photos}:
        parts = folder.split("/") if folder else []
        for depth in range(len(parts) + 1):
            paths.add((root, "/".join(parts[:depth])))
    children_names: dict[tuple[str, str], set[str]] = {}
    for root, path in paths:
        if path:
            parent, _, name = path.rpartition("/")
            children_names.setdefault((root, parent), set()).add(name)
    root_segments = allocate_segments(root for root, path in paths if not path)
    nodes: dict[tuple[str, str], FolderNode] = {}
    for root, segment in root_segments.items():
        nodes[(root, "")] = FolderNode(root=root, path="", name=root, url=f"folders/{segment}/")
    allocated: dict[tuple[str, str], dict[str, str]] = {}
    for root, path in sorted(paths, key=lambda item: (item[0], item[1].count("/"), item[1])):
        if not path:
            continue
        parent_path, _, name = path.rpartition("/")
        parent = nodes[(root, parent_path)]
        segments = allocated.get((root, parent_path))
        if segments is None:
            segments = allocated[(root, parent_path)] = allocate_segments(children_names[(root, parent_path)])
        node = FolderNode(root=root, path=path, name=name, url=f"{parent.url}{segments[name]}/", parent=parent)
        parent.children.append(node)
        nodes[(root, path)] = node
    return {root: nodes[(root, "")] for root in root_segments}, nodes


def _summarise(node: FolderNode) -> None:
    node.children.sort(key=lambda child: child.name)
    for child in node.children:
        _summarise(child)
    node.total = len(node.photos) + sum(child.total for child in node.children)
    times = [photo.taken_at for photo in node.photos if photo.taken_at]
    times += [child.latest for child in node.children if child.latest]
    node.latest = max(times, default="")
    node.cover = node.photos[0] if node.photos else next(
        (child.cover for child in node.children if child.cover is not None), None)


def build_catalog(library: Library) -> Catalog:
    photos = library.photos   # sorted by capture time (undated last), so days and years are runs
    days = {day: list(group) for day, group in groupby(photos, key=lambda photo: (photo.taken_at or "undated")[:10])}
    years: dict[str, list[Photo]] = {}
    for day, day_photos in days.items():
        years.setdefault(day[:4] if day != "undated" else day, []).extend(day_photos)
    roots, folders = _folder_tree(photos)
    for photo in photos:
        folders[(photo.root, photo.folder)].photos.append(photo)
    year_urls: dict[str, set[str]] = {}
    for node in folders.values():
        for year in {photo.year for photo in node.photos}:
            year_urls.setdefault(year, set()).add(node.url)
    for root in roots.values():
        _summarise(root)
    return Catalog(photos=photos, years=years, days=days, roots=roots, folders=folders,
                   year_folder_urls={year: tuple(sorted(urls)) for year, urls in year_urls.items()})
