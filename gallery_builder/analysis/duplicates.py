"""Duplicate detection as pure functions over photo facts: exact copies (same content hash, across
roots) and near duplicates (pHash within a Hamming distance, upright or rotated; CLIP cosine
distance when vectors exist), grouped by union-find with a proposed keeper per group.

Two photos whose capture times (as the camera wrote them) differ are distinct shots (a burst, a
bracket: stack material), never near duplicates. `DuplicateAnalysis` reads facts, calls these and
stores the groups through `db/duplicates.py`; it never touches a person's decisions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Literal, Sequence

from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db.duplicates import DuplicateGroup, Member, PhotoFacts

Relation = Literal["same", "distinct", "unknown"]
NEAR_KINDS = frozenset({"photo", "raw"})   # a video's poster frame says too little
MIN_BITS, MAX_BITS = 16, 48                # a flat picture's pHash has almost no bits set


@dataclass(frozen=True)
class Thresholds:
    phash_distance: int = 6                 # any two photos (not distinct shots)
    phash_distance_same_capture: int = 10   # same capture time and camera: an edit of one shot
    clip_distance: float = 0.01             # cosine distance, when CLIP vectors exist


# ----------------------------------------------------------------------------- capture times
def capture_key(facts: PhotoFacts) -> tuple[str, str | None] | None:
    """(whole second, fraction) of a capture time written by the camera (EXIF, QuickTime), else None."""
    if not facts.taken_at or not facts.time_from_camera:
        return None
    second, _, fraction = facts.taken_at.partition(".")
    return second[:19], (fraction.rstrip("0") or None) if fraction else None


def capture_relation(first: PhotoFacts, second: PhotoFacts) -> Relation:
    """'same' shot, 'distinct' shots, or 'unknown' (a time is missing or not the camera's)."""
    a, b = capture_key(first), capture_key(second)
    if a is None or b is None:
        return "unknown"
    if first.camera and second.camera and first.camera != second.camera:
        return "distinct"
    if a[0] != b[0] or (a[1] is not None and b[1] is not None and a[1] != b[1]):
        return "distinct"
    return "same"


# ----------------------------------------------------------------------------- pHash
def phash_value(text: str | None) -> int | None:
    """The stored hex pHash as an int; None when absent, unreadable or of a flat picture."""
    if not text:
        return None
    try:
        value = int(text, 16)
    except ValueError:
        return None
    return value if MIN_BITS <= bin(value).count("1") <= MAX_BITS else None


def _bit_permutations() -> list[tuple[list[int], int]]:
    """For 1, 2, 3 quarter turns (counter-clockwise): (source bit of each hash bit, bits to invert).

    pHash bits are the signs (against their median) of the 8x8 lowest DCT coefficients of the
    picture scaled to 32x32, row-major, most significant first. A quarter turn transposes the
    coefficients and negates those of odd rows, so the turned picture's hash is a permutation of
    the bits with those inverted; the median shifts a little, so a few bits may differ from the
    hash of the turned picture itself (measured on the corpus: 0-8 bits, median 4)."""
    turns, position = [], list(range(64))
    invert = 0
    for _ in range(3):
        new_position = [0] * 64
        new_invert = 0
        for row in range(8):
            for column in range(8):
                source = position[column * 8 + row]
                new_position[row * 8 + column] = source
                flipped = ((invert >> (63 - (column * 8 + row))) & 1) ^ (row % 2)
                new_invert |= flipped << (63 - (row * 8 + column))
        position, invert = new_position, new_invert
        turns.append((position, invert))
    return turns


_TURNS = _bit_permutations()


def turned_hashes(hashes: Any) -> list[Any]:
    """The pHashes of the pictures turned by 1, 2 and 3 quarter turns, derived from the bits."""
    import numpy as np

    hashes = np.asarray(hashes, dtype=np.uint64)
    out = []
    for position, invert in _TURNS:
        turned = np.zeros_like(hashes)
        for target, source in enumerate(position):
            bit = (hashes >> np.uint64(63 - source)) & np.uint64(1)
            turned |= bit << np.uint64(63 - target)
        out.append(turned ^ np.uint64(invert))
    return out


def _aspect_swapped(first: PhotoFacts, second: PhotoFacts) -> bool:
    """Is one picture's shape the other's turned a quarter (within 10 %)? Unknown sizes pass."""
    if not (first.width and first.height and second.width and second.height):
        return True
    return abs((first.width / first.height) / (second.height / second.width) - 1) <= 0.10


# ----------------------------------------------------------------------------- pairs
def near_pairs(facts: Sequence[PhotoFacts], query_ids: Iterable[int] | None, thresholds: Thresholds,
               vectors: Any = None, vector_ids: Sequence[int] = ()) -> set[tuple[int, int]]:
    """Unordered (id, id) pairs of near duplicates among `facts` with at least one side in
    `query_ids` (None: every photo). `vectors` are unit CLIP vectors of the photos `vector_ids`."""
    import numpy as np

    by_id = {item.photo_id: item for item in facts}
    wanted = set(by_id) if query_ids is None else {photo_id for photo_id in query_ids if photo_id in by_id}
    pairs: set[tuple[int, int]] = set()

    def accept(a: int, b: int, *, same_capture_only: bool = False) -> None:
        first, second = by_id[a], by_id[b]
        relation = capture_relation(first, second)
        if relation == "distinct" or (same_capture_only and relation != "same"):
            return
        pairs.add((min(a, b), max(a, b)))

    hashed = [item for item in facts if item.kind in NEAR_KINDS and phash_value(item.phash) is not None]
    if hashed:
        from gallery_builder.analysis.neighbours import hamming_pairs

        ids = np.array([item.photo_id for item in hashed], dtype=np.int64)
        index = np.array([phash_value(item.phash) for item in hashed], dtype=np.uint64)
        rows = np.array([row for row, item in enumerate(hashed) if item.photo_id in wanted], dtype=np.int64)
        low, high, _ = hamming_pairs(index, index[rows], rows, thresholds.phash_distance)
        for a, b in zip(ids[low].tolist(), ids[high].tolist()):
            accept(a, b)
        for turned in turned_hashes(index[rows]):
            low, high, _ = hamming_pairs(index, turned, rows, thresholds.phash_distance)
            for a, b in zip(ids[low].tolist(), ids[high].tolist()):
                if _aspect_swapped(by_id[a], by_id[b]):
                    accept(a, b)
        for a, b in _same_capture_pairs(hashed, wanted):
            if bin(phash_value(by_id[a].phash) ^ phash_value(by_id[b].phash)).count("1") \
                    <= thresholds.phash_distance_same_capture:
                accept(a, b, same_capture_only=True)
    if vectors is not None and len(vector_ids):
        for a, b in clip_pairs(vectors, vector_ids, by_id, wanted, thresholds.clip_distance):
            accept(a, b)
    return pairs


def _same_capture_pairs(facts: Sequence[PhotoFacts], wanted: set[int]) -> Iterable[tuple[int, int]]:
    """Pairs that share a capture second and camera (small buckets: compared all against all)."""
    buckets: dict[tuple[str, str | None], list[int]] = {}
    for item in facts:
        key = capture_key(item)
        if key is not None:
            buckets.setdefault((key[0], item.camera), []).append(item.photo_id)
    for members in buckets.values():
        if len(members) > 1 and wanted.intersection(members):
            for position, a in enumerate(members):
                for b in members[position + 1:]:
                    if a in wanted or b in wanted:
                        yield a, b


def clip_pairs(vectors: Any, vector_ids: Sequence[int], by_id: dict[int, PhotoFacts], wanted: set[int],
               max_distance: float) -> Iterable[tuple[int, int]]:
    """CLIP pairs that could be duplicates at all: within one capture second, or with a photo whose
    capture time is unknown (shots with distinct times never are, so they are never compared)."""
    import numpy as np

    from gallery_builder.analysis.neighbours import cosine_pairs

    ids = np.asarray(vector_ids, dtype=np.int64)
    present = [row for row, photo_id in enumerate(ids.tolist()) if photo_id in by_id]
    unknown = [row for row in present if capture_key(by_id[int(ids[row])]) is None]
    queries = [row for row in unknown if int(ids[row]) in wanted]
    low, high, _ = cosine_pairs(vectors, queries, max_distance)
    found = set(zip(ids[low].tolist(), ids[high].tolist()))
    if len(wanted) < len(by_id):   # a photo with a known time in scope, against the unknown ones
        known_wanted = [row for row in present if int(ids[row]) in wanted and row not in set(unknown)]
        low, high, _ = cosine_pairs(vectors, known_wanted, max_distance, candidate_rows=unknown)
        found |= set(zip(ids[low].tolist(), ids[high].tolist()))
    buckets: dict[tuple[str, str | None], list[int]] = {}
    for row in present:
        key = capture_key(by_id[int(ids[row])])
        if key is not None:
            buckets.setdefault((key[0], by_id[int(ids[row])].camera), []).append(row)
    for rows in buckets.values():
        if len(rows) > 1 and any(int(ids[row]) in wanted for row in rows):
            low, high, _ = cosine_pairs(vectors, rows, max_distance, candidate_rows=rows)
            found |= set(zip(ids[low].tolist(), ids[high].tolist()))
    return [(a, b) for a, b in found if a in wanted or b in wanted]


def exact_pairs(facts: Sequence[PhotoFacts], query_ids: Iterable[int] | None = None) -> set[tuple[int, int]]:
    """Pairs of photos with the same content hash (each photo linked to the first of its hash)."""
    by_hash: dict[str, list[int]] = {}
    for item in facts:
        if item.content_hash and item.size > 0:
            by_hash.setdefault(item.content_hash, []).append(item.photo_id)
    wanted = None if query_ids is None else set(query_ids)
    pairs = set()
    for members in by_hash.values():
        if len(members) > 1 and (wanted is None or wanted.intersection(members)):
            members.sort()
            pairs.update((members[0], other) for other in members[1:])
    return pairs


# ----------------------------------------------------------------------------- groups
def keeper_order(facts: PhotoFacts) -> tuple:
    """Sort key: largest original first (pixels, then bytes), then the earliest date, then the id."""
    pixels = (facts.width or 0) * (facts.height or 0)
    return (-pixels, -facts.size, facts.taken_at is None, facts.taken_at or "", facts.photo_id)


def group_duplicates(facts: Sequence[PhotoFacts], pairs: Iterable[tuple[int, int]]) -> list[DuplicateGroup]:
    """Connected groups of the pairs (union-find), each with its keeper and the kind of each copy:
    `exact` when byte-identical to the keeper, else `near`. Groups come in keeper-id order."""
    by_id = {item.photo_id: item for item in facts}
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        if a in by_id and b in by_id:
            first, second = root(a), root(b)
            if first != second:
                parent[max(first, second)] = min(first, second)
    members: dict[int, list[PhotoFacts]] = {}
    for node in parent:
        members.setdefault(root(node), []).append(by_id[node])
    groups = []
    for items in members.values():
        items.sort(key=keeper_order)
        keeper = items[0]
        rows = tuple(Member(item.photo_id, "exact" if item.content_hash == keeper.content_hash else "near",
                            item is keeper) for item in sorted(items, key=lambda item: item.photo_id))
        kind = "exact" if all(row.kind == "exact" for row in rows) else "near"
        groups.append(DuplicateGroup(None, kind, keeper.photo_id, rows))
    groups.sort(key=lambda group: group.keeper_id)
    return groups


def find_groups(facts: Sequence[PhotoFacts], thresholds: Thresholds, vectors: Any = None,
                vector_ids: Sequence[int] = ()) -> list[DuplicateGroup]:
    """Every duplicate group among `facts` (the whole-library detection, pure)."""
    pairs = exact_pairs(facts) | near_pairs(facts, None, thresholds, vectors, vector_ids)
    return group_duplicates(facts, pairs)


# ----------------------------------------------------------------------------- the analysis
@dataclass(frozen=True)
class Detection:
    """What one detection did: groups in the library afterwards, and how many it (re)wrote."""

    groups: int
    photos: int
    rewritten: int
    scoped: bool

    def summary(self) -> str:
        where = "in scope" if self.scoped else "in the library"
        return (f"{self.groups} duplicate group(s) of {self.photos} photos; "
                f"{self.rewritten} group(s) (re)written {where}")


def thresholds_of(context: RunContext) -> Thresholds:
    settings = context.settings
    return Thresholds(settings.duplicate_phash_distance, settings.duplicate_phash_distance_same_capture,
                      settings.duplicate_clip_distance)


def detect_duplicates(db: Any, scope: Scope, context: RunContext) -> Detection:
    """Re-detect the groups that photos of `scope` belong to (all groups for an empty scope) and
    store them; groups elsewhere in the library are left as they are."""
    from gallery_builder.db import duplicates as store

    thresholds = thresholds_of(context)
    facts = store.photo_facts(db)
    vector_ids, vectors = store.unit_vectors(db, context.settings.clip_model)
    whole = not scope.sql()[0]
    scope_ids = None if whole else set(store.photo_ids_in(db, scope))
    pairs = exact_pairs(facts, scope_ids) | near_pairs(facts, scope_ids, thresholds, vectors, vector_ids)
    if whole:
        affected = None
    else:
        linked = scope_ids | {photo_id for pair in pairs for photo_id in pair}
        affected = linked | store.members_of_groups_with(db, linked)
        local = [item for item in facts if item.photo_id in affected]
        pairs = exact_pairs(local) | near_pairs(local, None, thresholds, *_vectors_within(vectors, vector_ids, affected))
        facts = local
    groups = group_duplicates(facts, pairs)
    rewritten = store.replace_groups(db, affected, groups)
    total_groups, total_photos = store.group_counts(db)
    return Detection(total_groups, total_photos, rewritten, not whole)


def _vectors_within(vectors: Any, vector_ids: Sequence[int], wanted: set[int]) -> tuple[Any, list[int]]:
    if vectors is None:
        return None, []
    rows = [row for row, photo_id in enumerate(vector_ids) if photo_id in wanted]
    return vectors[rows], [vector_ids[row] for row in rows]


class DuplicateAnalysis:
    """The duplicates step of a run's analysis stage (registered in `ANALYSES`)."""

    name: ClassVar[str] = "duplicates"

    def run(self, db: Any, scope: Scope, context: RunContext) -> str:
        return detect_duplicates(db, scope, context).summary()
