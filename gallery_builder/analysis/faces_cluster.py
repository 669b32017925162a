"""Face clustering, pure and Immich-style: a face is core when at least `min_faces` faces (itself
included) lie within the backend's cluster distance; cores within that distance of each other form
one cluster; other faces join their nearest core's cluster; the rest stay "other faces".

Ids are stable: a face in a fixed cluster (shown or ignored) never moves; a cluster takes the id its
faces already had (fixed first, then the oldest); two fixed clusters never merge. `cluster_new` adds
new faces incrementally: each joins the cluster of its nearest clustered (or new core) neighbour.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

NEIGHBOURS = 16          # neighbours looked at per face (at least min_faces)
EXACT_LIMIT = 5_000      # up to this many faces, exact search; above, a faiss IVF index


@dataclass(frozen=True)
class ClusterRules:
    distance: float      # Euclidean distance of unit vectors
    min_faces: int = 3


@dataclass
class Clustering:
    """Each changed row's cluster: an existing id, a new-cluster token (str), or None; and the
    existing unfixed ids that lost every face (for the store to drop)."""

    labels: dict[int, int | str | None] = field(default_factory=dict)
    dropped: set[int] = field(default_factory=set)
    cores: int = 0

    def clusters(self) -> int:
        return len({label for label in self.labels.values() if label is not None})


def nearest(vectors: Any, query_rows: Any, k: int, *, approximate: bool | None = None) -> tuple[Any, Any]:
    """(rows, distances) of the k nearest faces of each query row (itself included), nearest first;
    -1 where fewer exist. Exact (blocked matrix products, faster here than faiss.knn) below EXACT_LIMIT
    faces or for few queries, else `_grouped_nearest`."""
    import numpy as np

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    query_rows = np.asarray(query_rows, dtype=np.int64)
    k = min(k, len(vectors))
    if approximate is None:
        approximate = len(vectors) > EXACT_LIMIT and len(query_rows) > 2_000
    if approximate:
        return _grouped_nearest(vectors, query_rows, k)
    rows = np.empty((len(query_rows), k), dtype=np.int64)
    distances = np.empty((len(query_rows), k), dtype=np.float32)
    step = max(1, 32_000_000 // len(vectors))  # queries per matrix product: bounds its memory (~128 MB)
    for start in range(0, len(query_rows), step):
        similarity = vectors[query_rows[start:start + step]] @ vectors.T
        best = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        best_similarity = np.take_along_axis(similarity, best, axis=1)
        ranked = np.argsort(-best_similarity, axis=1, kind="stable")
        rows[start:start + step] = np.take_along_axis(best, ranked, axis=1)
        distances[start:start + step] = np.sqrt(np.maximum(2.0 - 2.0 * np.take_along_axis(best_similarity, ranked, axis=1), 0.0))
    return rows, distances


def _grouped_nearest(vectors: Any, query_rows: Any, k: int, probe: int = 10) -> tuple[Any, Any]:
    """Approximate k nearest neighbours by inverted lists searched with matrix products: k-means puts
    each face in one of ~2 sqrt(N) lists; the faces of a list are compared (one BLAS product) with the
    faces of up to `probe` lists whose centres are nearest to theirs (fewer where lists are crowded).
    The work of a faiss IVF search with nprobe = probe, but as matrix products: faster on a CPU."""
    import faiss
    import numpy as np

    count, dimensions = vectors.shape
    lists = max(1, min(int(2 * np.sqrt(count)), count // 40))
    kmeans = faiss.Kmeans(dimensions, lists, niter=10, seed=1, max_points_per_centroid=40)
    kmeans.train(vectors)
    _, owner = kmeans.index.search(vectors, 1)
    owner = owner.ravel()
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(lists + 1))
    _, near_lists = faiss.knn(kmeans.centroids, kmeans.centroids, min(probe, lists))
    budget = probe * count // lists  # candidates per list: k-means lists are uneven, a crowded list probes fewer
    wanted = np.zeros(count, dtype=bool)
    wanted[query_rows] = True
    found_rows = np.full((count, k), -1, dtype=np.int64)
    found_distances = np.full((count, k), np.inf, dtype=np.float32)
    for number in range(lists):
        members = order[bounds[number]:bounds[number + 1]]
        members = members[wanted[members]]
        if not len(members):
            continue
        candidates = _candidates(order, bounds, near_lists[number], budget)
        similarity = vectors[members] @ vectors[candidates].T
        take = min(k, len(candidates))
        best = np.argpartition(-similarity, take - 1, axis=1)[:, :take]
        best_similarity = np.take_along_axis(similarity, best, axis=1)
        ranked = np.argsort(-best_similarity, axis=1, kind="stable")
        found_rows[members, :take] = candidates[np.take_along_axis(best, ranked, axis=1)]
        found_distances[members, :take] = np.sqrt(np.maximum(
            2.0 - 2.0 * np.take_along_axis(best_similarity, ranked, axis=1), 0.0))
    return found_rows[query_rows], found_distances[query_rows]


def _candidates(order: Any, bounds: Any, near: Any, budget: int) -> Any:
    """The faces of a list and of its nearest lists, nearest first, while they stay within `budget`
    (a list always includes itself)."""
    import numpy as np

    parts, size = [], 0
    for other in near:
        if other < 0:
            continue
        part = order[bounds[other]:bounds[other + 1]]
        if parts and size + len(part) > budget:
            break
        parts.append(part)
        size += len(part)
    return np.concatenate(parts)


def _components(count: int, first: Any, second: Any) -> Any:
    """Connected components by label propagation with pointer jumping: each node's smallest member."""
    import numpy as np

    labels = np.arange(count)
    while True:
        low = np.minimum(labels[first], labels[second])
        before = labels.copy()
        np.minimum.at(labels, first, low)
        np.minimum.at(labels, second, low)
        labels = labels[labels]
        if np.array_equal(labels, before):
            return labels


def _within(rows: Any, distances: Any, distance: float) -> Any:
    return (rows >= 0) & (distances <= distance)


def cluster_faces(vectors: Any, current: Sequence[int | None], fixed: set[int], rules: ClusterRules,
                  *, approximate: bool | None = None, step: Callable[[str], None] = lambda stage: None) -> Clustering:
    """Cluster every face afresh, keeping ids (see the module's rules). `current[i]` is row i's cluster;
    `step` hears each stage as it starts (a progress bar)."""
    import numpy as np

    result = Clustering()
    total = len(vectors)
    if not total:
        return result
    step("neighbours")
    rows, distances = nearest(vectors, np.arange(total), max(NEIGHBOURS, rules.min_faces), approximate=approximate)
    step("cores")
    close = _within(rows, distances, rules.distance)
    self_hit = (rows == np.arange(total)[:, None]).any(axis=1)
    core = close.sum(axis=1) + (~self_hit) >= rules.min_faces
    result.cores = int(core.sum())
    owner = np.repeat(np.arange(total), rows.shape[1])
    flat_rows, flat_close = rows.ravel(), close.ravel()
    edge = flat_close & (flat_rows >= 0) & core[owner] & core[np.maximum(flat_rows, 0)] & (flat_rows != owner)
    component = _components(total, owner[edge], flat_rows[edge])
    label = np.where(core, component, -1)
    for row in np.nonzero(~core)[0]:  # non-core faces: the nearest core within the distance
        hits = [int(r) for r, ok in zip(rows[row], close[row]) if ok and r >= 0 and core[r]]
        if hits:
            label[row] = component[hits[0]]
    step("ids")
    _name_components(label, current, fixed, result)
    return result


def _name_components(label: Any, current: Sequence[int | None], fixed: set[int], result: Clustering) -> None:
    """Turn component labels into cluster ids: fixed faces stay; a component takes the fixed id most of
    its faces have, else the oldest unfixed id its faces had (once), else a new token."""
    members: dict[int, list[int]] = {}
    for row, component in enumerate(label):
        if component >= 0:
            members.setdefault(int(component), []).append(row)
    claimed: set[int] = set()
    for component, rows in sorted(members.items(), key=lambda item: -len(item[1])):
        had = Counter(current[row] for row in rows if current[row] is not None)
        fixed_had = [cluster for cluster, _ in had.most_common() if cluster in fixed]
        free_had = sorted(cluster for cluster in had if cluster not in fixed and cluster not in claimed)
        if fixed_had:
            chosen: int | str = fixed_had[0]
        elif free_had:
            chosen = max(free_had, key=lambda cluster: (had[cluster], -cluster))
            claimed.add(chosen)
        else:
            chosen = f"new-{component}"
        for row in rows:
            if current[row] not in fixed:
                result.labels[row] = chosen
    for row, component in enumerate(label):
        if component < 0 and current[row] is not None and current[row] not in fixed:
            result.labels[row] = None
    kept = {label for label in result.labels.values() if isinstance(label, int)}
    result.dropped = {c for c in current if c is not None and c not in fixed and c not in kept}
    result.labels = {row: value for row, value in result.labels.items() if value != current[row]}


class _Groups:
    """Union-find over rows and existing clusters, where two fixed clusters never join."""

    def __init__(self, fixed: set[int]) -> None:
        self.parent: dict[Any, Any] = {}
        self.fixed_of: dict[Any, int] = {}
        self.fixed = fixed

    def find(self, node: Any) -> Any:
        self.parent.setdefault(node, node)
        if node[0] == "cluster" and node[1] in self.fixed:
            self.fixed_of[node] = node[1]
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def join(self, a: Any, b: Any) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        if root_a in self.fixed_of and root_b in self.fixed_of:
            return False
        if root_b in self.fixed_of:
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        return True


def cluster_new(vectors: Any, current: Sequence[int | None], fixed: set[int], new_rows: Sequence[int],
                rules: ClusterRules) -> Clustering:
    """Add the faces of `new_rows` (unclustered) to the clusters incrementally: a new face that is core
    joins the clusters of its clustered and new-core neighbours (bridged unfixed clusters merge into a
    fixed one, else the oldest); a non-core face joins its nearest clustered or new-core neighbour's
    cluster. A clustered face counts as core here (its cluster was formed around cores)."""
    import numpy as np

    result = Clustering()
    new_rows = [int(row) for row in new_rows]
    if not new_rows:
        return result
    rows, distances = nearest(vectors, new_rows, max(NEIGHBOURS, rules.min_faces))
    close = _within(rows, distances, rules.distance)
    counts = close.sum(axis=1) + ~(rows == np.asarray(new_rows)[:, None]).any(axis=1)
    is_new = set(new_rows)
    core_new = {row for row, count in zip(new_rows, counts) if count >= rules.min_faces}
    result.cores = len(core_new)
    groups = _Groups(fixed)

    def node(row: int) -> Any:
        return ("cluster", current[row]) if current[row] is not None else ("row", row)

    for position, row in enumerate(new_rows):
        if row not in core_new:
            continue
        groups.find(("row", row))
        for other, ok in zip(rows[position], close[position]):
            other = int(other)
            if ok and other != row and other >= 0 and (current[other] is not None or other in core_new):
                groups.join(("row", row), node(other))
    attached: dict[int, Any] = {}
    for position, row in enumerate(new_rows):  # non-core new faces: the nearest clustered or core neighbour
        if row in core_new:
            continue
        for other, ok in zip(rows[position], close[position]):
            other = int(other)
            if ok and other != row and other >= 0 and (current[other] is not None or other in core_new):
                attached[row] = node(other)
                break
    for position, row in enumerate(new_rows):  # earlier "other faces" next to a new core join it
        if row not in core_new:
            continue
        for other, ok in zip(rows[position], close[position]):
            other = int(other)
            if ok and other >= 0 and other not in is_new and current[other] is None and other not in attached:
                attached[other] = ("row", row)
    _label_groups(groups, attached, core_new, current, fixed, result)
    return result


def _label_groups(groups: _Groups, attached: dict[int, Any], core_new: set[int], current: Sequence[int | None],
                  fixed: set[int], result: Clustering) -> None:
    by_root: dict[Any, list[Any]] = {}
    for node in list(groups.parent):
        by_root.setdefault(groups.find(node), []).append(node)
    name_of: dict[Any, int | str] = {}
    merged: dict[int, int | str] = {}
    for root, nodes in by_root.items():
        clusters = sorted(node[1] for node in nodes if node[0] == "cluster")
        fixed_ones = [cluster for cluster in clusters if cluster in fixed]
        name_of[root] = fixed_ones[0] if fixed_ones else clusters[0] if clusters else f"new-{root[1]}"
        merged.update({cluster: name_of[root] for cluster in clusters if cluster != name_of[root]})
    if merged:  # the faces of clusters bridged into another move with them
        result.dropped.update(merged)
        for row, had in enumerate(current):
            if had in merged:
                result.labels[row] = merged[had]
    for row in core_new:
        result.labels[row] = name_of[groups.find(("row", row))]
    for row, target in attached.items():
        result.labels[row] = name_of[groups.find(target)]
