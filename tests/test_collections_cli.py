"""`gallery collection ...` and `gallery index --collection` as a user runs them (subprocesses)."""
from __future__ import annotations

from pathlib import Path

import pytest

from gallery_builder.db.connection import connect
from tests.conftest import run_gallery
from tests.search_library import build_home


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("collections_cli"), passes=("exif", "thumbs"))


def query(home: Path, sql: str, params: tuple = ()) -> list[tuple]:
    db = connect(home / "gallery.db", readonly=True)
    try:
        return [tuple(row) for row in db.execute(sql, params)]
    finally:
        db.close()


def ids_by_path(home: Path) -> dict[str, int]:
    return {path: photo_id for photo_id, path in query(home, "SELECT id, path FROM photos")}


def members(home: Path, name: str) -> list[int]:
    return [row[0] for row in query(
        home, "SELECT cp.photo_id FROM collection_photos cp JOIN collections c ON c.id = cp.collection_id"
              " WHERE c.name = ? ORDER BY cp.position", (name,))]


def gallery(home: Path, *args: str, check: bool = True):
    return run_gallery("collection", *args, "--home", str(home), check=check)


def test_create_add_move_cover_show_rename_and_delete(home):
    ids = ids_by_path(home)
    lisbon, porto, xmas = (ids["2023/2023-05-14/DSC06241.JPG"], ids["2023/2023-07-20/IMG_1234.JPG"],
                           ids["2022/2022-12-25/IMG_0042.JPG"])
    created = gallery(home, "create", "Portugal")
    assert "created 'Portugal'" in created.stdout
    assert "nothing to change" in gallery(home, "create", "portugal").stdout
    added = gallery(home, "add", "Portugal", str(xmas), "2023/2023-05-14/DSC06241.JPG",
                    "library/2023/2023-07-20/IMG_1234.JPG")
    assert "added 3 photo(s)" in added.stdout and "3 photo(s)" in added.stdout
    assert members(home, "Portugal") == [xmas, lisbon, porto]
    assert "nothing to change" in gallery(home, "add", "Portugal", str(lisbon)).stdout
    gallery(home, "move", "Portugal", str(porto), "--before", str(xmas))
    assert members(home, "Portugal") == [porto, xmas, lisbon]
    gallery(home, "move", "Portugal", str(porto))
    assert members(home, "Portugal") == [xmas, lisbon, porto]
    gallery(home, "cover", "Portugal", str(lisbon))
    shown = gallery(home, "show", "portugal").stdout
    assert f"*    2  {lisbon:>6}  library/2023/2023-05-14/DSC06241.JPG" in shown
    assert "Portugal" in gallery(home, "list").stdout
    collection_id = str(query(home, "SELECT id FROM collections WHERE name = 'Portugal'")[0][0])
    gallery(home, "rename", collection_id, "Portugal trips")
    gallery(home, "remove", "Portugal trips", str(lisbon))
    assert members(home, "Portugal trips") == [xmas, porto]
    refused = gallery(home, "delete", collection_id, check=False)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    deleted = gallery(home, "delete", collection_id, "--yes")
    assert "deleted 'Portugal trips' (2 photo(s) kept)" in deleted.stdout
    assert query(home, "SELECT COUNT(*) FROM photos WHERE id IN (?, ?)", (xmas, porto)) == [(2,)]
    assert query(home, "SELECT COUNT(*) FROM collections") == [(0,)]


def test_unknown_targets_and_collections_write_nothing(home):
    gallery(home, "create", "Keep")
    ids = ids_by_path(home)
    unknown = gallery(home, "add", "Keep", str(ids["2019/2019-03-10/P1000123.JPG"]), "2021/nope.jpg", "987654",
                      check=False)
    assert unknown.returncode == 2
    assert "2021/nope.jpg (no photo at this path)" in unknown.stderr and "987654" in unknown.stderr
    assert members(home, "Keep") == []
    missing = gallery(home, "show", "9999", check=False)
    assert missing.returncode == 2 and "no collection with id 9999" in missing.stderr
    outside = gallery(home, "cover", "Keep", str(ids["2019/2019-03-10/P1000123.JPG"]), check=False)
    assert outside.returncode == 2 and "not in collection" in outside.stderr


def test_index_collection_force_thumbs_touches_only_its_photos_and_their_stacks(home):
    ids = ids_by_path(home)
    chosen, stacked, other = (ids["2021/2021-08-01/PXL_20210801_101010.jpg"], ids["2023/2023-07-21/IMG_12345.JPG"],
                              ids["2023/2023-07-20/IMG_1234.JPG"])
    gallery(home, "create", "One")
    gallery(home, "add", "One", str(chosen))
    db = connect(home / "gallery.db")
    db.execute("UPDATE pass_runs SET updated_at = '2000-01-01T00:00:00' WHERE pass = 'thumbs'")
    db.commit()
    db.close()

    def touched() -> set[int]:
        return {row[0] for row in query(home, "SELECT photo_id FROM pass_runs WHERE pass = 'thumbs'"
                                              " AND updated_at != '2000-01-01T00:00:00'")}

    result = run_gallery("index", "--home", str(home), "--collection", "One", "--force-thumbs", "--no-export",
                         "--no-progress")
    assert "1 photo(s) of collection One" in result.stdout
    assert touched() == {chosen}
    db = connect(home / "gallery.db")  # the collection's photo stacked with a photo outside it
    db.execute("INSERT INTO stacks (id, kind, top_photo_id, updated_at) VALUES (900, 'burst', ?, 'x')", (chosen,))
    db.executemany("INSERT INTO stack_members (photo_id, stack_id) VALUES (?, 900)", [(chosen,), (stacked,)])
    db.execute("UPDATE pass_runs SET updated_at = '2000-01-01T00:00:00' WHERE pass = 'thumbs'")
    db.commit()
    db.close()
    run_gallery("index", "--home", str(home), "--collection", "One", "--expand-stacks", "--force-thumbs",
                "--no-export", "--no-progress")
    assert touched() == {chosen, stacked} and other not in touched()
    bad = run_gallery("index", "--home", str(home), "--collection", "nope", "--force-thumbs", check=False)
    assert bad.returncode == 2 and "no collection 'nope'" in bad.stderr


def test_export_writes_collections_and_their_order(home):
    import json

    import pyarrow.parquet as pq

    ids = ids_by_path(home)
    first, second = ids["2023/2023-07-21/IMG_12345.JPG"], ids["2019/2019-03-10/P1000123.JPG"]
    gallery(home, "create", "Exported")
    gallery(home, "add", "Exported", str(second), str(first))
    gallery(home, "cover", "Exported", str(first))
    gallery(home, "create", "Empty one")
    run_gallery("export", "--home", str(home))
    albums = {row["name"]: row for row in pq.read_table(home / "parquet" / "collections.parquet").to_pylist()}
    exported = albums["Exported"]
    assert exported["cover_photo_id"] == first and exported["photo_count"] == 2 and exported["created_at"]
    assert albums["Empty one"]["cover_photo_id"] is None and albums["Empty one"]["photo_count"] == 0
    rows = [row for row in pq.read_table(home / "parquet" / "collection_photos.parquet").to_pylist()
            if row["collection_id"] == exported["id"]]
    assert rows == [{"collection_id": exported["id"], "photo_id": second, "position": 0},
                    {"collection_id": exported["id"], "photo_id": first, "position": 1}]
    state = json.loads((home / "parquet" / "export.json").read_text())
    assert state["collections_version"] == query(home, "SELECT MAX(seq) FROM collection_log")[0][0]
