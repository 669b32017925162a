"""The Parquet export at scale: files streamed in row groups hold exactly what the whole-list export
wrote; a file is rewritten only when a table it reads changed (a no-op export touches no file, a flag
rewrites only what reads decisions); export.json keeps its versions right."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.export_rows import fill_library

COUNT = 230  # with row groups of 40 rows: six groups in photos.parquet
ROW_GROUP = 40


@pytest.fixture
def library(tmp_path: Path):
    from gallery_builder.config import load_settings
    from gallery_builder.db.connection import connect

    settings = load_settings(tmp_path)
    db = connect(settings.db_path)
    fill_library(db, COUNT)
    yield settings, db
    db.close()


def reference_photos(db):
    """photos.parquet's rows as the export built them before streaming: one list, side facts in dicts."""
    from gallery_builder.db.descriptions import current_descriptions, current_tags
    from gallery_builder.db.export_queries import PHOTO_ROWS_SQL
    from gallery_builder.db.quality import current_critiques, current_scores, disputed_descriptions

    descriptions, tags = current_descriptions(db), current_tags(db)
    scores, critiques, disputed = current_scores(db), current_critiques(db), disputed_descriptions(db)
    rows = []
    for row in db.execute(PHOTO_ROWS_SQL).fetchall():
        record = dict(row)
        record["path_bytes"] = bytes(record["path_bytes"])
        record["colors"] = json.loads(record["colors"]) if record["colors"] else None
        record["thumb_widths"] = json.loads(record["thumb_widths"]) if record["thumb_widths"] else None
        record["date_in_future"] = bool(record["date_in_future"]) if record["date_in_future"] is not None else None
        record["stack_top"] = bool(record["stack_top"])
        record["description"], record["description_model"] = descriptions.get(record["id"], (None, None))
        record["tags"] = tags.get(record["id"])
        record["aesthetic_score"] = scores.get(record["id"])
        record["critique"] = critiques.get(record["id"])
        record["description_disputed"] = (disputed.get((record["id"], record["description_model"]))
                                          if record["description"] is not None else None)
        rows.append(record)
    return rows


def reference_review(db):
    return [{**dict(row), "proposed": bool(row["proposed"]), "selected": bool(row["selected"]),
             "toggled": bool(row["toggled"])} for row in db.execute(
        "SELECT g.shoot_key, s.label AS shoot, g.photo_id, g.group_no, g.proposed,"
        " COALESCE(x.selected, g.proposed) AS selected, x.selected IS NOT NULL AS toggled"
        " FROM review_groups g JOIN review_shoots s ON s.shoot_key = g.shoot_key"
        " LEFT JOIN review_selections x ON x.photo_id = g.photo_id ORDER BY s.last_taken DESC, g.position")]


def test_a_streamed_export_holds_what_the_whole_list_export_wrote(library):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gallery_builder.db.quality import current_concept_rows
    from gallery_builder.export.parquet import EXPORT_FILES, export_all

    settings, db = library
    counts = export_all(db, settings, row_group=ROW_GROUP)
    schemas = {spec.name: spec.schema() for spec in EXPORT_FILES}
    expected = {
        "photos.parquet": reference_photos(db),
        "concepts.parquet": current_concept_rows(db),
        "review_selections.parquet": reference_review(db),
        "duplicates.parquet": [{"group_id": row[0], "photo_id": row[1], "kind": row[2], "is_keeper": bool(row[3])}
                               for row in db.execute("SELECT group_id, photo_id, kind, is_keeper FROM"
                                                     " duplicate_members ORDER BY group_id, photo_id")],
        "collection_photos.parquet": [dict(row) for row in db.execute(
            "SELECT collection_id, photo_id, position FROM collection_photos ORDER BY collection_id, position")],
    }
    photos = pq.ParquetFile(settings.parquet_dir / "photos.parquet")
    assert photos.metadata.num_row_groups == -(-COUNT // ROW_GROUP)
    assert counts["photos.parquet"] == COUNT
    for name, rows in expected.items():
        assert rows, f"the library should give {name} rows"
        written = pq.read_table(settings.parquet_dir / name)
        assert written.schema.equals(schemas[name]), name
        assert written.equals(pa.Table.from_pylist(rows, schema=schemas[name])), name
        assert counts[name] == len(rows)
    described = [row for row in written_rows(settings, "photos.parquet") if row["description"]]
    assert {row["description_model"] for row in described} == {"llava", "moondream"}
    assert any(row["description_disputed"] for row in described) and any(row["aesthetic_score"] for row in described)


def written_rows(settings, name):
    import pyarrow.parquet as pq

    return pq.read_table(settings.parquet_dir / name).to_pylist()


def file_identities(parquet_dir: Path) -> dict[str, tuple[int, int]]:
    return {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in parquet_dir.glob("*.parquet")}


def test_a_no_op_export_rewrites_no_file(library):
    from gallery_builder.export.parquet import EXPORT_FILES, export_all

    settings, db = library
    first = export_all(db, settings, row_group=ROW_GROUP)
    before = file_identities(settings.parquet_dir)
    assert set(before) == {spec.name for spec in EXPORT_FILES}
    again = export_all(db, settings, row_group=ROW_GROUP)
    assert file_identities(settings.parquet_dir) == before
    assert again == first
    assert json.loads((settings.parquet_dir / "export.json").read_text())["rewritten"] == []


def test_a_flag_rewrites_only_the_files_that_read_decisions(library):
    from gallery_builder.db.decisions import decisions_version, set_flag
    from gallery_builder.export.parquet import export_all

    settings, db = library
    export_all(db, settings, row_group=ROW_GROUP)
    before = file_identities(settings.parquet_dir)
    set_flag(db, [2], "pick", "test")
    export_all(db, settings, row_group=ROW_GROUP)
    after = file_identities(settings.parquet_dir)
    changed = sorted(name for name in before if after[name] != before[name])
    assert changed == ["photos.parquet"]
    info = json.loads((settings.parquet_dir / "export.json").read_text())
    assert info["rewritten"] == ["photos.parquet"]
    assert info["decisions_version"] == decisions_version(db) > 0
    assert {row["id"]: row["flag"] for row in written_rows(settings, "photos.parquet")}[2] == "pick"


def test_after_flags_and_stars_photos_parquet_is_what_a_full_export_writes(library):
    """A flag or a star rewrites photos.parquet by replacing two columns of the file: the result must
    be the file a full export would write."""
    import pyarrow.parquet as pq

    from gallery_builder.db.decisions import set_flag, set_stars
    from gallery_builder.export.parquet import export_all

    settings, db = library
    export_all(db, settings, row_group=ROW_GROUP)
    set_flag(db, [1, 100, COUNT], "reject", "test")
    set_flag(db, [7], None, "test")  # had a pick from the fill
    set_stars(db, [14, 50], 4, "test")
    export_all(db, settings, row_group=ROW_GROUP)
    patched = pq.read_table(settings.parquet_dir / "photos.parquet")
    info = json.loads((settings.parquet_dir / "export.json").read_text())
    assert info["rewritten"] == info["patched"] == ["photos.parquet"]
    rows = {row["id"]: row for row in patched.to_pylist()}
    assert (rows[1]["flag"], rows[7]["flag"], rows[14]["stars"], rows[COUNT]["flag"]) == ("reject", None, 4, "reject")
    export_all(db, settings, row_group=ROW_GROUP, full=True)
    assert patched.equals(pq.read_table(settings.parquet_dir / "photos.parquet"))
    assert pq.ParquetFile(settings.parquet_dir / "photos.parquet").metadata.num_row_groups == -(-COUNT // ROW_GROUP)


def test_export_json_keeps_the_versions_and_counts_of_files_it_kept(library):
    from gallery_builder.db.collections import collections_version, create_collection
    from gallery_builder.export.parquet import export_all

    settings, db = library
    first = export_all(db, settings, row_group=ROW_GROUP)
    create_collection(db, "Fresh", "test")
    second = export_all(db, settings, row_group=ROW_GROUP)
    info = json.loads((settings.parquet_dir / "export.json").read_text())
    assert info["collections_version"] == collections_version(db) > 0
    assert info["counts"] == second and second["collections.parquet"] == first["collections.parquet"] + 1
    assert second["photos.parquet"] == first["photos.parquet"] == COUNT
    assert "photos.parquet" not in info["rewritten"] and "collections.parquet" in info["rewritten"]


def test_a_rescan_that_only_sees_files_again_rewrites_nothing_but_a_deleted_file_comes_back(library):
    from gallery_builder.export.parquet import export_all

    settings, db = library
    export_all(db, settings, row_group=ROW_GROUP)
    db.execute("UPDATE photos SET last_seen = '2027-01-01T00:00:00+00:00'")  # what a no-op rescan may touch
    before = file_identities(settings.parquet_dir)
    export_all(db, settings, row_group=ROW_GROUP)
    assert file_identities(settings.parquet_dir) == before
    (settings.parquet_dir / "stacks.parquet").unlink()
    export_all(db, settings, row_group=ROW_GROUP)
    assert (settings.parquet_dir / "stacks.parquet").exists()


def test_every_table_the_export_reads_is_counted(library):
    """A file reading a table no trigger counts would be rewritten every time (safe, but slow): each
    table the export's statements read must have its change counter (migration 0018)."""
    from gallery_builder.export.parquet import EXPORT_FILES, export_all

    settings, db = library
    export_all(db, settings, row_group=ROW_GROUP)
    info = json.loads((settings.parquet_dir / "export.json").read_text())
    compared = {spec.name for spec in EXPORT_FILES if spec.compare_content}  # computed every time anyway
    untracked = {name: [key for key, value in record["reads"].items() if value == -1]
                 for name, record in info["files"].items() if name not in compared}
    assert {name: keys for name, keys in untracked.items() if keys} == {}
    assert "photo_decisions" in info["files"]["photos.parquet"]["reads"]
    assert "photo_decisions" not in info["files"]["review_selections.parquet"]["reads"]


def test_the_update_triggers_of_split_tables_watch_every_other_column(library):
    """photos, roots and face_clusters count a change of any column but the ones counted apart: a
    column added later without its place in the trigger would leave a stale file."""
    from gallery_builder.db.export_changes import SPLIT_COLUMNS

    _, db = library
    for table in sorted({table for table, _ in SPLIT_COLUMNS}):
        sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                         (f"export_{table}_update",)).fetchone()[0]
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        for column in columns:
            apart = (table, column) in SPLIT_COLUMNS
            assert (f"OLD.{column} IS NOT NEW.{column}" in sql) != apart, (table, column)


def test_the_export_command_rewrites_everything_with_full(library):
    from tests.conftest import run_gallery

    settings, db = library
    run_gallery("export", "--home", str(settings.home))
    before = file_identities(settings.parquet_dir)
    run_gallery("export", "--home", str(settings.home))
    assert file_identities(settings.parquet_dir) == before
    run_gallery("export", "--home", str(settings.home), "--full")
    after = file_identities(settings.parquet_dir)
    assert all(after[name] != before[name] for name in before)
    assert os.path.exists(settings.parquet_dir / "export.json")
