"""The library arranged for pages: years, days, the folder tree with unique URLs, day neighbours.

Built once per build from the `Library`, without making a record per photo: groups are numpy
arrays of capture positions (see library.PhotoTable) and per-row facts are vectorised, so every
page kind reads from here and grouping and URL allocation happen in one place (deterministic:
same export, same URLs).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from gallery_builder.site.best_first import best_row, row_scores
from gallery_builder.site.library import Library, Photo, PhotoTable
from gallery_builder.site.urls import allocate_segments


@dataclass(eq=False)
class FolderNode:
    """One folder of one root (root itself has `path == ""`), with its allocated URL."""

    root: str
    path: str
    name: str
    url: str
    parent: "FolderNode | None" = None
    children: list["FolderNode"] = field(default_factory=list)
    rows: Any = ()                 # capture positions of the photos directly here (numpy, capture order)
    total: int = 0                 # photos here and below
    latest: str = ""               # latest capture time here and below
    cover: Photo | None = None     # first photo here, else the first child's cover
    cover_row: int = -1            # its capture position

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def crumbs(self) -> list["FolderNode"]:
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]


@dataclass
class Catalog:
    table: PhotoTable
    years: dict[str, Any]                         # "2023" -> capture positions (numpy), capture order
    days: dict[str, range]                        # "2023-06-01" -> capture positions
    roots: dict[str, FolderNode]                  # root label -> root folder node
    folders: dict[tuple[str, str], FolderNode]    # (root, folder path) -> node
    year_folder_urls: dict[str, tuple[str, ...]]  # year -> URLs of the folders holding its photos
    folder_of_row: Any                            # capture position -> index into `leaves` (numpy)
    leaves: list[FolderNode]                      # the folders holding photos, by code
    slot_masks: Any                               # capture position -> thumbnail slot bitmask (numpy)
    folder_urls: dict[tuple[str, str], str] = field(default_factory=dict)
    ranks: Any = None                             # (ratings NaN-filled, comparison counts) by capture position, or None
    scores: Any = None                            # capture position -> "best first" score (site/best_first.py), or None

    def rank_facts(self, rows: Any) -> tuple[list[float | None], list[int]]:
        """Each row's rating (None when unrated) and comparison count, for the "best first" order."""
        import numpy as np

        positions = np.asarray(rows, dtype=np.int64)
        if self.ranks is None:
            return [None] * len(positions), [0] * len(positions)
        ratings = self.ranks[0][positions]
        return [None if value != value else value for value in ratings.tolist()], self.ranks[1][positions].tolist()

    def rank_digest(self, rows: Any) -> str:
        """A digest of these rows' ratings (to 0.1) and comparison counts; "" when nothing is rated."""
        import numpy as np

        if self.ranks is None:
            return ""
        positions = np.asarray(rows, dtype=np.int64)
        ratings = np.nan_to_num(np.round(self.ranks[0][positions], 1), nan=-1.0).astype(np.float32)
        return hashlib.blake2b(ratings.tobytes() + self.ranks[1][positions].astype(np.int32).tobytes(),
                               digest_size=12).hexdigest()

    @property
    def photo_count(self) -> int:
        return len(self.table)

    def photos(self, rows: Any) -> list[Photo]:
        return self.table.photos(rows)

    def rows_digest(self, rows: Any) -> str:
        """A digest of the rows of these capture positions, in order (fixed length)."""
        import numpy as np

        positions = np.asarray(rows, dtype=np.int64)      # () for a folder without photos of its own
        return hashlib.blake2b(self.table.digests[positions].tobytes(), digest_size=16).hexdigest()


def _folder_tree(pairs: list[tuple[str, str]]) -> tuple[dict[str, FolderNode], dict[tuple[str, str], FolderNode]]:
    paths: set[tuple[str, str]] = set()
    for root, folder in pairs:
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


def _summarise(node: FolderNode, latest_of: dict[int, str], scores: Any = None) -> None:
    """Totals, latest capture time and cover: its own first photo unless the one "best first" order
    prefers another of its photos; a folder without photos of its own shows its first child's cover."""
    node.children.sort(key=lambda child: child.name)
    for child in node.children:
        _summarise(child, latest_of, scores)
    node.total = node.count + sum(child.total for child in node.children)
    times = [latest_of[id(node)]] if latest_of.get(id(node)) else []
    times += [child.latest for child in node.children if child.latest]
    node.latest = max(times, default="")
    if node.count:
        node.cover_row = best_row(scores, node.rows, int(node.rows[0]))
    else:
        node.cover_row = next((child.cover_row for child in node.children if child.cover_row >= 0), -1)


def _codes(array: Any) -> tuple[Any, list]:
    """Dictionary codes (numpy) and the distinct values of an Arrow string array."""
    encoded = array.dictionary_encode().combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def slot_masks(table: Any) -> Any:
    """Each row's thumbnail slot bitmask (cards.slot_mask) of an Arrow table, vectorised."""
    import numpy as np
    import pyarrow.compute as pc

    from gallery_builder.site.cards import SLOT_BITS

    count = table.num_rows
    if not count:
        return np.zeros(0, np.int64)
    widths = table.column("thumb_widths").combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(widths), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    values = pc.list_flatten(widths).to_numpy(zero_copy_only=False).astype(np.int64)
    bits = np.zeros(max(int(values.max(initial=0)), max(SLOT_BITS)) + 1, np.int64)
    for width, bit in SLOT_BITS.items():
        bits[width] = bit
    owner = np.repeat(np.arange(count), lengths)
    masks = np.bincount(owner, weights=bits[np.clip(values, 0, None)], minlength=count).astype(np.int64)
    has_key = pc.is_valid(table.column("thumb_key")).to_numpy(zero_copy_only=False)
    has_key &= pc.fill_null(pc.utf8_length(table.column("thumb_key")), 0).to_numpy(zero_copy_only=False) > 0
    return np.where(has_key, masks, 0)


def build_catalog(library: Library) -> Catalog:
    import numpy as np
    import pyarrow.compute as pc

    table = library.table
    count = len(table)
    order, raw = table.order, table.table        # columns are encoded in the order read, then permuted
    taken = pc.fill_null(raw.column("taken_at"), "")
    day_keys = pc.if_else(pc.equal(pc.utf8_length(taken), 0), "undated", pc.utf8_slice_codeunits(taken, 0, 10))
    day_codes, day_names = _codes(day_keys)
    day_codes = day_codes[order]
    # days are runs in capture order (a key seen twice keeps its last run, like a dict of groupby runs)
    starts = np.flatnonzero(np.diff(day_codes, prepend=-1)) if count else np.zeros(0, np.int64)
    stops = np.append(starts[1:], count)
    days: dict[str, range] = {}
    for start, stop in zip(starts.tolist(), stops.tolist()):
        days[day_names[day_codes[start]]] = range(start, stop)
    year_parts: dict[str, list[range]] = {}
    for day, rows in days.items():
        year_parts.setdefault(day[:4] if day != "undated" else day, []).append(rows)
    years = {year: np.concatenate([np.arange(r.start, r.stop) for r in parts]) for year, parts in year_parts.items()}

    folder_column = pc.fill_null(raw.column("folder"), "")
    folder_codes, folder_keys = _codes(pc.binary_join_element_wise(raw.column("root"), folder_column, "\0"))
    folder_codes = folder_codes[order]
    pairs = [tuple(key.split("\0", 1)) for key in folder_keys]
    roots, folders = _folder_tree(pairs)
    leaves = [folders[pair] for pair in pairs]
    by_folder = np.argsort(folder_codes, kind="stable")          # capture order within each folder
    bounds = np.searchsorted(folder_codes[by_folder], np.arange(len(leaves) + 1))
    timed = (pc.utf8_length(taken).to_numpy(zero_copy_only=False) > 0)[order] if count else np.zeros(0, bool)
    del taken, day_keys, folder_column
    latest_rows = {}
    for code, node in enumerate(leaves):
        node.rows = by_folder[bounds[code]:bounds[code + 1]]
        with_time = node.rows[timed[node.rows]]
        if len(with_time):
            latest_rows[id(node)] = int(with_time[-1])
    latest_times = table.column("taken_at", np.array(list(latest_rows.values()), np.int64)).to_pylist()
    latest_of = dict(zip(latest_rows, latest_times))
    ranks = library.ratings.lookup(table.ids) if len(library.ratings) else None
    scores = row_scores(table, ranks) if count else None
    for root in roots.values():
        _summarise(root, latest_of, scores)
    nodes = list(folders.values())
    covers = table.photos([node.cover_row for node in nodes if node.cover_row >= 0])
    for node, cover in zip((node for node in nodes if node.cover_row >= 0), covers):
        node.cover = cover

    year_names = sorted(years)
    year_of_row = np.zeros(count, np.int64)
    for index, year in enumerate(year_names):
        year_of_row[years[year]] = index
    pairs_seen = np.unique(folder_codes.astype(np.int64) * max(1, len(year_names)) + year_of_row) if count else []
    year_urls: dict[str, set[str]] = {}
    for value in np.asarray(pairs_seen).tolist():
        code, year = divmod(value, max(1, len(year_names)))
        year_urls.setdefault(year_names[year], set()).add(leaves[code].url)
    return Catalog(table=table, years=years, days=days, roots=roots, folders=folders,
                   year_folder_urls={year: tuple(sorted(urls)) for year, urls in year_urls.items()},
                   folder_of_row=folder_codes, leaves=leaves, slot_masks=slot_masks(raw)[order] if count else
                   np.zeros(0, np.int64),
                   folder_urls={key: node.url for key, node in folders.items()},
                   ranks=ranks, scores=scores)
