"""A library of N photos written straight into gallery.db by bulk SQL (no files, no decoding), with
every kind of fact the Parquet export reads: exif, places, colours, thumbnails, decisions, stacks,
descriptions (old and current content), tags, scores, critiques, checks, concepts of two models,
duplicates, collections, review shoots and ratings. Used by the export tests and bench/bench_export.py."""
from __future__ import annotations

from typing import Any

STAMP = "2026-01-01T00:00:00+00:00"


def fill_library(db: Any, count: int) -> None:
    """Photos 1..count under one root, facts on a deterministic share of them, in one transaction."""
    numbers = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
               " SELECT i FROM n")
    db.execute("BEGIN")
    db.execute("INSERT INTO roots (label, path) VALUES ('bench', '/photos')")
    root = db.execute("SELECT id FROM roots WHERE label = 'bench'").fetchone()[0]
    statements = [
        ("INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns, content_hash,"
         " status, error_code, error, first_seen, last_seen)"
         " SELECT i, ?, printf('f%05d/IMG_%07d.jpg', i / 200, i), CAST(printf('f%05d/IMG_%07d.jpg', i / 200, i) AS BLOB),"
         " printf('f%05d', i / 200), printf('IMG_%07d.jpg', i), CASE WHEN i % 50 = 0 THEN 'video' ELSE 'photo' END,"
         " 1000 + i, 1700000000000000000 + i, printf('%032x', i),"
         " CASE WHEN i % 97 = 0 THEN 'error' ELSE 'ok' END, CASE WHEN i % 97 = 0 THEN 'corrupt' END,"
         " CASE WHEN i % 97 = 0 THEN 'scan: broken' END, ?, ? FROM (" + numbers + ")", (root, STAMP, STAMP, count)),
        ("INSERT INTO exif (photo_id, taken_at, tz_offset, taken_at_source, date_in_future, camera_make, camera_model,"
         " lens, focal_length, aperture, exposure_time, iso, width, height, orientation, gps_lat, gps_lon, gps_alt,"
         " duration, format)"
         " SELECT i, strftime('%Y-%m-%dT%H:%M:%S', 1500000000 + i * 600, 'unixepoch'),"
         " CASE WHEN i % 3 = 0 THEN '+02:00' END, 'exif', i % 1000 = 0, 'Canon', 'EOS R' || (i % 5), NULL,"
         " 35.0, 2.8, 0.004, 100 * (i % 8 + 1), 4000, 3000, 1 + i % 8,"
         " CASE WHEN i % 4 = 0 THEN 43.5 + i % 100 / 1000.0 END, CASE WHEN i % 4 = 0 THEN 11.2 END, NULL,"
         " CASE WHEN i % 50 = 0 THEN 12.5 END, 'JPEG' FROM (" + numbers + ") WHERE i % 11 != 0", (count,)),
        ("INSERT INTO places SELECT i, 'Arezzo', 'Tuscany', 'Italy', 'IT' FROM (" + numbers + ") WHERE i % 4 = 0",
         (count,)),
        ("INSERT INTO colors SELECT i, '[\"#102030\", \"#a0b0c0\"]' FROM (" + numbers + ") WHERE i % 2 = 0", (count,)),
        ("INSERT INTO phashes SELECT i, printf('%016x', i * 7919) FROM (" + numbers + ")", (count,)),
        ("INSERT INTO thumbnails SELECT i, printf('%032x', i), '[400, 1280]' FROM (" + numbers + ") WHERE i % 11 != 0",
         (count,)),
        ("INSERT INTO photo_decisions SELECT i, CASE i % 3 WHEN 0 THEN 'pick' WHEN 1 THEN 'reject' END, i % 6, ?"
         " FROM (" + numbers + ") WHERE i % 7 = 0", (STAMP, count)),
        ("INSERT INTO stacks (id, kind, top_photo_id, updated_at) SELECT i / 20, 'burst', i, ? FROM ("
         + numbers + ") WHERE i % 20 = 0", (STAMP, count)),
        ("INSERT INTO stack_members SELECT i, i / 20 FROM (" + numbers + ") WHERE i % 20 = 0", (count,)),
        ("INSERT INTO stack_members SELECT i, (i + 1) / 20 FROM (" + numbers + ") WHERE i % 20 = 19 AND i + 1 <= ?",
         (count, count)),
        # Two description models, and answers for an old content hash that must not show.
        ("INSERT INTO photo_descriptions SELECT i, 'llava', printf('%032x', i), 'a photo number ' || i, ?"
         " FROM (" + numbers + ") WHERE i % 5 = 0", (STAMP, count)),
        ("INSERT INTO photo_descriptions SELECT i, 'moondream', printf('%032x', i), 'newer words for ' || i,"
         " '2026-02-01T00:00:00+00:00' FROM (" + numbers + ") WHERE i % 10 = 0", (count,)),
        ("INSERT INTO photo_descriptions SELECT i, 'old', 'stale', 'an older file', '2026-03-01T00:00:00+00:00'"
         " FROM (" + numbers + ") WHERE i % 15 = 0", (count,)),
        ("INSERT INTO photo_tags SELECT i, 'llava', printf('%032x', i), CASE WHEN i % 10 = 0 THEN '[]'"
         " ELSE '[\"beach\", \"sunset\"]' END, ? FROM (" + numbers + ") WHERE i % 5 = 0", (STAMP, count)),
        ("INSERT INTO photo_quality SELECT i, 'laion@1', printf('%032x', i), 1 + (i % 90) / 10.0, ?"
         " FROM (" + numbers + ") WHERE i % 3 = 0", (STAMP, count)),
        ("INSERT INTO photo_critiques SELECT i, 'llava', printf('%032x', i), 'tilted horizon', ?"
         " FROM (" + numbers + ") WHERE i % 25 = 0", (STAMP, count)),
        ("INSERT INTO description_checks SELECT i, CASE WHEN i % 10 = 0 THEN 'moondream' ELSE 'llava' END,"
         " 'checker', printf('%032x', i), i % 4 = 0, '[]', ? FROM (" + numbers + ") WHERE i % 5 = 0", (STAMP, count)),
        ("INSERT INTO photo_concepts SELECT i, 'clip#1', printf('%032x', i), c.concept, c.score, ?"
         " FROM (" + numbers + ") JOIN (SELECT 'sharp' AS concept, 0.7 AS score UNION ALL SELECT 'blurry', 0.3) c"
         " WHERE i % 2 = 0", (STAMP, count)),
        ("INSERT INTO photo_concepts SELECT i, 'clip#2', printf('%032x', i), 'portrait', 0.9,"
         " '2026-02-01T00:00:00+00:00' FROM (" + numbers + ") WHERE i % 6 = 0", (count,)),
        ("INSERT INTO duplicate_groups (id, kind, keeper_id, updated_at) SELECT i / 30, 'near', i, ? FROM ("
         + numbers + ") WHERE i % 30 = 0", (STAMP, count)),
        ("INSERT INTO duplicate_members SELECT i / 30, i, 'exact', 1 FROM (" + numbers + ") WHERE i % 30 = 0", (count,)),
        ("INSERT INTO duplicate_members SELECT (i + 3) / 30, i, 'near', 0 FROM (" + numbers + ")"
         " WHERE i % 30 = 27 AND i + 3 <= ?", (count, count)),
        ("INSERT INTO collections (id, name, created_at, updated_at) VALUES (1, 'Best', ?, ?), (2, 'Trip', ?, ?)",
         (STAMP, STAMP, STAMP, STAMP)),
        ("INSERT INTO collection_photos SELECT 2 - (i / 9) % 2, i, (i / 9 - 1) / 2 FROM (" + numbers + ") WHERE i % 9 = 0"
         " ORDER BY i", (count,)),
        # A review shoot per even folder (named from its first photo), every photo of it in a group.
        ("INSERT INTO review_shoots SELECT printf('folder:1:f%05d', i / 200), 'folder', printf('bench/f%05d', i / 200),"
         " 200, 20, NULL, printf('2020-%05d', i / 200), 'x', ? FROM (" + numbers + ") WHERE i % 200 = 1"
         " AND i / 200 % 2 = 0", (STAMP, count)),
        ("INSERT INTO review_groups SELECT printf('folder:1:f%05d', i / 200), i, i % 200 / 10, i % 200,"
         " i % 10 = 0, NULL FROM (" + numbers + ") WHERE i / 200 % 2 = 0 AND i / 200 * 200 + 1 <= ?", (count, count)),
        ("INSERT INTO review_selections SELECT i, i % 2, 'api', ? FROM (" + numbers + ") WHERE i % 40 = 3"
         " AND i / 200 % 2 = 0", (STAMP, count)),
        ("INSERT INTO photo_ratings SELECT i, 1500 + i % 300, 80.0, 0.06, i % 5, i % 3 FROM (" + numbers + ")"
         " WHERE i % 13 = 0", (count,)),
    ]
    for sql, parameters in statements:
        db.execute(sql, parameters)
    db.execute("COMMIT")
