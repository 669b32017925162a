"""Schema migrations: numbered, recorded, applied from every older version, backup before rewrites."""
from __future__ import annotations

import pytest

from gallery_builder.db import migrate as migrations
from gallery_builder.db.connection import DRIVER, connect


def tables(connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')"
                                                 " AND name NOT LIKE 'sqlite_%'")}


def test_numbers_are_contiguous_and_recorded(tmp_path):
    connection = connect(tmp_path / "g.db")
    numbers = [row[0] for row in connection.execute("SELECT number FROM schema_migrations ORDER BY number")]
    assert numbers == [migration.number for migration in migrations.all_migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("start", range(0, len(migrations.all_migrations())))
def test_upgrade_from_every_older_version_matches_a_fresh_database(tmp_path, start):
    fresh = connect(tmp_path / "fresh.db")
    old = connect(tmp_path / "old.db", migrate=False)
    migrations.migrate(old, tmp_path / "old.db", target=start)
    assert migrations.current_version(old) == start
    if start:
        old.execute("INSERT INTO roots (label, path) VALUES ('photos', '/p')")
    old.close()
    upgraded = connect(tmp_path / "old.db")
    assert migrations.current_version(upgraded) == len(migrations.all_migrations())
    assert tables(upgraded) == tables(fresh)
    for table in tables(fresh):
        columns = lambda c: [row[1] for row in c.execute(f"PRAGMA table_info('{table}')")]
        assert columns(upgraded) == columns(fresh), table
    if start:
        assert upgraded.execute("SELECT label FROM roots").fetchone()[0] == "photos"  # data kept


def test_a_data_rewriting_migration_is_backed_up_first_and_atomic(tmp_path, monkeypatch):
    path = tmp_path / "g.db"
    connection = connect(path)
    connection.execute("INSERT INTO roots (label, path) VALUES ('photos', '/p')")
    version = migrations.current_version(connection)
    rewrite = migrations.Migration(version + 1, "rewrite_labels",
                                   "-- rewrites-data\nUPDATE roots SET label = upper(label);\n")
    broken = migrations.Migration(version + 2, "broken", "UPDATE roots SET label = 'x';\nSELECT * FROM nowhere;\n")
    known = migrations.all_migrations
    monkeypatch.setattr(migrations, "all_migrations", lambda: [*known(), rewrite])
    assert migrations.migrate(connection, path) == [version + 1]
    backup = path.with_name(f"g.db.before-{version + 1:04d}.bak")
    assert backup.exists()
    saved = DRIVER.connect(str(backup))
    assert saved.execute("SELECT label FROM roots").fetchone()[0] == "photos"
    assert connection.execute("SELECT label FROM roots").fetchone()[0] == "PHOTOS"
    monkeypatch.setattr(migrations, "all_migrations", lambda: [*known(), rewrite, broken])
    with pytest.raises(DRIVER.OperationalError):
        migrations.migrate(connection, path)
    assert connection.execute("SELECT label FROM roots").fetchone()[0] == "PHOTOS"  # rolled back whole
    assert migrations.current_version(connection) == version + 1
