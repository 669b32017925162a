"""SQL of collections (albums), a person's decisions: create, rename, delete, add, remove, order, cover.

Only the CLI and the sidecar's writing routes call the writing functions. Each write is one short
transaction that changes the rows, appends one `collection_log` row (its max seq is the collections
version) and records a republish request; a write that changes nothing writes nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from gallery_builder.db.connection import transaction
from gallery_builder.db.decisions import UnknownPhotos, request_republish, unknown_photo_ids
from gallery_builder.db.pass_queries import now_iso

MAX_NAME_LENGTH = 200


class UnknownCollection(LookupError):
    """No collection has this id (or name); nothing was written."""

    def __init__(self, key: int | str) -> None:
        self.key = key
        super().__init__(f"no collection {key!r}" if isinstance(key, str) else f"no collection with id {key}")


class CollectionRefused(ValueError):
    """A write that cannot be done as asked (a bad or taken name, a photo not in the collection)."""

    def __init__(self, message: str, *, conflict: bool = False, photo_ids: Sequence[int] = ()) -> None:
        super().__init__(message)
        self.conflict, self.photo_ids = conflict, sorted(photo_ids)


@dataclass(frozen=True)
class Collection:
    """One collection; `cover_photo_id` is the chosen cover, else its first photo (None when empty)."""

    id: int
    name: str
    cover_photo_id: int | None
    photo_count: int
    created_at: str
    updated_at: str
    cover_chosen: bool = False      # a person chose the cover (else the site picks the best photo)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "cover_photo_id": self.cover_photo_id,
                "photo_count": self.photo_count, "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class CollectionWrite:
    """What a write did: one line per effective change (empty: it was already so), the photos whose
    membership or position changed, and the collections version after it."""

    collection_id: int
    changes: tuple[str, ...]
    photo_ids: tuple[int, ...]
    version: int
    created: bool = False


_SELECT = (
    "SELECT c.id, c.name, COALESCE(c.cover_photo_id, (SELECT photo_id FROM collection_photos f"
    " WHERE f.collection_id = c.id ORDER BY f.position LIMIT 1)),"
    " (SELECT COUNT(*) FROM collection_photos n WHERE n.collection_id = c.id), c.created_at, c.updated_at,"
    " c.cover_photo_id IS NOT NULL"
    " FROM collections c")


def _distinct_in_order(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(int(photo_id) for photo_id in ids))


def collections_version(db: Any) -> int:
    """The collections version: the seq of the newest collection_log row (0 before any change)."""
    return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM collection_log").fetchone()[0])


def list_collections(db: Any) -> list[Collection]:
    """Every collection, by name."""
    return [Collection(*row) for row in db.execute(f"{_SELECT} ORDER BY c.name COLLATE NOCASE, c.id")]


def collections_of_photo(db: Any, photo_id: int) -> list[Collection]:
    """The collections holding this photo, by name."""
    return [Collection(*row) for row in db.execute(
        f"{_SELECT} WHERE c.id IN (SELECT collection_id FROM collection_photos WHERE photo_id = ?)"
        " ORDER BY c.name COLLATE NOCASE, c.id", (photo_id,))]


def get_collection(db: Any, collection_id: int) -> Collection:
    row = db.execute(f"{_SELECT} WHERE c.id = ?", (collection_id,)).fetchone()
    if row is None:
        raise UnknownCollection(collection_id)
    return Collection(*row)


def find_collection(db: Any, key: str) -> Collection:
    """A collection by id (digits) or by name (any case)."""
    if key.isdigit():
        return get_collection(db, int(key))
    row = db.execute(f"{_SELECT} WHERE c.name = ? COLLATE NOCASE", (key.strip(),)).fetchone()
    if row is None:
        raise UnknownCollection(key)
    return Collection(*row)


def collection_photo_ids(db: Any, collection_id: int) -> list[int]:
    """The collection's photos in their manual order."""
    get_collection(db, collection_id)
    return [row[0] for row in db.execute(
        "SELECT photo_id FROM collection_photos WHERE collection_id = ? ORDER BY position, photo_id",
        (collection_id,))]


def photo_ids_to_index(db: Any, collection_id: int, expand_stacks: bool = False) -> list[int]:
    """The collection's photos (plus, with `expand_stacks`, the other members of their stacks), by id."""
    get_collection(db, collection_id)
    own = "SELECT photo_id FROM collection_photos WHERE collection_id = ?"
    if not expand_stacks:
        return [row[0] for row in db.execute(f"{own} ORDER BY photo_id", (collection_id,))]
    return [row[0] for row in db.execute(
        f"{own} UNION SELECT other.photo_id FROM collection_photos c"
        " JOIN stack_members m ON m.photo_id = c.photo_id JOIN stack_members other ON other.stack_id = m.stack_id"
        " WHERE c.collection_id = ? ORDER BY 1", (collection_id, collection_id))]


def _name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise CollectionRefused("a collection needs a name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise CollectionRefused(f"a collection name has at most {MAX_NAME_LENGTH} characters")
    return cleaned


def _log(db: Any, collection_id: int, action: str, detail: str, source: str, at: str) -> None:
    db.execute("INSERT INTO collection_log (collection_id, action, detail, source, at) VALUES (?, ?, ?, ?, ?)",
               (collection_id, action, detail, source, at))
    db.execute("UPDATE collections SET updated_at = ? WHERE id = ?", (at, collection_id))
    request_republish(db, f"{source}: collection {collection_id} {action} {detail}", in_transaction=True)


def _done(db: Any, collection_id: int, changes: Sequence[str], photo_ids: Iterable[int] = (),
          created: bool = False) -> CollectionWrite:
    return CollectionWrite(collection_id, tuple(changes), tuple(photo_ids), collections_version(db), created)


def create_collection(db: Any, name: str, source: str) -> CollectionWrite:
    """A new, empty collection; a name that exists (any case) answers that collection, unchanged."""
    name = _name(name)
    with transaction(db):
        row = db.execute("SELECT id FROM collections WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
        if row is not None:
            return _done(db, row[0], ())
        at = now_iso()
        new_id = int(db.execute("INSERT INTO collections (name, created_at, updated_at) VALUES (?, ?, ?)",
                                (name, at, at)).lastrowid)
        _log(db, new_id, "create", name, source, at)
        return _done(db, new_id, (f"created {name!r}",), created=True)


def rename_collection(db: Any, collection_id: int, name: str, source: str) -> CollectionWrite:
    name = _name(name)
    with transaction(db):
        before = get_collection(db, collection_id)
        if before.name == name:
            return _done(db, collection_id, ())
        taken = db.execute("SELECT id FROM collections WHERE name = ? COLLATE NOCASE AND id != ?",
                           (name, collection_id)).fetchone()
        if taken is not None:
            raise CollectionRefused(f"another collection (id {taken[0]}) is named {name!r}", conflict=True)
        at = now_iso()
        db.execute("UPDATE collections SET name = ? WHERE id = ?", (name, collection_id))
        _log(db, collection_id, "rename", name, source, at)
        return _done(db, collection_id, (f"renamed {before.name!r} -> {name!r}",))


def delete_collection(db: Any, collection_id: int, source: str) -> CollectionWrite:
    """Delete the collection and its order; the photos themselves stay."""
    with transaction(db):
        before = get_collection(db, collection_id)
        members = [row[0] for row in db.execute(
            "SELECT photo_id FROM collection_photos WHERE collection_id = ?", (collection_id,))]
        at = now_iso()
        _log(db, collection_id, "delete", before.name, source, at)
        db.execute("DELETE FROM collections WHERE id = ?", (collection_id,))
        return _done(db, collection_id, (f"deleted {before.name!r} ({len(members)} photo(s) kept)",), members)


def _checked_order(db: Any, collection_id: int, photo_ids: Iterable[int]) -> list[int]:
    """The collection's photo ids in order, after checking that it exists (UnknownCollection) and
    that every one of `photo_ids` is a known photo (UnknownPhotos): nothing is written before."""
    get_collection(db, collection_id)
    unknown = unknown_photo_ids(db, photo_ids)
    if unknown:
        raise UnknownPhotos(unknown)
    return _order(db, collection_id)


def add_photos(db: Any, collection_id: int, ids: Iterable[int], source: str) -> CollectionWrite:
    """Append photos at the end, in the given order; photos already in it stay where they are.
    Unknown photo ids raise UnknownPhotos and nothing is written."""
    wanted = _distinct_in_order(ids)
    with transaction(db):
        order = _checked_order(db, collection_id, wanted)
        present = set(order)
        new = [photo_id for photo_id in wanted if photo_id not in present]
        if not new:
            return _done(db, collection_id, ())
        db.executemany("INSERT INTO collection_photos (collection_id, photo_id, position) VALUES (?, ?, ?)",
                       [(collection_id, photo_id, len(order) + offset) for offset, photo_id in enumerate(new)])
        _log(db, collection_id, "add", f"{len(new)} photo(s)", source, now_iso())
        return _done(db, collection_id, (f"added {len(new)} photo(s)",), new)


def remove_photos(db: Any, collection_id: int, ids: Iterable[int], source: str) -> CollectionWrite:
    """Take photos out of the collection (they stay in the library); photos not in it are ignored,
    unknown photo ids raise UnknownPhotos. A removed cover falls back to the first photo."""
    wanted = set(_distinct_in_order(ids))
    with transaction(db):
        order = _checked_order(db, collection_id, wanted)
        gone = [photo_id for photo_id in order if photo_id in wanted]
        if not gone:
            return _done(db, collection_id, ())
        db.execute("DELETE FROM collection_photos WHERE collection_id = ? AND photo_id IN"
                   " (SELECT value FROM json_each(?))", (collection_id, json.dumps(gone)))
        db.execute("UPDATE collections SET cover_photo_id = NULL WHERE id = ? AND cover_photo_id IN"
                   " (SELECT value FROM json_each(?))", (collection_id, json.dumps(gone)))
        _write_order(db, collection_id, [photo_id for photo_id in order if photo_id not in wanted])
        _log(db, collection_id, "remove", f"{len(gone)} photo(s)", source, now_iso())
        return _done(db, collection_id, (f"removed {len(gone)} photo(s)",), gone)


def set_cover(db: Any, collection_id: int, photo_id: int | None, source: str) -> CollectionWrite:
    """Choose the cover among the collection's photos (None: the first photo again)."""
    with transaction(db):
        get_collection(db, collection_id)
        if photo_id is not None:
            if unknown_photo_ids(db, [photo_id]):
                raise UnknownPhotos([photo_id])
            _require_members(db, collection_id, [photo_id])
        current = db.execute("SELECT cover_photo_id FROM collections WHERE id = ?", (collection_id,)).fetchone()[0]
        if current == photo_id:
            return _done(db, collection_id, ())
        db.execute("UPDATE collections SET cover_photo_id = ? WHERE id = ?", (photo_id, collection_id))
        _log(db, collection_id, "cover", str(photo_id if photo_id is not None else "first photo"), source, now_iso())
        return _done(db, collection_id, (f"cover {current or 'first photo'} -> {photo_id or 'first photo'}",))


def move_photos(db: Any, collection_id: int, ids: Sequence[int], before: int | None, source: str) -> CollectionWrite:
    """Move photos of the collection (in the given order) to just before `before`, or to the end."""
    moving = _distinct_in_order(ids)
    with transaction(db):
        get_collection(db, collection_id)
        unknown = unknown_photo_ids(db, [*moving, *([before] if before is not None else [])])
        if unknown:
            raise UnknownPhotos(unknown)
        _require_members(db, collection_id, [*moving, *([before] if before is not None else [])])
        if before in moving:
            raise CollectionRefused(f"photo {before} cannot move before itself")
        order = _order(db, collection_id)
        moved = set(moving)
        rest = [photo_id for photo_id in order if photo_id not in moved]
        at = rest.index(before) if before is not None else len(rest)
        new_order = rest[:at] + moving + rest[at:]
        changed = _write_order(db, collection_id, new_order)
        if not changed:
            return _done(db, collection_id, ())
        _log(db, collection_id, "move", f"{len(moving)} photo(s) before {before or 'the end'}", source, now_iso())
        return _done(db, collection_id, (f"moved {len(moving)} photo(s)",), changed)


def _order(db: Any, collection_id: int) -> list[int]:
    return [row[0] for row in db.execute(
        "SELECT photo_id FROM collection_photos WHERE collection_id = ? ORDER BY position, photo_id",
        (collection_id,))]


def _write_order(db: Any, collection_id: int, order: list[int]) -> list[int]:
    """Positions 0..n-1 in this order; returns the photos whose position changed."""
    current = {row[0]: row[1] for row in db.execute(
        "SELECT photo_id, position FROM collection_photos WHERE collection_id = ?", (collection_id,))}
    changed = [photo_id for position, photo_id in enumerate(order) if current.get(photo_id) != position]
    positions = {photo_id: position for position, photo_id in enumerate(order)}
    db.executemany("UPDATE collection_photos SET position = ? WHERE collection_id = ? AND photo_id = ?",
                   [(positions[photo_id], collection_id, photo_id) for photo_id in changed])
    return changed


def _require_members(db: Any, collection_id: int, ids: Sequence[int]) -> None:
    members = {row[0] for row in db.execute(
        "SELECT photo_id FROM collection_photos WHERE collection_id = ? AND photo_id IN"
        " (SELECT value FROM json_each(?))", (collection_id, json.dumps(list(ids))))}
    outside = [photo_id for photo_id in ids if photo_id not in members]
    if outside:
        raise CollectionRefused(f"photo(s) {', '.join(map(str, sorted(set(outside))))} not in collection "
                                f"{collection_id}: add them first", photo_ids=outside)
