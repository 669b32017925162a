"""Stacks end to end: the corpus's bursts and walk, make_library's ground truth, incremental runs,
a person's edits surviving re-detection, and the export (photos.stack_id/stack_top, stacks.parquet)."""
from __future__ import annotations

import shutil
from itertools import combinations
from pathlib import Path

import pytest

from tests.conftest import make_library, run_gallery

CORPUS_FOLDERS = ("burst", "exif/gps", "derived/burst_DSCN0025", "derived/resized", "neardup/hdr")


def photo_rows(home: Path) -> dict[str, dict]:
    import pyarrow.parquet as pq

    return {row["path"]: row for row in pq.read_table(home / "parquet" / "photos.parquet").to_pylist()}


def stack_rows(home: Path) -> dict[int, dict]:
    import pyarrow.parquet as pq

    return {row["stack_id"]: row for row in pq.read_table(home / "parquet" / "stacks.parquet").to_pylist()}


def stack_of(rows: dict[str, dict], paths) -> set:
    return {rows[path]["stack_id"] for path in paths}


@pytest.fixture(scope="module")
def corpus_library(corpus, tmp_path_factory):
    library = tmp_path_factory.mktemp("stacks") / "lib"
    for folder in CORPUS_FOLDERS:
        shutil.copytree(corpus / folder, library / folder)
    return library


def test_corpus_bursts_stack_and_the_walk_does_not(corpus_library, manifest, tmp_path):
    held_back = corpus_library.parent / "Issue 247-4.nef"
    shutil.move(corpus_library / "burst" / "Issue 247-4.nef", held_back)
    home = tmp_path / "home"
    try:
        run_gallery("index", str(corpus_library), "--home", str(home))
        first = photo_rows(home)
        three = [f"burst/Issue 247-{n}.nef" for n in (1, 2, 3)]
        (stack_id,) = stack_of(first, three)
        assert stack_id is not None
        # a frame added later is stacked by the next index run (incremental), keeping the stack's id
        shutil.move(held_back, corpus_library / "burst" / "Issue 247-4.nef")
        run_gallery("index", str(corpus_library), "--home", str(home))
    finally:
        if held_back.exists():
            shutil.move(held_back, corpus_library / "burst" / "Issue 247-4.nef")
    rows = photo_rows(home)
    bursts = manifest["groups"]["bursts"]
    for name in ("Issue_247", "DSCN0025_made", "canon_hdr_pair"):
        ids = stack_of(rows, bursts[name]["members"])
        assert len(ids) == 1 and None not in ids, (name, ids)
    assert stack_of(rows, bursts["Issue_247"]["members"]) == {stack_id}
    walk = manifest["groups"]["not_bursts"]["arezzo_walk"]["members"]
    for a, b in combinations(walk, 2):
        assert rows[a]["stack_id"] is None or rows[a]["stack_id"] != rows[b]["stack_id"], (a, b)
    assert rows["exif/gps/DSCN0027.jpg"]["stack_id"] is None  # 40 s after DSCN0025, another scene
    stacks = stack_rows(home)
    assert len(stacks) == 3
    for stack in stacks.values():
        members = [row for row in rows.values() if row["stack_id"] == stack["stack_id"]]
        assert stack["size"] == len(members)
        assert [row["id"] for row in members if row["stack_top"]] == [stack["top_photo_id"]]
        assert stack["first_taken_at"] == min(row["taken_at"] for row in members)
    assert stacks[stack_id]["kind"] == "sequence"  # 19 s gaps: a tripod sequence, not a burst
    assert {stacks[row["stack_id"]]["kind"] for path, row in rows.items() if "burst_DSCN0025" in path} == {"burst"}
    assert not any(row["stack_top"] for row in rows.values() if row["stack_id"] is None)


def test_a_persons_edits_survive_re_detection(corpus_library, manifest, tmp_path):
    home = tmp_path / "home"
    run_gallery("index", str(corpus_library), "--home", str(home))
    rows = photo_rows(home)
    ids = {path: row["id"] for path, row in rows.items()}
    issue = [ids[path] for path in manifest["groups"]["bursts"]["Issue_247"]["members"]]
    dscn = [ids[path] for path in manifest["groups"]["bursts"]["DSCN0025_made"]["members"]]
    hdr = [ids[path] for path in manifest["groups"]["bursts"]["canon_hdr_pair"]["members"]]
    walk_photo = ids["exif/gps/DSCN0010.jpg"]
    issue_stack = rows["burst/Issue 247-1.nef"]["stack_id"]
    hdr_stack = rows["neardup/hdr/canon_hdr_NO.jpg"]["stack_id"]
    assert issue_stack is not None and hdr_stack is not None

    run_gallery("stack", "top", str(issue[3]), "--home", str(home))
    run_gallery("stack", "remove", str(dscn[2]), "--home", str(home))
    run_gallery("stack", "split", str(hdr_stack), "--home", str(home))
    run_gallery("stack", "add", str(walk_photo), str(issue_stack), "--home", str(home))

    def check(home: Path) -> None:
        rows = photo_rows(home)
        by_id = {row["id"]: row for row in rows.values()}
        assert len({by_id[photo]["stack_id"] for photo in issue + [walk_photo]}) == 1
        assert by_id[issue[3]]["stack_top"] and by_id[issue[3]]["stack_id"] is not None
        assert by_id[dscn[2]]["stack_id"] is None
        assert len({by_id[photo]["stack_id"] for photo in dscn if photo != dscn[2]}) == 1
        assert all(by_id[photo]["stack_id"] is None for photo in hdr)

    run_gallery("export", "--home", str(home))
    check(home)
    result = run_gallery("stack", "--home", str(home))  # full re-detection
    assert "stack" in result.stdout
    run_gallery("index", str(corpus_library), "--home", str(home))  # and the index run's analysis
    check(home)
    # merge, after the others: one stack of the DSCN0025 burst and the Issue 247 sequence
    listed = photo_rows(home)
    dscn_stack = next(row["stack_id"] for row in listed.values() if row["id"] == dscn[0])
    run_gallery("stack", "merge", str(dscn_stack), str(issue_stack), "--home", str(home))
    run_gallery("stack", "--home", str(home))
    run_gallery("export", "--home", str(home))
    merged = {row["id"]: row["stack_id"] for row in photo_rows(home).values()}
    assert len({merged[photo] for photo in issue + [walk_photo] + [p for p in dscn if p != dscn[2]]}) == 1


def test_stack_command_dry_run_writes_nothing_and_exits_0_without_stacks(corpus, tmp_path):
    library = tmp_path / "lib"
    shutil.copytree(corpus / "exif" / "gps", library / "walk")
    home = tmp_path / "home"
    run_gallery("index", str(library), "--home", str(home))
    result = run_gallery("stack", "--folder", "walk", "--dry-run", "--home", str(home))
    assert "0 stack(s) would be stored" in result.stdout
    assert run_gallery("stack", "--home", str(home)).returncode == 0
    assert run_gallery("stack", "split", "999", "--home", str(home), check=False).returncode == 2


def test_make_library_bursts_precision_and_recall(tmp_path):
    truth = make_library(tmp_path / "lib", 240, "--burst-share", "0.2")
    home = tmp_path / "home"
    run_gallery("index", str(tmp_path / "lib"), "--home", str(home))
    rows = photo_rows(home)
    expected = {frozenset(pair) for burst in truth["bursts"] for pair in combinations(burst["members"], 2)}
    found_groups: dict[int, list[str]] = {}
    for path, row in rows.items():
        if row["stack_id"] is not None:
            found_groups.setdefault(row["stack_id"], []).append(path)
    found = {frozenset(pair) for members in found_groups.values() for pair in combinations(members, 2)}
    assert len(truth["bursts"]) >= 5 and expected
    precision = len(found & expected) / len(found)
    recall = len(found & expected) / len(expected)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)


def judge(home: Path, *, rating: dict[int, float] = {}, aesthetic: dict[int, float] = {}) -> None:
    """Write ranking ratings (5 comparisons each) and aesthetic scores as the rank and quality code would."""
    from gallery_builder.db.connection import connect

    db = connect(home / "gallery.db")
    try:
        db.executemany("INSERT OR REPLACE INTO photo_ratings (photo_id, rating, deviation, volatility, comparisons,"
                       " wins) VALUES (?, ?, 80.0, 0.06, 5, 4)", list(rating.items()))
        db.executemany("INSERT OR REPLACE INTO photo_quality (photo_id, model, content_hash, score, updated_at)"
                       " SELECT id, 'test@1', content_hash, ?, '2026-01-01T00:00:00' FROM photos WHERE id = ?",
                       [(score, photo_id) for photo_id, score in aesthetic.items()])
    finally:
        db.close()


def test_a_stacks_top_follows_a_rating_then_an_aesthetic_score(corpus_library, manifest, tmp_path):
    home = tmp_path / "home"
    run_gallery("index", str(corpus_library), "--home", str(home))
    rows = photo_rows(home)
    bursts = manifest["groups"]["bursts"]
    issue = [rows[path] for path in bursts["Issue_247"]["members"]]
    dscn = [rows[path] for path in bursts["DSCN0025_made"]["members"]]
    rated = next(row["id"] for row in issue if not row["stack_top"])
    scored = next(row["id"] for row in dscn if not row["stack_top"])
    judge(home, rating={rated: 2100.0}, aesthetic={scored: 9.5})
    run_gallery("index", str(corpus_library), "--home", str(home))   # the run's analysis stage re-tops them
    run_gallery("export", "--home", str(home))
    tops = {row["id"] for row in photo_rows(home).values() if row["stack_top"]}
    assert {rated, scored} <= tops
