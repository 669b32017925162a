"""People as a person edits them (db/people.py): rename, hide, merge, split, clear; and the JSON
export that restores every decision into a database rebuilt from scratch."""
from __future__ import annotations

import json

import numpy as np
import pytest

from gallery_builder.analysis.faces_run import cluster_people, match_people
from gallery_builder.core.records import RunContext
from gallery_builder.db import people
from gallery_builder.db.people_exchange import export_assignments, import_assignments
from tests.face_library import cluster_of, face_library, person_of


@pytest.fixture
def library(tmp_path):
    library = face_library(tmp_path / "one")
    yield library
    library.db.close()


def test_rename_hide_and_a_taken_name_is_refused(library):
    ana = people.create_person(library.db, "  Ana   Lima ", "test")
    assert ana.created and people.get_person(library.db, ana.person_id).name == "Ana Lima"
    again = people.create_person(library.db, "ana lima", "test")
    assert again.person_id == ana.person_id and not again.created and again.changes == ()
    bo = people.create_person(library.db, "Bo", "test").person_id
    with pytest.raises(people.PeopleRefused, match="merge them instead") as refused:
        people.rename_person(library.db, bo, "ANA LIMA", "test")
    assert refused.value.conflict
    assert people.rename_person(library.db, bo, "Bob", "test").changes == ("renamed 'Bo' -> 'Bob'",)
    assert people.set_hidden(library.db, bo, True, "test").changes
    assert people.set_hidden(library.db, bo, True, "test").changes == ()
    assert [p.name for p in people.list_people(library.db, include_hidden=False)] == ["Ana Lima"]
    with pytest.raises(people.UnknownPerson):
        people.rename_person(library.db, 999, "X", "test")


def test_merge_moves_faces_and_rejections_and_keeps_one_face_per_photo(library):
    _, [a1] = library.add_photo(["ana"])
    _, [a2] = library.add_photo(["ana"])
    _, both = library.add_photo(["ana", "ana"])
    _, [stranger] = library.add_photo(["cy"])
    _, [not_ana] = library.add_photo(["cy"])
    ana = people.assign_faces_to_name(library.db, [a1, both[0]], "Ana", "test").person_id
    dup = people.assign_faces_to_name(library.db, [a2, both[1], not_ana], "Ana (phone)", "test").person_id
    people.reject_faces(library.db, [stranger], dup, "test")
    people.reject_faces(library.db, [not_ana], ana, "test")
    result = people.merge_people(library.db, ana, [dup], "test")
    assert result.face_ids == (a2,)
    assert person_of(library.db, not_ana) == (None, None)  # once said not to be Ana
    assert person_of(library.db, a2) == (ana, "user")
    assert person_of(library.db, both[1]) == (None, None)  # the photo already has Ana
    with pytest.raises(people.UnknownPerson):
        people.get_person(library.db, dup)
    rejected = {tuple(row) for row in library.db.execute("SELECT face_id, person_id FROM face_rejections")}
    assert (stranger, ana) in rejected and (both[1], ana) in rejected
    assert people.merge_people(library.db, ana, [ana], "test").changes == ()


def test_split_moves_chosen_faces_to_another_person_or_out(library):
    faces = [library.add_photo(["ana"])[1][0] for _ in range(3)]
    ana = people.assign_faces_to_name(library.db, faces, "Ana", "test").person_id
    moved = people.split_person(library.db, ana, [faces[0]], "Bia", "test")
    assert person_of(library.db, faces[0]) == (moved.person_id, "user") and moved.person_id != ana
    people.split_person(library.db, ana, [faces[1]], None, "test")
    assert person_of(library.db, faces[1]) == (None, None)
    assert library.db.execute("SELECT 1 FROM face_rejections WHERE face_id = ? AND person_id = ?",
                              (faces[1], ana)).fetchone()
    with pytest.raises(people.PeopleRefused, match="not person"):
        people.split_person(library.db, ana, [faces[0]], "Cy", "test")


def test_a_cleared_face_stays_unknown_to_matching(library, tmp_path):
    _, [anchor] = library.add_photo(["ana"])
    _, [face] = library.add_photo(["ana"])
    ana = people.assign_faces_to_name(library.db, [anchor, face], "Ana", "test").person_id
    people.clear_faces(library.db, [face], "test")
    match_people(library.db, RunContext.for_home(tmp_path))
    assert person_of(library.db, face) == (None, "user")
    assert people.clear_faces(library.db, [face], "test").changes == ()
    people.assign_faces(library.db, [face], ana, "test")
    assert person_of(library.db, face) == (ana, "user")


def _build(library, photos):
    """The same photos, faces and vectors into a library (photo order kept)."""
    ids = []
    for who, vectors in photos:
        ids += library.add_photo(who, vectors=vectors)[1]
    return ids


def test_export_then_a_rebuilt_database_imports_every_decision(library, tmp_path):
    context = RunContext.for_home(tmp_path)
    photos = [(["ana"], None)] * 4 + [(["bo"], None)] * 4 + [(["cy"], None)] * 3 + [(["ana", "cy"], None)]
    faces = _build(library, photos)
    photos = [(who, [library.db.execute("SELECT embedding FROM faces WHERE id = ?", (face,)).fetchone()[0]
                     for face in faces_of]) for (who, _), faces_of in zip(photos, _group(faces, photos))]
    cluster_people(library.db, context)
    ana = people.name_cluster(library.db, cluster_of(library.db, faces[0]), "Ana", "test").person_id
    people.set_cluster_ignored(library.db, cluster_of(library.db, faces[4]), True, "test")
    people.reject_faces(library.db, [faces[1]], ana, "test")
    people.clear_faces(library.db, [faces[8]], "test")
    people.set_hidden(library.db, people.create_person(library.db, "Ghost", "test").person_id, True, "test")
    people.add_references(library.db, ana, ["library/2024/a"])
    exported = json.loads(json.dumps(export_assignments(library.db)))
    before = _state(library.db)
    assert len(before["ignored"]) == 4 and before["rejections"] and len(before["links"]) >= 5

    rebuilt = face_library(tmp_path / "two", seed=99)  # a new database: other face ids, same photos
    for who, blobs in photos:
        rebuilt.add_photo(who, vectors=[np.frombuffer(blob, dtype="<f4") for blob in blobs])
    counts = import_assignments(rebuilt.db, exported, "test")
    assert counts["faces not found"] == 0 and counts["people created"] == 2 and counts["clusters restored"] == 2
    assert _state(rebuilt.db) == before
    cluster_people(rebuilt.db, context, full=True)  # clustering the rebuilt library keeps the ignore
    assert _state(rebuilt.db)["ignored"] == before["ignored"]
    rebuilt.db.close()


def _group(faces, photos):
    groups, at = [], 0
    for who, _ in photos:
        groups.append(faces[at:at + len(who)])
        at += len(who)
    return groups


def _rows(cursor) -> list[tuple]:
    return sorted((tuple(row) for row in cursor), key=repr)


def _state(db) -> dict:
    """Decisions keyed by photo path and box, so two databases compare."""
    key = "p.path || ':' || f.x"
    return {
        "links": _rows(db.execute(f"SELECT {key}, q.name, f.assigned_by FROM faces f JOIN photos p ON p.id = f.photo_id"
                                   " LEFT JOIN people q ON q.id = f.person_id WHERE f.assigned_by IS NOT NULL")),
        "rejections": _rows(db.execute(f"SELECT {key}, q.name FROM face_rejections j JOIN faces f ON f.id = j.face_id"
                                        " JOIN photos p ON p.id = f.photo_id JOIN people q ON q.id = j.person_id")),
        "people": _rows(db.execute("SELECT name, hidden FROM people")),
        "references": _rows(db.execute("SELECT path FROM person_references")),
        "ignored": _rows(db.execute(f"SELECT {key} FROM faces f JOIN photos p ON p.id = f.photo_id JOIN face_clusters c"
                                     " ON c.id = f.cluster_id WHERE c.ignored = 1")),
    }
