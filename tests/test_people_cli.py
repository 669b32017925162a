"""`gallery people ...` and `gallery faces ...` as a user runs them (subprocesses) over planted faces."""
from __future__ import annotations

import json

import pytest

from gallery_builder.cli.faces_cmd import faces_command
from gallery_builder.cli.people_cmd import people_command
from tests.conftest import run_gallery
from tests.face_library import cluster_of, face_library, person_of


def gallery(home, *args: str, check: bool = True):
    return run_gallery(*args, "--home", str(home), check=check)


@pytest.fixture
def library(tmp_path):
    library = face_library(tmp_path)
    yield library
    library.db.close()


def test_every_command_has_help_with_an_example():
    for group in (people_command, faces_command):
        for name, command in group.commands.items():
            assert "Example" in (command.help or ""), f"{group.name} {name}"


def test_references_then_matching_cluster_name_ignore_reject(library, tmp_path):
    _, [ana_ref] = library.add_photo(["ana"], folder="refs/ana")
    _, [bo_ref, _] = library.add_photo(["bo", "cy"], folder="refs")
    ana_faces = [library.add_photo(["ana"], folder="2024/a")[1][0] for _ in range(3)]
    cy_faces = [library.add_photo(["cy"], folder="2024/a")[1][0] for _ in range(4)]
    dee_faces = [library.add_photo(["dee"], folder="2024/a")[1][0] for _ in range(3)]
    assert "nothing to cluster" not in gallery(tmp_path, "faces", "cluster", "--dry-run").stdout
    assert all(cluster_of(library.db, face) is None for face in cy_faces)  # a dry run writes nothing
    (tmp_path / "references.yml").write_text("Ana: library/refs/ana\nBo:\n  - refs/img_00002.jpg\n")
    added = gallery(tmp_path, "people", "add", "--config", str(tmp_path / "references.yml")).stdout
    assert "created 'Ana'" in added and "created 'Bo'" in added and "3 face(s) matched" in added
    ana = person_of(library.db, ana_ref)[0]
    assert person_of(library.db, ana_ref) == (ana, "reference")
    assert person_of(library.db, bo_ref)[1] == "reference"  # the largest face of a photo named on its own
    assert all(person_of(library.db, face) == (ana, "match") for face in ana_faces)

    clustered = gallery(tmp_path, "faces", "cluster")
    assert clustered.returncode == 0 and "cluster(s)" in clustered.stdout
    cy_cluster, dee_cluster = cluster_of(library.db, cy_faces[0]), cluster_of(library.db, dee_faces[0])
    assert cy_cluster and dee_cluster and cy_cluster != dee_cluster
    listed = gallery(tmp_path, "faces", "clusters").stdout
    assert f"{cy_cluster:>6}" in listed
    assert library.db.execute("SELECT shown FROM face_clusters WHERE id = ?", (cy_cluster,)).fetchone()[0] == 1
    assert "named 'Cy'" in gallery(tmp_path, "faces", "name", str(cy_cluster), "Cy").stdout
    cy = person_of(library.db, cy_faces[0])[0]
    assert all(person_of(library.db, face) == (cy, "cluster") for face in cy_faces)
    gallery(tmp_path, "faces", "ignore", str(dee_cluster))
    assert "nothing to change" in gallery(tmp_path, "faces", "ignore", str(dee_cluster)).stdout
    gallery(tmp_path, "faces", "reject", str(cy_faces[0]), "--person", "cy")
    assert person_of(library.db, cy_faces[0]) == (None, None)
    gallery(tmp_path, "faces", "match", "--temporal")
    assert person_of(library.db, cy_faces[0]) == (None, None)
    assert gallery(tmp_path, "faces", "name", "999999", "X", check=False).returncode == 2

    exported = tmp_path / "people.json"
    gallery(tmp_path, "people", "export", str(exported))
    data = json.loads(exported.read_text())
    assert {person["name"] for person in data["people"]} == {"Ana", "Bo", "Cy"}
    library.db.execute("UPDATE faces SET person_id = NULL, assigned_by = NULL, cluster_id = NULL")
    library.db.execute("DELETE FROM face_rejections")
    library.db.execute("DELETE FROM face_clusters")
    imported = gallery(tmp_path, "people", "import", str(exported)).stdout
    assert "0 faces not found" in imported
    assert person_of(library.db, cy_faces[1]) == (cy, "cluster") and person_of(library.db, cy_faces[0]) == (None, None)
    assert library.db.execute("SELECT ignored FROM face_clusters c JOIN faces f ON f.cluster_id = c.id"
                              " WHERE f.id = ?", (dee_faces[0],)).fetchone()[0] == 1


def test_rename_merge_hide_split_and_list(library, tmp_path):
    faces = [library.add_photo(["ana"])[1][0] for _ in range(3)]
    gallery(tmp_path, "faces", "assign", str(faces[0]), "--person", "Ana")
    gallery(tmp_path, "faces", "assign", str(faces[1]), str(faces[2]), "--person", "Ana 2")
    assert "merge them instead" in gallery(tmp_path, "people", "rename", "Ana 2", "ana", check=False).stderr
    assert "merged 'Ana 2' into 'Ana'" in gallery(tmp_path, "people", "merge", "Ana", "Ana 2").stdout
    gallery(tmp_path, "people", "split", "Ana", str(faces[2]), "--to", "Bia")
    gallery(tmp_path, "people", "rename", "Bia", "Beatriz")
    gallery(tmp_path, "people", "hide", "Beatriz")
    listed = json.loads(gallery(tmp_path, "people", "list", "--json").stdout)
    assert {(p["name"], p["hidden"], p["face_count"]) for p in listed} == {("Ana", False, 2), ("Beatriz", True, 1)}
    gallery(tmp_path, "faces", "clear", str(faces[1]))
    assert person_of(library.db, faces[1]) == (None, "user")
    assert gallery(tmp_path, "people", "hide", "Nobody", check=False).returncode == 2


def test_cluster_exits_zero_with_no_faces_and_with_no_cluster(library, tmp_path):
    assert "nothing to cluster" in gallery(tmp_path, "faces", "cluster").stdout
    library.add_photo(["ana"])
    assert gallery(tmp_path, "faces", "cluster").stdout.startswith("0 cluster(s)")


def test_match_within_a_collection_leaves_other_photos_alone(library, tmp_path):
    from gallery_builder.db.collections import add_photos, create_collection

    _, anchor = library.add_photo(["ana"])
    inside_photo, [inside] = library.add_photo(["ana"])
    _, [outside] = library.add_photo(["ana"])
    gallery(tmp_path, "faces", "assign", str(anchor[0]), "--person", "Ana")
    album = create_collection(library.db, "Trip", "test").collection_id
    add_photos(library.db, album, [inside_photo], "test")
    assert "would link: 1 face(s) matched" in gallery(tmp_path, "faces", "match", "--collection", "trip", "--dry-run").stdout
    assert person_of(library.db, inside) == (None, None)
    gallery(tmp_path, "faces", "match", "--collection", "Trip")
    ana = person_of(library.db, anchor[0])[0]
    assert person_of(library.db, inside) == (ana, "match") and person_of(library.db, outside) == (None, None)
    assert gallery(tmp_path, "faces", "match", "--collection", "Nope", check=False).returncode == 1
