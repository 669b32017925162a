"""Stacks (bursts, brackets, sequences): pure functions from plain photo records to proposed stacks,
a person's edits replayed on top of them, and the top photo of each stack.

No I/O here: `gallery_builder/analysis/stack_run.py` reads the facts, calls these and stores the result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Sequence

from gallery_builder.core.best_first import Facts, best_index

StackKind = Literal["burst", "sequence"]
EditAction = Literal["set_top", "remove", "add", "merge", "not_a_stack"]
EDIT_ACTIONS: tuple[str, ...] = EditAction.__args__  # type: ignore[attr-defined]
NEIGHBOURS = 8  # a photo is compared with at most this many later frames of its camera (sequence links)


@dataclass(frozen=True)
class StackPhoto:
    """What stacking knows of one photo. `taken_at` is seconds on the local wall clock (only
    differences matter); `vector` a unit CLIP vector (numpy array) when one exists."""

    photo_id: int
    camera: str | None
    taken_at: float
    phash: int | None = None
    vector: Any = None
    has_subseconds: bool = False
    stars: int = 0
    sharpness: float | None = None
    eligible: bool = True  # False: known only because a person's edit names it (never auto-stacked)
    rating: float | None = None     # the ranking rating and its comparison count (photo_ratings)
    comparisons: int = 0
    aesthetic: float | None = None  # the quality pass's aesthetic score


@dataclass(frozen=True)
class StackRules:
    """The thresholds (settings `stack_*`, README "Stacks")."""

    gap_seconds: float = 5.0
    span_seconds: float = 10.0
    sequence_gap_seconds: float = 30.0
    burst_phash_distance: int = 22
    sequence_phash_distance: int = 16
    burst_clip_similarity: float = 0.80
    sequence_clip_similarity: float = 0.92

    @classmethod
    def from_settings(cls, settings: Any) -> "StackRules":
        return cls(settings.stack_gap_seconds, settings.stack_span_seconds, settings.stack_sequence_gap_seconds,
                   settings.stack_burst_phash_distance, settings.stack_sequence_phash_distance,
                   settings.stack_burst_clip_similarity, settings.stack_sequence_clip_similarity)


@dataclass(frozen=True)
class StackEdit:
    """One edit a person made, by photo ids (stable across re-detection, unlike stack ids).

    set_top (P,): P is its stack's top. remove (P,): P leaves its stack. add (P, Q): P joins Q's stack.
    merge (P, Q): the stacks of P and Q become one. not_a_stack (P1, ..., Pn): these stand alone."""

    seq: int
    action: EditAction
    photo_ids: tuple[int, ...]


@dataclass(frozen=True)
class ProposedStack:
    members: tuple[int, ...]  # in capture-time order
    top: int
    kind: StackKind
    first: float
    last: float


@dataclass
class _UnionFind:
    parent: dict[int, int] = field(default_factory=dict)

    def find(self, item: int) -> int:
        root = item
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while item != root:  # path compression
            self.parent[item], item = root, self.parent.get(item, item)
        return root

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        self.parent.setdefault(root_a, root_a)
        self.parent.setdefault(root_b, root_b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _looks_alike(a: StackPhoto, b: StackPhoto, phash_distance: int, clip_similarity: float) -> bool:
    """Visual confirmation: CLIP cosine when both have vectors, else (or also) pHash Hamming distance."""
    if a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= clip_similarity:
        return True
    if a.phash is not None and b.phash is not None:
        return (a.phash ^ b.phash).bit_count() <= phash_distance
    return False


def _is_copy(a: StackPhoto, b: StackPhoto) -> bool:
    """The same instant of one camera: a copy (re-encode, resize, export), not another frame. Without
    sub-second times two frames can share a second, so then only identical pHashes count as a copy."""
    if a.taken_at != b.taken_at:
        return False
    return (a.has_subseconds and b.has_subseconds) or (a.phash is not None and a.phash == b.phash)


def by_camera(photos: Iterable[StackPhoto]) -> dict[str | None, list[StackPhoto]]:
    """Eligible photos per camera, in capture-time order (ties by id). A photo whose camera is unknown
    joins no stack: "same camera" cannot be confirmed (scans, exports, images from elsewhere)."""
    groups: dict[str | None, list[StackPhoto]] = {}
    for photo in photos:
        if photo.eligible and photo.camera is not None:
            groups.setdefault(photo.camera, []).append(photo)
    for frames in groups.values():
        frames.sort(key=lambda photo: (photo.taken_at, photo.photo_id))
    return groups


def segments(frames: Sequence[StackPhoto], rules: StackRules) -> list[list[StackPhoto]]:
    """Split one camera's time-ordered frames where the gap exceeds the longest link: no stack crosses
    such a gap, so each segment can be re-stacked on its own (incremental re-stacking)."""
    parts: list[list[StackPhoto]] = []
    longest = max(rules.gap_seconds, rules.sequence_gap_seconds)
    for photo in frames:
        if parts and photo.taken_at - parts[-1][-1].taken_at <= longest:
            parts[-1].append(photo)
        else:
            parts.append([photo])
    return parts


def link_frames(frames: Sequence[StackPhoto], rules: StackRules, links: _UnionFind) -> None:
    """Union the frames of one camera (time order) that belong together."""
    kept: list[StackPhoto] = []
    for photo in frames:  # copies of the same instant stay out: duplicates are another analysis
        if not any(_is_copy(earlier, photo) for earlier in kept[-NEIGHBOURS:] if earlier.taken_at == photo.taken_at):
            kept.append(photo)
    chain_start = None
    for index, photo in enumerate(kept):
        if index and chain_start is not None:
            previous = kept[index - 1]
            if (photo.taken_at - previous.taken_at <= rules.gap_seconds
                    and photo.taken_at - chain_start <= rules.span_seconds
                    and _looks_alike(previous, photo, rules.burst_phash_distance, rules.burst_clip_similarity)):
                links.union(previous.photo_id, photo.photo_id)
            else:
                chain_start = photo.taken_at
        else:
            chain_start = photo.taken_at
        for later in kept[index + 1:index + 1 + NEIGHBOURS]:  # near-identical frames chain further
            if later.taken_at - photo.taken_at > rules.sequence_gap_seconds:
                break
            if _looks_alike(photo, later, rules.sequence_phash_distance, rules.sequence_clip_similarity):
                links.union(photo.photo_id, later.photo_id)


def detect_groups(photos: Iterable[StackPhoto], rules: StackRules) -> list[set[int]]:
    """Groups of two or more photo ids that detection would stack (before a person's edits)."""
    links = _UnionFind()
    for frames in by_camera(photos).values():
        for part in segments(frames, rules):
            if len(part) > 1:
                link_frames(part, rules, links)
    groups: dict[int, set[int]] = {}
    for item in list(links.parent):
        groups.setdefault(links.find(item), set()).add(item)
    return [members for members in groups.values() if len(members) > 1]


def apply_edits(groups: Iterable[set[int]], edits: Sequence[StackEdit],
                known: set[int] | None = None) -> tuple[list[set[int]], dict[int, int]]:
    """Replay a person's edits, in order, over detected groups. Returns (groups of two or more,
    {any member: chosen top} for each group a person gave a top). Ids outside `known` are ignored."""
    group_of: dict[int, int] = {}
    members: dict[int, set[int]] = {}
    next_id = 0
    for group in groups:
        members[next_id] = set(group)
        for photo_id in group:
            group_of[photo_id] = next_id
        next_id += 1

    def leave(photo_id: int) -> None:
        if photo_id in group_of:
            members[group_of.pop(photo_id)].discard(photo_id)

    def group_for(photo_id: int) -> int:
        nonlocal next_id
        if photo_id not in group_of:
            members[next_id] = {photo_id}
            group_of[photo_id] = next_id
            next_id += 1
        return group_of[photo_id]

    tops: dict[int, int] = {}  # group -> top
    for edit in sorted(edits, key=lambda item: item.seq):
        ids = [photo_id for photo_id in edit.photo_ids if known is None or photo_id in known]
        if len(ids) != len(edit.photo_ids) and edit.action in ("add", "merge", "set_top", "remove"):
            continue
        if edit.action == "set_top":
            tops[group_for(ids[0])] = ids[0]
        elif edit.action in ("remove", "not_a_stack"):
            for photo_id in ids:
                leave(photo_id)
        elif edit.action == "add" and ids[0] != ids[1]:
            leave(ids[0])
            target = group_for(ids[1])
            members[target].add(ids[0])
            group_of[ids[0]] = target
        elif edit.action == "merge":
            first, second = group_for(ids[0]), group_for(ids[1])
            if first != second:
                for photo_id in members.pop(second):
                    group_of[photo_id] = first
                    members[first].add(photo_id)
                if second in tops and first not in tops:
                    tops[first] = tops[second]
    result = [group for group in members.values() if len(group) > 1]
    chosen = {}
    for group_id, top in tops.items():
        group = members.get(group_id, set())
        if top in group and len(group) > 1:
            chosen[top] = top
    return result, chosen


def facts_of(photo: StackPhoto) -> Facts:
    return Facts(rating=photo.rating, comparisons=photo.comparisons, stars=photo.stars, aesthetic=photo.aesthetic,
                 sharpness=photo.sharpness)


def choose_top(members: Sequence[StackPhoto], chosen: int | None = None) -> int:
    """A person's choice; else the first by the one "best first" order (core/best_first.py), the
    earliest on a tie."""
    ids = {photo.photo_id for photo in members}
    if chosen in ids:
        return chosen  # type: ignore[return-value]
    ordered = sorted(members, key=lambda photo: (photo.taken_at, photo.photo_id))
    return ordered[best_index([facts_of(photo) for photo in ordered])].photo_id


def describe(members: Sequence[StackPhoto], rules: StackRules, chosen: int | None = None) -> ProposedStack:
    """A group's top, kind (burst: gaps and span within the burst limits; else sequence) and times."""
    ordered = sorted(members, key=lambda photo: (photo.taken_at, photo.photo_id))
    gaps = [b.taken_at - a.taken_at for a, b in zip(ordered, ordered[1:])]
    first, last = ordered[0].taken_at, ordered[-1].taken_at
    is_burst = last - first <= rules.span_seconds and all(gap <= rules.gap_seconds for gap in gaps)
    return ProposedStack(tuple(photo.photo_id for photo in ordered), choose_top(ordered, chosen),
                         "burst" if is_burst else "sequence", first, last)


def propose_stacks(photos: Sequence[StackPhoto], rules: StackRules,
                   edits: Sequence[StackEdit] = ()) -> list[ProposedStack]:
    """Detection, then a person's edits, then top and kind: the stacks these photos form."""
    by_id = {photo.photo_id: photo for photo in photos}
    groups, chosen = apply_edits(detect_groups(photos, rules), edits, set(by_id))
    stacks = []
    for group in groups:
        top = next((photo_id for photo_id in group if photo_id in chosen), None)
        stacks.append(describe([by_id[photo_id] for photo_id in group], rules, top))
    stacks.sort(key=lambda stack: (stack.first, stack.members[0]))
    return stacks
