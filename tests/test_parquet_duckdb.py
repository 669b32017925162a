"""The Parquet export is read by DuckDB directly, as docs/parquet.md promises: the documented
who-is-in-which-photo query, curation columns joined to collections, and a query over every file
(each opens, with the documented columns)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO, run_gallery
from tests.face_rows import add_person, add_face, face_db

duckdb = pytest.importorskip("duckdb", reason="duckdb is in the test extra (scripts/setup installs it)")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("duckdb")
    db = face_db(home / "gallery.db", [1, 2, 3])
    ana, ben = add_person(db, "Ana"), add_person(db, "Ben")
    add_face(db, 1, person_id=ana)
    add_face(db, 2, person_id=ana)
    add_face(db, 2, (0.6, 0.1, 0.2, 0.2), person_id=ben)
    db.execute("INSERT INTO photo_decisions (photo_id, flag, stars, updated_at) VALUES (2, 'pick', 4, '2024')")
    db.close()
    run_gallery("collection", "create", "Best", "--home", str(home))
    run_gallery("collection", "add", "Best", "3", "2", "--home", str(home))
    run_gallery("export", "--home", str(home))
    return home


def test_the_documented_faces_query_runs_as_written(home):
    text = (REPO / "docs" / "parquet.md").read_text(encoding="utf-8")
    query = re.search(r"```sql\n(.*?)```", text, flags=re.S).group(1)
    rows = duckdb.connect().execute(query.replace("'parquet/", f"'{home / 'parquet'}/")).fetchall()
    assert rows == [("IMG_0001.JPG", ["Ana"]), ("IMG_0002.JPG", ["Ana", "Ben"])]


def test_curation_joins_across_files(home):
    parquet = home / "parquet"
    rows = duckdb.connect().execute(
        f"SELECT c.name, p.path, p.flag, p.stars, cp.position FROM '{parquet}/collection_photos.parquet' cp"
        f" JOIN '{parquet}/collections.parquet' c ON c.id = cp.collection_id"
        f" JOIN '{parquet}/photos.parquet' p ON p.id = cp.photo_id ORDER BY cp.position").fetchall()
    assert rows == [("Best", "IMG_0003.JPG", None, 0, 0), ("Best", "IMG_0002.JPG", "pick", 4, 1)]


def test_every_exported_file_opens(home):
    files = sorted((home / "parquet").glob("*.parquet"))
    assert len(files) >= 15
    for path in files:
        duckdb.connect().execute(f"SELECT COUNT(*) FROM '{path}'").fetchone()
