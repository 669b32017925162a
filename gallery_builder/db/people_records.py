"""People, clusters and face links as the CLI, the sidecar and the writes read them: typed records,
the refusals a write raises, and the read queries (list, get, find, faces of a person or cluster).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

MAX_NAME_LENGTH = 200
# Who linked a face to its person: the first three are a person's own work (or the references they
# named) and are never changed by matching or clustering; the last two are proposals.
DECIDED = ("user", "reference", "cluster")
PROPOSED = ("match", "temporal")


class UnknownPerson(LookupError):
    """No person has this id (or name); nothing was written."""

    def __init__(self, key: int | str) -> None:
        self.key = key
        super().__init__(f"no person named {key!r}" if isinstance(key, str) else f"no person with id {key}")


class UnknownFaces(LookupError):
    """Some ids name no face; nothing was written."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.ids = sorted(ids)
        super().__init__("no face with id " + ", ".join(map(str, self.ids[:20])))


class UnknownCluster(LookupError):
    def __init__(self, cluster_id: int) -> None:
        self.key = cluster_id
        super().__init__(f"no face cluster with id {cluster_id}")


class PeopleRefused(ValueError):
    """A write that cannot be done as asked (a bad or taken name, a rule it would break)."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    hidden: bool
    face_count: int
    photo_count: int
    cover_face_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "hidden": self.hidden, "face_count": self.face_count,
                "photo_count": self.photo_count, "cover_face_id": self.cover_face_id}


@dataclass(frozen=True)
class Cluster:
    """An unknown cluster; `named` counts its faces already linked to a person."""

    id: int
    shown: bool
    ignored: bool
    face_count: int
    named: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "shown": self.shown, "ignored": self.ignored, "face_count": self.face_count,
                "named": self.named}


@dataclass(frozen=True)
class FaceLink:
    """One face and who it belongs to."""

    id: int
    photo_id: int
    person_id: int | None
    assigned_by: str | None
    cluster_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "photo_id": self.photo_id, "person_id": self.person_id,
                "assigned_by": self.assigned_by, "cluster_id": self.cluster_id}


@dataclass(frozen=True)
class PeopleWrite:
    """What a write did: one line per effective change (empty: it was already so), the faces it
    touched, and the person or cluster it is about (for the answer)."""

    changes: tuple[str, ...]
    face_ids: tuple[int, ...] = ()
    person_id: int | None = None
    cluster_id: int | None = None
    created: bool = False


_PERSON = (
    "SELECT p.id, p.name, p.hidden, COUNT(f.id), COUNT(DISTINCT f.photo_id),"
    " COALESCE(p.cover_face_id, (SELECT c.id FROM faces c WHERE c.person_id = p.id ORDER BY c.score DESC, c.id"
    " LIMIT 1)) FROM people p LEFT JOIN faces f ON f.person_id = p.id")
_CLUSTER = (
    "SELECT c.id, c.shown, c.ignored, COUNT(f.id), COUNT(f.person_id) FROM face_clusters c"
    " LEFT JOIN faces f ON f.cluster_id = c.id")


def _person(row: Any) -> Person:
    return Person(row[0], row[1], bool(row[2]), row[3], row[4], row[5])


def clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise PeopleRefused("a person needs a name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise PeopleRefused(f"a name has at most {MAX_NAME_LENGTH} characters")
    return cleaned


def list_people(db: Any, include_hidden: bool = True) -> list[Person]:
    """Every person by name (hidden ones too unless asked not to)."""
    where = "" if include_hidden else " WHERE p.hidden = 0"
    return [_person(row) for row in db.execute(f"{_PERSON}{where} GROUP BY p.id ORDER BY p.name COLLATE NOCASE")]


def get_person(db: Any, person_id: int) -> Person:
    row = db.execute(f"{_PERSON} WHERE p.id = ? GROUP BY p.id", (person_id,)).fetchone()
    if row is None:
        raise UnknownPerson(person_id)
    return _person(row)


def find_person(db: Any, key: str) -> Person:
    """A person by id (digits) or by name (any case)."""
    if str(key).isdigit():
        return get_person(db, int(key))
    row = db.execute(f"{_PERSON} WHERE p.name = ? COLLATE NOCASE GROUP BY p.id", (" ".join(key.split()),)).fetchone()
    if row is None:
        raise UnknownPerson(key)
    return _person(row)


def list_clusters(db: Any, include_ignored: bool = False, min_faces: int = 1) -> list[Cluster]:
    """Unknown clusters, largest first (ignored ones only when asked)."""
    where = "" if include_ignored else " WHERE c.ignored = 0"
    return [Cluster(row[0], bool(row[1]), bool(row[2]), row[3], row[4]) for row in db.execute(
        f"{_CLUSTER}{where} GROUP BY c.id HAVING COUNT(f.id) >= ? ORDER BY COUNT(f.id) DESC, c.id", (min_faces,))]


def get_cluster(db: Any, cluster_id: int) -> Cluster:
    row = db.execute(f"{_CLUSTER} WHERE c.id = ? GROUP BY c.id", (cluster_id,)).fetchone()
    if row is None:
        raise UnknownCluster(cluster_id)
    return Cluster(row[0], bool(row[1]), bool(row[2]), row[3], row[4])


def faces_of(db: Any, *, person_id: int | None = None, cluster_id: int | None = None,
             face_ids: Iterable[int] | None = None) -> list[FaceLink]:
    """The faces of a person, of a cluster, or with these ids, by id."""
    sql = "SELECT id, photo_id, person_id, assigned_by, cluster_id FROM faces"
    if person_id is not None:
        rows = db.execute(f"{sql} WHERE person_id = ? ORDER BY id", (person_id,))
    elif cluster_id is not None:
        rows = db.execute(f"{sql} WHERE cluster_id = ? ORDER BY id", (cluster_id,))
    else:
        rows = db.execute(f"{sql} WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
                          (json.dumps(sorted({int(i) for i in face_ids or ()})),))
    return [FaceLink(*row) for row in rows]
