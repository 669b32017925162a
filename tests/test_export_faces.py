"""faces.parquet, people.parquet and face_clusters.parquet from `gallery export`: documented
columns, boxes as structs, covers and counts, and a DuckDB-style "who is in which photo" join read
back with pyarrow."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_gallery
from tests.face_rows import add_cluster, add_face, add_person, face_db


@pytest.fixture
def exported(tmp_path: Path) -> dict:
    db = face_db(tmp_path / "gallery.db", [1, 2, 3])
    ana, ben = add_person(db, "Ana"), add_person(db, "Ben", hidden=True)
    cluster = add_cluster(db)
    ids = {"ana_1": add_face(db, 1, (0.1, 0.2, 0.3, 0.4), person_id=ana, score=0.7),
           "ana_2": add_face(db, 2, person_id=ana, score=0.95),
           "ben_2": add_face(db, 2, (0.6, 0.1, 0.2, 0.2), person_id=ben, backend="buffalo_l"),
           "unknown": add_face(db, 3, cluster_id=cluster)}
    db.close()
    run_gallery("export", "--home", str(tmp_path))
    return {"parquet": tmp_path / "parquet", "ana": ana, "ben": ben, "cluster": cluster, **ids}


def test_faces_parquet_has_the_documented_columns_and_boxes(exported):
    import pyarrow.parquet as pq

    table = pq.read_table(exported["parquet"] / "faces.parquet")
    assert table.column_names[:7] == ["face_id", "photo_id", "person_id", "cluster_id", "box", "score", "backend"]
    rows = {row["face_id"]: row for row in table.to_pylist()}
    first = rows[exported["ana_1"]]
    assert (first["photo_id"], first["person_id"], first["cluster_id"]) == (1, exported["ana"], None)
    assert first["box"] == {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4} and first["score"] == 0.7
    assert rows[exported["ben_2"]]["backend"] == "buffalo_l"
    assert rows[exported["unknown"]]["cluster_id"] == exported["cluster"]
    assert rows[exported["unknown"]]["person_id"] is None


def test_people_parquet_counts_faces_and_picks_the_best_face_as_cover(exported):
    import pyarrow.parquet as pq

    people = {row["name"]: row for row in pq.read_table(exported["parquet"] / "people.parquet").to_pylist()}
    assert list(pq.read_schema(exported["parquet"] / "people.parquet").names)[:5] == [
        "person_id", "name", "hidden", "face_count", "photo_count"]
    assert people["Ana"] == {"person_id": exported["ana"], "name": "Ana", "hidden": False, "face_count": 2,
                             "photo_count": 2, "cover_face_id": exported["ana_2"]}
    assert people["Ben"]["hidden"] is True and people["Ben"]["face_count"] == 1
    clusters = pq.read_table(exported["parquet"] / "face_clusters.parquet").to_pylist()
    assert clusters == [{"cluster_id": exported["cluster"], "ignored": False, "face_count": 1}]


def test_who_is_in_which_photo_joins_like_the_documented_query(exported):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    faces = pq.read_table(exported["parquet"] / "faces.parquet", columns=["face_id", "photo_id", "person_id"])
    people = pq.read_table(exported["parquet"] / "people.parquet")
    joined = faces.join(people, "person_id", join_type="inner")
    shown = joined.filter(pc.invert(joined.column("hidden")))
    assert sorted(zip(shown.column("photo_id").to_pylist(), shown.column("name").to_pylist())) == [
        (1, "Ana"), (2, "Ana")]


def test_the_export_marks_the_clusters_the_site_shows(tmp_path):
    """A cluster that gets a page (3 unclaimed faces, not ignored) is marked shown at export, so a
    later re-clustering keeps its id; a small or ignored one is not."""
    from gallery_builder.db.connection import connect

    db = face_db(tmp_path / "gallery.db", [1, 2, 3, 4])
    paged, small, ignored = add_cluster(db), add_cluster(db), add_cluster(db, ignored=True)
    for photo in (1, 2, 3):
        add_face(db, photo, cluster_id=paged)
        add_face(db, photo, (0.7, 0.1, 0.1, 0.1), cluster_id=ignored)
    add_face(db, 4, cluster_id=small)
    db.close()
    run_gallery("export", "--home", str(tmp_path))
    db = connect(tmp_path / "gallery.db", readonly=True)
    shown = {row[0]: row[1] for row in db.execute("SELECT id, shown FROM face_clusters")}
    db.close()
    assert shown == {paged: 1, small: 0, ignored: 0}
