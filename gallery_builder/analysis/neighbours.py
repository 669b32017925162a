"""Range searches over a whole library in numpy: pairs of 64-bit hashes within a Hamming distance
(multi-index hashing) and pairs of unit vectors within a cosine distance (blocked matrix products).

Both return candidate pairs as index arrays; what a pair means is the caller's business.
"""
from __future__ import annotations

from itertools import combinations
from typing import Any

BLOCKS = 4          # 64-bit hashes split into four 16-bit blocks
BLOCK_BITS = 16
CHUNK = 8192        # queries per step: bounds the memory of the candidate arrays


def _masks(radius: int) -> Any:
    """Every 16-bit pattern with at most `radius` bits set (the probes around a block's value)."""
    import numpy as np

    masks = [0]
    for bits in range(1, radius + 1):
        masks.extend(sum(1 << bit for bit in chosen) for chosen in combinations(range(BLOCK_BITS), bits))
    return np.array(masks, dtype=np.int64)


def hamming_pairs(index: Any, queries: Any, query_rows: Any, max_distance: int) -> tuple[Any, Any, Any]:
    """(row a, row b, distance) with a < b, once per pair, of every index row b within `max_distance`
    bits of a query, where `query_rows[k]` is the index row that query k belongs to (a hash is
    never paired with its own row; a query may be a transformed hash, e.g. a rotation's).

    `index` and `queries` are uint64 arrays. Pigeonhole: two hashes within d bits have a 16-bit block
    within d // 4 bits of each other, so each block is looked up with every probe in that radius and
    only those candidates are compared in full."""
    import numpy as np

    index = np.ascontiguousarray(index, dtype=np.uint64)
    queries = np.ascontiguousarray(queries, dtype=np.uint64)
    owner_rows = np.asarray(query_rows, dtype=np.int64)
    empty = np.empty(0, dtype=np.int64)
    if not len(index) or not len(queries) or max_distance < 0:
        return empty, empty, empty
    masks = _masks(min(max_distance // BLOCKS, 3))
    found_q, found_i, found_d = [], [], []
    for block in range(BLOCKS):
        shift = np.uint64(block * BLOCK_BITS)
        keys = ((index >> shift) & np.uint64(0xFFFF)).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        counts = np.bincount(keys, minlength=1 << BLOCK_BITS)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        query_keys = ((queries >> shift) & np.uint64(0xFFFF)).astype(np.int64)
        for start in range(0, len(queries), CHUNK):
            rows = np.arange(start, min(start + CHUNK, len(queries)))
            probes = (query_keys[rows, None] ^ masks[None, :]).ravel()
            sizes = counts[probes]
            total = int(sizes.sum())
            if not total:
                continue
            query_rows = np.repeat(np.repeat(rows, len(masks)), sizes)
            offsets = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes) + np.repeat(starts[probes], sizes)
            index_rows = order[offsets]
            distances = np.bitwise_count(queries[query_rows] ^ index[index_rows]).astype(np.int64)
            owners = owner_rows[query_rows]
            keep = (distances <= max_distance) & (owners != index_rows)
            found_q.append(owners[keep])
            found_i.append(index_rows[keep])
            found_d.append(distances[keep])
    if not found_q:
        return empty, empty, empty
    first, second, distances = (np.concatenate(found_q), np.concatenate(found_i), np.concatenate(found_d))
    low, high = np.minimum(first, second), np.maximum(first, second)
    # a pair close in several blocks (or seen from both ends) was found more than once: keep the nearest
    order = np.lexsort((distances, high, low))
    low, high, distances = low[order], high[order], distances[order]
    _, unique = np.unique(low * len(index) + high, return_index=True)
    return low[unique], high[unique], distances[unique]


def cosine_pairs(vectors: Any, query_rows: Any, max_distance: float, candidate_rows: Any = None) -> tuple[Any, Any, Any]:
    """(query rows, other rows, cosine distances) of pairs within `max_distance`, among unit vectors.

    Each query is compared with `candidate_rows` (default: every row) by blocked matrix products;
    a row is never paired with itself and each unordered pair is kept once."""
    import numpy as np

    empty = np.empty(0, dtype=np.int64)
    query_rows = np.asarray(query_rows, dtype=np.int64)
    candidates = np.arange(len(vectors)) if candidate_rows is None else np.asarray(candidate_rows, dtype=np.int64)
    if not len(query_rows) or not len(candidates):
        return empty, empty, np.empty(0)
    found_q, found_c, found_d = [], [], []
    other = vectors[candidates]
    step = max(1, 4_000_000 // max(1, len(candidates)))
    for start in range(0, len(query_rows), step):
        rows = query_rows[start:start + step]
        distance = 1.0 - vectors[rows] @ other.T
        hit_q, hit_c = np.nonzero(distance <= max_distance)
        first, second = rows[hit_q], candidates[hit_c]
        found_q.append(first)
        found_c.append(second)
        found_d.append(distance[hit_q, hit_c])
    first, second, distances = np.concatenate(found_q), np.concatenate(found_c), np.concatenate(found_d)
    low, high = np.minimum(first, second), np.maximum(first, second)
    keep = low != high
    _, unique = np.unique(low[keep] * len(vectors) + high[keep], return_index=True)
    return low[keep][unique], high[keep][unique], distances[keep][unique]
