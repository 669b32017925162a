"""`gallery flag` and `gallery rate` as a user runs them (subprocesses), and decisions surviving re-indexing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gallery_builder.db.connection import connect
from tests.conftest import run_gallery
from tests.search_library import build_home


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("decisions_cli"))


def ids_by_path(home: Path) -> dict[str, int]:
    db = connect(home / "gallery.db", readonly=True)
    try:
        return {row[1]: row[0] for row in db.execute("SELECT id, path FROM photos")}
    finally:
        db.close()


def decisions(home: Path) -> dict[int, tuple]:
    db = connect(home / "gallery.db", readonly=True)
    try:
        return {row[0]: (row[1], row[2]) for row in db.execute("SELECT photo_id, flag, stars FROM photo_decisions")}
    finally:
        db.close()


def test_flag_takes_ids_root_relative_labelled_and_absolute_paths(home):
    ids = ids_by_path(home)
    library = home.parent / "library"
    targets = {"2023/2023-05-14/DSC06241.JPG": "2023/2023-05-14/DSC06241.JPG",
               "2023/2023-07-20/IMG_1234.JPG": "library/2023/2023-07-20/IMG_1234.JPG",
               "2019/2019-03-10/P1000123.JPG": str(library / "2019/2019-03-10/P1000123.JPG"),
               "2022/2022-12-25/IMG_0042.JPG": str(ids["2022/2022-12-25/IMG_0042.JPG"])}
    result = run_gallery("flag", "pick", *targets.values(), "--home", str(home))
    assert "flag pick: 4 photo(s) changed, 0 already so" in result.stdout
    for path in targets:
        assert f"library/{path}  none -> pick" in result.stdout
    assert {ids[path] for path in targets} <= {photo_id for photo_id, (flag, _) in decisions(home).items()
                                              if flag == "pick"}
    again = run_gallery("flag", "pick", *targets.values(), "--home", str(home))
    assert "0 photo(s) changed, 4 already so" in again.stdout
    cleared = run_gallery("flag", "none", targets["2022/2022-12-25/IMG_0042.JPG"], "--home", str(home))
    assert "pick -> none" in cleared.stdout
    assert "no `gallery watch` is running" in cleared.stdout


def test_unknown_targets_are_listed_and_nothing_is_written(home):
    before = decisions(home)
    result = run_gallery("rate", "5", "2021/2021-08-01/PXL_20210801_101010.jpg", "2021/nope.jpg", "987654",
                         "--home", str(home), check=False)
    assert result.returncode == 2
    assert "2021/nope.jpg (no photo at this path)" in result.stderr and "987654 (no photo with this id)" in result.stderr
    assert "nothing written" in result.stderr
    assert decisions(home) == before
    assert run_gallery("flag", "pick", "--home", str(home), check=False).returncode == 2  # no target at all


def test_rate_a_search_result(home):
    ids = ids_by_path(home)
    result = run_gallery("rate", "4", "--search", "DSC06241", "--home", str(home))
    assert "4 star(s): 1 photo(s) changed" in result.stdout and "0 -> 4" in result.stdout
    assert decisions(home)[ids["2023/2023-05-14/DSC06241.JPG"]][1] == 4


def test_reindexing_and_moving_a_file_keep_its_decisions(tmp_path):
    import pyarrow.parquet as pq

    home = build_home(tmp_path, passes=("exif", "thumbs"))
    library = tmp_path / "library"
    run_gallery("flag", "reject", "2021/2021-08-01/PXL_20210801_101010.jpg", "--home", str(home))
    run_gallery("rate", "2", "2021/2021-08-01/PXL_20210801_101010.jpg", "2019/2019-03-10/P1000123.JPG",
                "--home", str(home))
    photo_id = ids_by_path(home)["2021/2021-08-01/PXL_20210801_101010.jpg"]
    kept = decisions(home)
    run_gallery("index", str(library), "--home", str(home), "--force-exif", "--force-thumbs")
    assert decisions(home) == kept
    (library / "2021/2021-08-01/PXL_20210801_101010.jpg").rename(library / "2019/moved.jpg")
    result = run_gallery("index", str(library), "--home", str(home))
    assert "1 moved" in result.stdout + result.stderr
    assert ids_by_path(home)["2019/moved.jpg"] == photo_id and decisions(home) == kept
    rows = {row["path"]: row for row in pq.read_table(home / "parquet" / "photos.parquet").to_pylist()}
    assert (rows["2019/moved.jpg"]["flag"], rows["2019/moved.jpg"]["stars"]) == ("reject", 2)
    assert (rows["2019/2019-03-10/P1000123.JPG"]["flag"], rows["2019/2019-03-10/P1000123.JPG"]["stars"]) == (None, 2)
    assert rows["2023/2023-05-14/DSC06241.JPG"]["stars"] == 0
    assert json.loads((home / "parquet" / "export.json").read_text())["decisions_version"] == 3
