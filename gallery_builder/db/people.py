"""SQL writes of people and face clusters, a person's decisions: create, rename, hide, merge, split people;
name, ignore and restore clusters; assign, clear and reject faces; mark clusters shown; reference faces.

Only the CLI and the sidecar's writing routes call the writing functions. Each write is one short
transaction that records a republish request when it changed something; a write that changes nothing
writes nothing. Analysis reads and stores through `db/face_facts.py`; export/import in `db/people_exchange.py`.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from gallery_builder.db.connection import transaction
from gallery_builder.db.decisions import request_republish
from gallery_builder.db.pass_queries import now_iso

# The records and reads live in people_records.py; they are re-exported here, where callers write.
from gallery_builder.db.people_records import (  # noqa: F401
    DECIDED, MAX_NAME_LENGTH, PROPOSED, Cluster, FaceLink, PeopleRefused, PeopleWrite, Person, UnknownCluster,
    UnknownFaces, UnknownPerson, clean_name, faces_of, find_person, get_cluster, get_person, list_clusters,
    list_people,
)


def _require_faces(db: Any, ids: Sequence[int]) -> list[FaceLink]:
    found = faces_of(db, face_ids=ids)
    missing = set(ids) - {face.id for face in found}
    if missing:
        raise UnknownFaces(sorted(missing))
    return found


def _require_cluster(db: Any, cluster_id: int) -> None:
    if db.execute("SELECT 1 FROM face_clusters WHERE id = ?", (cluster_id,)).fetchone() is None:
        raise UnknownCluster(cluster_id)


def _republish(db: Any, source: str, what: str) -> None:
    request_republish(db, f"{source}: {what}", in_transaction=True)


def _person_named(db: Any, name: str) -> tuple[int, bool]:
    """(id, created) of the person with this name (any case), created when new; inside a transaction."""
    row = db.execute("SELECT id FROM people WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
    if row is not None:
        return row[0], False
    return int(db.execute("INSERT INTO people (name, created_at) VALUES (?, ?)", (name, now_iso())).lastrowid), True


def create_person(db: Any, name: str, source: str) -> PeopleWrite:
    """A new person; a name that exists (any case) answers that person, unchanged."""
    name = clean_name(name)
    with transaction(db):
        person_id, created = _person_named(db, name)
        if created:
            _republish(db, source, f"person {person_id} created")
        return PeopleWrite((f"created {name!r}",) if created else (), person_id=person_id, created=created)


def rename_person(db: Any, person_id: int, name: str, source: str) -> PeopleWrite:
    """Rename (the id, and so the page address, stays); a name another person has is refused: merge instead."""
    name = clean_name(name)
    with transaction(db):
        before = get_person(db, person_id)
        if before.name == name:
            return PeopleWrite((), person_id=person_id)
        taken = db.execute("SELECT id FROM people WHERE name = ? COLLATE NOCASE AND id != ?",
                           (name, person_id)).fetchone()
        if taken is not None:
            raise PeopleRefused(f"another person (id {taken[0]}) is named {name!r}: merge them instead", conflict=True)
        db.execute("UPDATE people SET name = ? WHERE id = ?", (name, person_id))
        _republish(db, source, f"person {person_id} renamed")
        return PeopleWrite((f"renamed {before.name!r} -> {name!r}",), person_id=person_id)


def set_hidden(db: Any, person_id: int, hidden: bool, source: str) -> PeopleWrite:
    """Hide a person from the people pages (their faces stay theirs), or show them again."""
    with transaction(db):
        before = get_person(db, person_id)
        if before.hidden == hidden:
            return PeopleWrite((), person_id=person_id)
        db.execute("UPDATE people SET hidden = ? WHERE id = ?", (int(hidden), person_id))
        _republish(db, source, f"person {person_id} {'hidden' if hidden else 'shown'}")
        return PeopleWrite((f"{'hid' if hidden else 'unhid'} {before.name!r}",), person_id=person_id)


def merge_people(db: Any, into_id: int, from_ids: Sequence[int], source: str) -> PeopleWrite:
    """Move every face, reference and "not this person" of `from_ids` to `into_id`, then delete them.
    Two faces of one photo never end up one person: where the target already has a face in a photo,
    the other face is unlinked (and remembered as "not this person"); a face once said not to be the
    target is unlinked too."""
    others = [person_id for person_id in dict.fromkeys(from_ids) if person_id != into_id]
    with transaction(db):
        target = get_person(db, into_id)
        gone = [get_person(db, person_id) for person_id in others]
        if not gone:
            return PeopleWrite((), person_id=into_id)
        moved: list[int] = []
        at = now_iso()
        for person in gone:
            taken = {row[0] for row in db.execute("SELECT photo_id FROM faces WHERE person_id = ?", (into_id,))}
            not_target = {row[0] for row in db.execute("SELECT face_id FROM face_rejections WHERE person_id = ?",
                                                       (into_id,))}
            for face_id, photo_id in db.execute(
                    "SELECT id, photo_id FROM faces WHERE person_id = ? ORDER BY"
                    " CASE assigned_by WHEN 'user' THEN 0 WHEN 'reference' THEN 1 WHEN 'cluster' THEN 2 ELSE 3 END,"
                    " id", (person.id,)).fetchall():
                if photo_id in taken or face_id in not_target:
                    db.execute("UPDATE faces SET person_id = NULL, assigned_by = NULL WHERE id = ?", (face_id,))
                    db.execute("INSERT OR IGNORE INTO face_rejections (face_id, person_id, at) VALUES (?, ?, ?)",
                               (face_id, into_id, at))
                    continue
                taken.add(photo_id)
                db.execute("UPDATE faces SET person_id = ? WHERE id = ?", (into_id, face_id))
                moved.append(face_id)
            db.execute("INSERT OR IGNORE INTO face_rejections (face_id, person_id, at) SELECT face_id, ?, at"
                       " FROM face_rejections WHERE person_id = ? AND face_id NOT IN"
                       " (SELECT id FROM faces WHERE person_id = ?)", (into_id, person.id, into_id))
            db.execute("INSERT OR IGNORE INTO person_references (person_id, path) SELECT ?, path"
                       " FROM person_references WHERE person_id = ?", (into_id, person.id))
            db.execute("DELETE FROM people WHERE id = ?", (person.id,))
        _republish(db, source, f"people {', '.join(str(p.id) for p in gone)} merged into {into_id}")
        names = ", ".join(repr(person.name) for person in gone)
        return PeopleWrite((f"merged {names} into {target.name!r} ({len(moved)} face(s) moved)",),
                           tuple(moved), person_id=into_id)


def _link(db: Any, face: FaceLink, person_id: int, how: str) -> str | None:
    """Link one face to a person (inside a transaction), keeping one face per person per photo: another
    face of the photo linked to this person by a proposal is unlinked; by a person's decision, refused."""
    if face.person_id == person_id and face.assigned_by == how:
        return None
    rival = db.execute("SELECT id, assigned_by FROM faces WHERE photo_id = ? AND person_id = ? AND id != ?",
                       (face.photo_id, person_id, face.id)).fetchone()
    if rival is not None:
        if rival[1] in DECIDED and how == "user":
            raise PeopleRefused(f"face {rival[0]} of the same photo is already this person: two faces of one "
                                f"photo are never one person (clear face {rival[0]} first)", conflict=True)
        if rival[1] in DECIDED:
            return None
        db.execute("UPDATE faces SET person_id = NULL, assigned_by = NULL WHERE id = ?", (rival[0],))
    db.execute("UPDATE faces SET person_id = ?, assigned_by = ? WHERE id = ?", (person_id, how, face.id))
    return f"face {face.id} -> person {person_id}"


def assign_faces(db: Any, face_ids: Sequence[int], person_id: int, source: str) -> PeopleWrite:
    """A person says these faces are this person: linked with assigned_by='user' (a "not this person"
    they said before for this pair is withdrawn: the latest word wins)."""
    with transaction(db):
        get_person(db, person_id)
        faces = _require_faces(db, face_ids)
        changes = []
        for face in faces:
            db.execute("DELETE FROM face_rejections WHERE face_id = ? AND person_id = ?", (face.id, person_id))
            line = _link(db, face, person_id, "user")
            if line:
                changes.append(line)
        if changes:
            _republish(db, source, f"{len(changes)} face(s) assigned to person {person_id}")
        return PeopleWrite(tuple(changes), tuple(face.id for face in faces), person_id=person_id)


def assign_faces_to_name(db: Any, face_ids: Sequence[int], name: str, source: str) -> PeopleWrite:
    """`assign_faces` to the person with this name, created when new."""
    person = create_person(db, name, source)
    result = assign_faces(db, face_ids, int(person.person_id or 0), source)
    return PeopleWrite(person.changes + result.changes, result.face_ids, result.person_id, created=person.created)


def clear_faces(db: Any, face_ids: Sequence[int], source: str) -> PeopleWrite:
    """A person says: I do not know who this is. The face is unlinked and stays unlinked (assigned_by
    'user' with no person), so matching does not link it again; it may still be clustered."""
    with transaction(db):
        faces = _require_faces(db, face_ids)
        changed = [face for face in faces if face.person_id is not None or face.assigned_by != "user"]
        db.executemany("UPDATE faces SET person_id = NULL, assigned_by = 'user' WHERE id = ?",
                       [(face.id,) for face in changed])
        if changed:
            _republish(db, source, f"{len(changed)} face(s) cleared")
        return PeopleWrite(tuple(f"face {face.id} cleared" for face in changed), tuple(f.id for f in faces))


def reject_faces(db: Any, face_ids: Sequence[int], person_id: int, source: str) -> PeopleWrite:
    """"Not this person": remembered for each face, and a face linked to the person is unlinked (it may
    then match someone else, never this person again)."""
    with transaction(db):
        get_person(db, person_id)
        faces = _require_faces(db, face_ids)
        changes, at = [], now_iso()
        for face in faces:
            new = db.execute("INSERT OR IGNORE INTO face_rejections (face_id, person_id, at) VALUES (?, ?, ?)",
                             (face.id, person_id, at)).rowcount
            if face.person_id == person_id:
                db.execute("UPDATE faces SET person_id = NULL, assigned_by = NULL WHERE id = ?", (face.id,))
            if new or face.person_id == person_id:
                changes.append(f"face {face.id} is not person {person_id}")
        if changes:
            _republish(db, source, f"{len(changes)} face(s) rejected from person {person_id}")
        return PeopleWrite(tuple(changes), tuple(face.id for face in faces), person_id=person_id)


def split_person(db: Any, person_id: int, face_ids: Sequence[int], to_name: str | None, source: str) -> PeopleWrite:
    """Move chosen faces out of a person: to the person named `to_name` (created when new), or with
    no name, "not this person" on each."""
    with transaction(db):
        faces = _require_faces(db, face_ids)
        outside = [face.id for face in faces if face.person_id != person_id]
        if outside:
            raise PeopleRefused(f"face(s) {', '.join(map(str, outside))} are not person {person_id}")
    if to_name is None:
        return reject_faces(db, face_ids, person_id, source)
    result = assign_faces_to_name(db, face_ids, to_name, source)
    if result.person_id == person_id:
        raise PeopleRefused("split into the same person: give another name")
    return result


def name_cluster(db: Any, cluster_id: int, name: str, source: str) -> PeopleWrite:
    """Name an unknown cluster: the person with this name (created when new) gets the cluster's faces
    that no person's decision links elsewhere and that were not rejected from them (assigned_by
    'cluster'), one face per photo; the cluster is marked shown so its id stays."""
    name = clean_name(name)
    with transaction(db):
        _require_cluster(db, cluster_id)
        person_id, created = _person_named(db, name)
        taken = {row[0] for row in db.execute("SELECT photo_id FROM faces WHERE person_id = ?", (person_id,))}
        rows = db.execute(
            "SELECT id, photo_id, person_id, assigned_by, cluster_id FROM faces WHERE cluster_id = ?"
            " AND (assigned_by IS NULL OR assigned_by IN ('match', 'temporal') OR person_id = ?)"
            " AND id NOT IN (SELECT face_id FROM face_rejections WHERE person_id = ?)"
            " ORDER BY score DESC, id", (cluster_id, person_id, person_id)).fetchall()
        linked = []
        for face in (FaceLink(*row) for row in rows):
            if face.person_id == person_id:
                continue
            if face.photo_id in taken:
                continue
            taken.add(face.photo_id)
            db.execute("UPDATE faces SET person_id = ?, assigned_by = 'cluster' WHERE id = ?", (person_id, face.id))
            linked.append(face.id)
        db.execute("UPDATE face_clusters SET shown = 1 WHERE id = ?", (cluster_id,))
        changes = ((f"created {name!r}",) if created else ()) + (
            (f"cluster {cluster_id} named {name!r}: {len(linked)} face(s) linked",) if linked else ())
        if changes:
            _republish(db, source, f"cluster {cluster_id} named")
        return PeopleWrite(changes, tuple(linked), person_id=person_id, cluster_id=cluster_id, created=created)


def set_cluster_ignored(db: Any, cluster_id: int, ignored: bool, source: str) -> PeopleWrite:
    """Ignore an unknown cluster (hidden from "who is this?"; re-clustering keeps it so) or restore it."""
    with transaction(db):
        before = get_cluster(db, cluster_id)
        if before.ignored == ignored:
            return PeopleWrite((), cluster_id=cluster_id)
        db.execute("UPDATE face_clusters SET ignored = ?, shown = 1 WHERE id = ?", (int(ignored), cluster_id))
        _republish(db, source, f"cluster {cluster_id} {'ignored' if ignored else 'restored'}")
        return PeopleWrite((f"cluster {cluster_id} {'ignored' if ignored else 'restored'}",), cluster_id=cluster_id)


def mark_clusters_shown(db: Any, cluster_ids: Iterable[int]) -> int:
    """Record that a page or a command showed these clusters: their ids survive every re-clustering."""
    with transaction(db):
        return db.execute("UPDATE face_clusters SET shown = 1 WHERE shown = 0 AND id IN"
                          " (SELECT value FROM json_each(?))", (json.dumps(sorted(set(cluster_ids))),)).rowcount


def add_references(db: Any, person_id: int, paths: Iterable[str]) -> int:
    """Remember reference photos or folders of a person (references.yml); returns how many were new."""
    with transaction(db):
        get_person(db, person_id)
        return sum(db.execute("INSERT OR IGNORE INTO person_references (person_id, path) VALUES (?, ?)",
                              (person_id, path)).rowcount for path in paths)


def link_references(db: Any, person_id: int, photo_ids: Iterable[int], largest_in: Iterable[int] = (),
                    source: str = "cli") -> PeopleWrite:
    """Reference photos of a person: a photo's only face is theirs (assigned_by 'reference'); in the
    photos of `largest_in` (named one by one) the largest face is. A face a person linked to someone
    else, or said is not this person, is left alone."""
    largest = set(largest_in)
    with transaction(db):
        get_person(db, person_id)
        linked = []
        for photo_id in sorted(set(photo_ids)):
            faces = db.execute(
                "SELECT id, photo_id, person_id, assigned_by, cluster_id FROM faces WHERE photo_id = ?"
                " ORDER BY size_px DESC, id", (photo_id,)).fetchall()
            if not faces or (len(faces) > 1 and photo_id not in largest):
                continue
            face = FaceLink(*faces[0])
            decided_elsewhere = face.assigned_by == "user" or (
                face.person_id not in (None, person_id) and face.assigned_by in DECIDED)
            rejected = db.execute("SELECT 1 FROM face_rejections WHERE face_id = ? AND person_id = ?",
                                  (face.id, person_id)).fetchone()
            if decided_elsewhere or rejected or face.assigned_by == "reference":
                continue
            if _link(db, face, person_id, "reference"):
                linked.append(face.id)
        if linked:
            _republish(db, source, f"{len(linked)} reference face(s) for person {person_id}")
        return PeopleWrite((f"{len(linked)} reference face(s) linked",) if linked else (), tuple(linked),
                           person_id=person_id)
