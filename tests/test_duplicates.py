"""Duplicate detection end to end: the corpus's duplicate groups, make_library's ground truth, the CLI,
"reject the others" and the export, through `gallery index` and `gallery duplicates` as a user runs them."""
from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest

from gallery_builder.db.connection import connect
from tests.conftest import REPO, make_library, run_gallery

CORPUS_FOLDERS = ("neardup", "derived", "exif/gps", "exif/orientation", "exif/robustness", "faces/train/obama",
                  "burst")
# Left out of the expected groups, and why (pHash alone cannot, or should not, group them):
OUT_OF_REACH = {
    "neardup/obama/obama_partial_face.jpg": "a crop of half the picture",
    "neardup/obama/obama_partial_face2.jpg": "a crop of half the picture",
    "derived/resized/DSCN0012_crop80.jpg": "a crop (pHash is not crop-tolerant; CLIP may be)",
    "neardup/hdr/canon_hdr_YES.jpg": "HDR on/off shot 26 s apart: two shots (a bracket), not copies",
}

def groups_of(home: Path) -> dict[int, dict[str, dict]]:
    """group id -> {path: duplicates.parquet row} from the export."""
    import pyarrow.parquet as pq

    paths = {row["id"]: row["path"] for row in pq.read_table(home / "parquet" / "photos.parquet").to_pylist()}
    groups: dict[int, dict[str, dict]] = {}
    for row in pq.read_table(home / "parquet" / "duplicates.parquet").to_pylist():
        groups.setdefault(row["group_id"], {})[paths[row["photo_id"]]] = row
    return groups


def group_of(groups: dict[int, dict[str, dict]]) -> dict[str, int]:
    return {path: group_id for group_id, members in groups.items() for path in members}


@pytest.fixture(scope="module")
def corpus_home(corpus, tmp_path_factory) -> Path:
    """Part of the corpus indexed once by `gallery index` (whose analysis stage finds duplicates)."""
    base = tmp_path_factory.mktemp("dups")
    for folder in CORPUS_FOLDERS:
        shutil.copytree(corpus / folder, base / "corpus" / folder)
    run_gallery("index", str(base / "corpus"), "--home", str(base / "home"))
    return base / "home"


def test_index_finds_the_corpus_duplicate_groups(corpus_home, manifest):
    found = group_of(groups_of(corpus_home))
    checked = 0
    for name, group in manifest["groups"]["near_duplicates"].items():
        members = [path for path in group["members"] if path not in OUT_OF_REACH
                   and (corpus_home.parent / "corpus" / path).exists()]
        if len(members) < 2:
            continue
        assert {found.get(path) for path in members} == {found[members[0]]}, (name, members)
        checked += 1
    assert checked >= 7
    exact = groups_of(corpus_home)[found["neardup/obama/obama.jpg"]]
    assert {row["kind"] for row in exact.values()} == {"exact"}  # byte-identical copies


def test_distinct_photos_never_group(corpus_home, manifest):
    found = group_of(groups_of(corpus_home))
    walk = manifest["groups"]["not_bursts"]["arezzo_walk"]["members"]
    assert len({found.get(path, path) for path in walk}) == len(walk)  # different scenes
    for name in ("DSCN0025_made", "Issue_247"):  # burst frames: distinct shots, stack material
        frames = manifest["groups"]["bursts"][name]["members"]
        assert not set(frames) & set(found), name
    assert "derived/resized/DSCN0012_mirrored.jpg" not in found
    for path in ("exif/gps/exiftool_Apple.jpg", "exif/gps/exiftool_Google.jpg"):  # flat 8x8 pictures
        assert path not in found


def test_keeper_is_the_largest_original_then_the_earliest(corpus_home):
    import pyarrow.parquet as pq

    photos = {row["id"]: row for row in pq.read_table(corpus_home / "parquet" / "photos.parquet").to_pylist()}
    for members in groups_of(corpus_home).values():
        keepers = [row for row in members.values() if row["is_keeper"]]
        assert len(keepers) == 1
        best = max(members.values(), key=lambda row: (photos[row["photo_id"]]["width"] * photos[row["photo_id"]]["height"],
                                                     photos[row["photo_id"]]["size"]))
        keeper = photos[keepers[0]["photo_id"]]
        assert keeper["width"] * keeper["height"] == photos[best["photo_id"]]["width"] * photos[best["photo_id"]]["height"]
    resized = groups_of(corpus_home)[group_of(groups_of(corpus_home))["neardup/obama/obama-240p.jpg"]]
    assert resized["neardup/obama/obama-1080p.jpg"]["is_keeper"]


def test_duplicates_parquet_matches_the_doc_and_is_the_only_duplicate_file(corpus_home):
    import pyarrow.parquet as pq

    text = (REPO / "docs" / "parquet.md").read_text()
    line = next(line for line in text.splitlines() if line.startswith("- `duplicates.parquet`"))
    assert line
    schema = pq.read_schema(corpus_home / "parquet" / "duplicates.parquet")
    assert schema.names == ["group_id", "photo_id", "kind", "is_keeper"]
    for name in schema.names:
        assert f"`{name}`" in text
    exported = [path.name for path in (corpus_home / "parquet").iterdir()]
    assert [name for name in exported if name.startswith("duplicate")] == ["duplicates.parquet"]


def test_reject_the_others_flags_copies_and_a_rerun_keeps_flags_and_ids(corpus_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(corpus_home, home)
    before = groups_of(corpus_home)
    group_id = group_of(before)["neardup/obama/obama-240p.jpg"]
    result = run_gallery("duplicates", "--reject-others", str(group_id), "--home", str(home))
    assert "3 photo(s) flagged reject" in result.stdout
    assert "1920x1080" in result.stdout and "neardup/obama" in result.stdout
    db = connect(home / "gallery.db")
    flags = dict(db.execute("SELECT photo_id, flag FROM photo_decisions").fetchall())
    members = before[group_id]
    assert flags == {row["photo_id"]: "reject" for row in members.values() if not row["is_keeper"]}
    assert db.execute("SELECT COUNT(*) FROM decision_log WHERE source = 'cli duplicates'").fetchone()[0] == 3
    db.close()
    again = run_gallery("duplicates", "--home", str(home))  # re-detection, whole library
    assert again.returncode == 0 and "[reject]" in again.stdout
    run_gallery("index", "--home", str(home))               # and the index run's analysis stage
    db = connect(home / "gallery.db")
    assert dict(db.execute("SELECT photo_id, flag FROM photo_decisions").fetchall()) == flags
    db.close()
    run_gallery("export", "--home", str(home))
    assert groups_of(home) == before  # same groups, same ids
    unknown = run_gallery("duplicates", "--reject-others", "999999", "--home", str(home), check=False)
    assert unknown.returncode == 2 and "no duplicate group 999999" in unknown.stderr


def test_no_duplicates_exits_zero(tmp_path, corpus):
    shutil.copytree(corpus / "exif" / "gps", tmp_path / "photos")
    for path in (tmp_path / "photos").glob("exiftool_*"):
        path.unlink()
    run_gallery("index", str(tmp_path / "photos"), "--home", str(tmp_path / "home"))
    result = run_gallery("duplicates", "--home", str(tmp_path / "home"))
    assert "no duplicates found" in result.stdout


def test_a_new_folder_joins_existing_groups_incrementally(corpus, tmp_path):
    photos = tmp_path / "photos"
    shutil.copytree(corpus / "neardup" / "obama", photos / "a")
    run_gallery("index", str(photos), "--home", str(tmp_path / "home"))
    before = groups_of(tmp_path / "home")
    group_id = group_of(before)["a/obama-240p.jpg"]
    (photos / "b").mkdir()
    shutil.copy(corpus / "neardup" / "obama" / "obama-480p.jpg", photos / "b" / "copy.jpg")
    shutil.copy(corpus / "exif" / "gps" / "DSCN0021.jpg", photos / "b" / "other.jpg")
    run_gallery("index", "--home", str(tmp_path / "home"), "--no-colors", "--no-geocode")
    result = run_gallery("duplicates", "--folder", str(photos / "b"), "--home", str(tmp_path / "home"))
    assert "1 group(s) (re)written in scope" in result.stdout or "0 group(s) (re)written in scope" in result.stdout
    after = group_of(groups_of(tmp_path / "home"))
    assert after["b/copy.jpg"] == group_id and "b/other.jpg" not in after
    assert {path for path, found in after.items() if found == group_id} == \
        {path for path, found in group_of(before).items() if found == group_id} | {"b/copy.jpg"}


def test_make_library_ground_truth(tmp_path):
    library = tmp_path / "lib"
    truth = make_library(library, 120, "--dup-share", "0.06", "--resized-share", "0.06", "--burst-share", "0.1")
    run_gallery("index", str(library), "--home", str(tmp_path / "home"), "--no-colors", "--no-geocode")
    found = group_of(groups_of(tmp_path / "home"))
    expected = set()
    for copy in truth["exact_duplicates"] + truth["resized_copies"]:
        original = copy["original"] if isinstance(copy["original"], str) else copy["original"]["path"]
        expected.add(frozenset((original, copy["copy"])))
    predicted = {frozenset(pair) for pair in itertools.combinations(sorted(found), 2)
                 if found[pair[0]] == found[pair[1]]}
    assert len(expected) >= 8
    assert expected <= predicted  # recall 1.0
    assert predicted <= expected  # precision 1.0: burst frames (distinct shots) never group
