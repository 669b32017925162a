"""Face matching and clustering over planted identities (faces rows written directly): the rules that
must hold (nearest person, sessions, one person per photo, "not this person") and stable cluster ids."""
from __future__ import annotations

import numpy as np
import pytest

from gallery_builder.analysis import ANALYSES
from gallery_builder.analysis.faces_cluster import ClusterRules, cluster_faces
from gallery_builder.analysis.faces_run import FaceAnalysis, cluster_people, match_people, thresholds_for
from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db import people
from tests.face_library import cluster_of, face_library, person_of


@pytest.fixture
def library(tmp_path):
    library = face_library(tmp_path)
    yield library
    library.db.close()


@pytest.fixture
def context(tmp_path):
    return RunContext.for_home(tmp_path)


def named(db, name: str, face_ids: list[int]) -> int:
    person_id = people.create_person(db, name, "test").person_id
    people.assign_faces(db, face_ids, person_id, "test")
    return person_id


def test_unlinked_faces_go_to_the_nearest_person_within_the_distance(library, context):
    _, ana = library.add_photo(["ana"])
    _, bo = library.add_photo(["bo"])
    ana_id, bo_id = named(library.db, "Ana", ana), named(library.db, "Bo", bo)
    _, later = library.add_photo(["ana", "bo", "stranger"])
    report = match_people(library.db, context, temporal=False)
    assert report.matched == 2
    assert person_of(library.db, later[0]) == (ana_id, "match")
    assert person_of(library.db, later[1]) == (bo_id, "match")
    assert person_of(library.db, later[2]) == (None, None)


def test_two_faces_of_one_photo_are_never_one_person(library, context):
    _, ana = library.add_photo(["ana"])
    ana_id = named(library.db, "Ana", ana)
    twin = library.face_vector("ana")
    nearer = (library.identity("ana") + 0.001 * library.rng.normal(size=128)).astype(np.float32)
    _, pair = library.add_photo(["ana", "ana"], vectors=[twin, nearer / np.linalg.norm(nearer)])
    match_people(library.db, context)
    linked = [face for face in pair if person_of(library.db, face)[0] == ana_id]
    assert linked == [pair[1]]  # the nearer one; the other stays unknown
    people.assign_faces(library.db, [pair[0]], ana_id, "test")  # a person's word beats the proposal
    assert person_of(library.db, pair[0]) == (ana_id, "user") and person_of(library.db, pair[1]) == (None, None)
    with pytest.raises(people.PeopleRefused, match="two faces of one photo"):
        people.assign_faces(library.db, [pair[1]], ana_id, "test")
    assert person_of(library.db, pair[1]) == (None, None)


def test_a_rejected_face_is_never_linked_to_that_person_again(library, context):
    _, ana = library.add_photo(["ana"])
    ana_id = named(library.db, "Ana", ana)
    _, [face] = library.add_photo(["ana"])
    match_people(library.db, context)
    assert person_of(library.db, face) == (ana_id, "match")
    people.reject_faces(library.db, [face], ana_id, "test")
    assert person_of(library.db, face) == (None, None)
    for temporal in (False, True):
        match_people(library.db, context, temporal=temporal)
        assert person_of(library.db, face) == (None, None)
    cluster_people(library.db, context)
    cluster = cluster_of(library.db, face)
    if cluster is not None:
        people.name_cluster(library.db, cluster, "Ana", "test")
    assert person_of(library.db, face) == (None, None)


def test_temporal_matching_uses_the_looser_distance_only_within_the_session(library, context):
    _, ana = library.add_photo(["ana"], taken_at="2024-05-01T10:00:00")
    ana_id = named(library.db, "Ana", ana)
    anchor = np.frombuffer(library.db.execute("SELECT embedding FROM faces WHERE id = ?", ana).fetchone()[0],
                           dtype="<f4").astype(np.float64)
    aside = library.rng.normal(size=128)
    aside -= aside @ anchor * anchor
    aside /= np.linalg.norm(aside)
    limits = thresholds_for("dlib")
    wanted = (limits.match_distance + limits.temporal_distance) / 2  # beyond the match distance, within the session's
    cosine = 1 - wanted ** 2 / 2
    hard = (cosine * anchor + np.sqrt(1 - cosine ** 2) * aside).astype(np.float32)
    distance = float(np.linalg.norm(hard - anchor))
    assert limits.match_distance < distance < limits.temporal_distance, distance
    _, [near_in_time] = library.add_photo(["ana"], taken_at="2024-05-01T10:20:00", vectors=[hard])
    _, [far_in_time] = library.add_photo(["ana"], taken_at="2024-05-03T10:00:00", vectors=[hard])
    assert match_people(library.db, context, temporal=False).matched == 0
    report = match_people(library.db, context, temporal=True)
    assert report.temporal == 1
    assert person_of(library.db, near_in_time) == (ana_id, "temporal")
    assert person_of(library.db, far_in_time) == (None, None)


def test_clusters_form_from_cores_and_small_groups_stay_other_faces(library, context):
    faces = {name: [library.add_photo([name])[1][0] for _ in range(count)]
             for name, count in (("ana", 6), ("bo", 4), ("cy", 2))}
    cluster_people(library.db, context)
    ana = {cluster_of(library.db, face) for face in faces["ana"]}
    bo = {cluster_of(library.db, face) for face in faces["bo"]}
    assert len(ana) == 1 and len(bo) == 1 and None not in ana | bo and ana != bo
    assert {cluster_of(library.db, face) for face in faces["cy"]} == {None}  # 2 < min_faces


def test_stable_ids_names_and_ignores_survive_new_photos_and_reclustering(library, context):
    faces = {name: [library.add_photo([name], folder="2024/a")[1][0] for _ in range(5)]
             for name in ("ana", "bo", "cy")}
    cluster_people(library.db, context)
    first = {name: cluster_of(library.db, ids[0]) for name, ids in faces.items()}
    ana_id = people.name_cluster(library.db, first["ana"], "Ana", "test").person_id
    people.set_cluster_ignored(library.db, first["bo"], True, "test")
    people.mark_clusters_shown(library.db, [first["cy"]])
    # new photos: more of each, and a newcomer; the index's analysis stage handles the new folder
    new = {name: [library.add_photo([name], folder="2024/b")[1][0] for _ in range(4)]
           for name in ("ana", "bo", "cy", "dee")}
    line = FaceAnalysis().run(library.db, Scope(folder="2024/b"), context)
    assert "matched" in line, line
    assert FaceAnalysis().run(library.db, Scope(folder="2024/b"), context) == "nothing changed"
    for name in ("ana", "bo", "cy"):
        assert {cluster_of(library.db, face) for face in faces[name] + new[name]} == {first[name]}, name
    assert all(person_of(library.db, face) == (ana_id, "match") for face in new["ana"])
    dee = {cluster_of(library.db, face) for face in new["dee"]}
    assert len(dee) == 1 and dee.isdisjoint(first.values()) and None not in dee
    cluster_people(library.db, context, full=True)  # a full re-clustering keeps them all
    for name in ("ana", "bo", "cy"):
        assert {cluster_of(library.db, face) for face in faces[name] + new[name]} == {first[name]}, name
    assert {cluster_of(library.db, face) for face in new["dee"]} == dee
    assert people.get_cluster(library.db, first["bo"]).ignored
    assert people.get_person(library.db, ana_id).name == "Ana"


def test_bridged_clusters_keep_the_shown_id_and_two_shown_clusters_never_merge(library, context):
    rules = ClusterRules(distance=0.5, min_faces=3)
    rng = np.random.default_rng(3)
    start = rng.normal(size=128)
    start /= np.linalg.norm(start)
    step = rng.normal(size=128)
    step -= step @ start * start
    step /= np.linalg.norm(step)
    line = np.array([start + step * 0.1 * index for index in range(12)], dtype=np.float32)
    line /= np.linalg.norm(line, axis=1, keepdims=True)  # a chain: neighbours ~0.1 apart
    current = [7] * 4 + [None] * 4 + [9] * 4
    merged = cluster_faces(line, current, {9}, rules).labels
    assert set(merged.values()) == {9}  # the unshown 7 joins the shown 9 through the bridge
    kept = cluster_faces(line, current, {7, 9}, rules).labels
    assert all(row in range(4, 8) for row in kept) and set(kept.values()) <= {7, 9}


def test_references_named_before_detection_link_the_faces_found_later(library, context):
    ana = people.create_person(library.db, "Ana", "test").person_id
    people.add_references(library.db, ana, ["library/refs/ana", "refs/group.jpg"])
    _, [solo] = library.add_photo(["ana"], folder="refs/ana")
    _, [first, second] = library.add_photo(["ana", "bo"], folder="refs/ana")  # a folder's group photo: skipped
    _, [later] = library.add_photo(["ana"], folder="2024/c")
    line = FaceAnalysis().run(library.db, Scope(), context)
    assert "1 reference face(s) linked" in line, line
    assert person_of(library.db, solo) == (ana, "reference")
    assert person_of(library.db, second) == (None, None)
    assert person_of(library.db, first) == (ana, "match") and person_of(library.db, later) == (ana, "match")


def test_faces_join_the_analysis_registry():
    assert any(isinstance(analysis, FaceAnalysis) for analysis in ANALYSES)
