#!/usr/bin/env python3
"""Benchmark of `gallery build` on a large library, beside a baseline measured in the same run.

The library is written directly as Parquet rows of the export schema (docs/parquet.md), not
indexed from image files: 100,000 photos by default, one day folder per 50 photos, one year
holding 20,000 of them. Thumbnail keys come from a pool of a few hundred real thumbnail files
(content-addressed files are shared by identical photos, so the browser has images to load).

Measured: full build, no-op rebuild, rebuild after adding one day folder of 50 photos; the
baseline is reading photos.parquet and serialising it once to JSON. With --browser, the 20,000-
photo year page is opened in headless Chromium through nginx: bytes of HTML + JS before images,
and the time until the first thumbnails have loaded.

Usage: python bench/bench_build.py [--count 100000] [--workers 2] [--browser] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from tests.site_fixtures import Row  # noqa: E402

PER_FOLDER = 50
BIG_YEAR, BIG_YEAR_COUNT = "2019", 20_000
THUMB_POOL = 300
CITIES = (("Paris", "Ile-de-France", "France", "FR", 48.85, 2.35), ("Tokyo", "Tokyo", "Japan", "JP", 35.69, 139.69),
          ("Lima", "Lima", "Peru", "PE", -12.05, -77.04), ("Oslo", "Oslo", "Norway", "NO", 59.91, 10.75))
COLORS = ("#3366cc", "#f0c040", "#30a050", "#c03030", "#a040c0", "#202020", "#e0e0e0")


def day_plan(count: int) -> list[tuple[str, int]]:
    """(day, photos that day): BIG_YEAR gets 20,000 photos, the rest spread over other years."""
    days: list[tuple[str, int]] = []
    big = min(BIG_YEAR_COUNT, count // 2)
    for index in range(big // PER_FOLDER):
        days.append((f"{BIG_YEAR}-{1 + index % 12:02d}-{1 + (index // 12) % 28:02d}#{index}", PER_FOLDER))
    rest, index = count - big, 0
    while rest > 0:
        year = 2005 + index % 14
        year += 1 if year >= int(BIG_YEAR) else 0
        days.append((f"{year}-{1 + index % 12:02d}-{1 + (index // 12) % 28:02d}#{index}", min(PER_FOLDER, rest)))
        rest -= PER_FOLDER
        index += 1
    return days


def make_rows(count: int, first_id: int = 1, plan: list[tuple[str, int]] | None = None) -> list[Row]:
    rng = random.Random(7)
    rows, photo_id = [], first_id
    for day_key, size in plan or day_plan(count):
        day, _, serial = day_key.partition("#")
        folder = f"{day[:4]}/{day} shoot {serial}"
        city = CITIES[int(serial) % len(CITIES)] if int(serial) % 3 == 0 else None
        for number in range(size):
            extra = {"camera_make": "Canon", "camera_model": f"EOS R{1 + photo_id % 7}", "iso": 100,
                     "exposure_time": 0.004, "aperture": 2.8, "focal_length": 35.0}
            if city:
                extra.update(place=city[0], admin=city[1], country=city[2], country_code=city[3],
                             gps_lat=city[4] + rng.uniform(-0.05, 0.05), gps_lon=city[5] + rng.uniform(-0.05, 0.05))
            seconds = 8 * 3600 + number * 97
            wide = rng.random() < 0.7
            rows.append(Row(photo_id, "photos", f"{folder}/IMG_{photo_id:06d}.JPG",
                            f"{day}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
                            width=4000 if wide else 3000, height=3000 if wide else 4000,
                            colors=(COLORS[photo_id % len(COLORS)],), extra=extra))
            photo_id += 1
    return rows


def pooled(rows: list[Row]) -> list[dict]:
    """Records with thumbnail keys from a small pool (identical content shares thumbnails)."""
    records = [row.record() for row in rows]
    pool = sorted({record["thumb_key"] for record in records[:THUMB_POOL]})
    for index, record in enumerate(records):
        record["thumb_key"] = pool[index % len(pool)]
    return records


def write(home: Path, rows: list[Row]) -> None:
    from tests import site_fixtures

    records = pooled(rows)
    site_fixtures.write_records(home, records, thumbnails=False)
    for record in records[:THUMB_POOL]:
        site_fixtures.write_thumbnails(home / "thumbs", {**record, "width": 640, "height": 480})


def baseline(home: Path) -> float:
    import pyarrow.parquet as pq

    started = time.perf_counter()
    table = pq.read_table(home / "parquet" / "photos.parquet")
    json.dumps(table.drop(["path_bytes"]).to_pylist())
    return time.perf_counter() - started


def timed_build(home: Path, workers: int) -> tuple[float, str]:
    from gallery_builder.site.builder import BuildOptions, build_site

    started = time.perf_counter()
    report = build_site(BuildOptions(parquet_dir=home / "parquet", thumbs_dir=home / "thumbs", out=home / "site",
                                     workers=workers))
    return time.perf_counter() - started, report.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--browser", action="store_true", help="also measure the big year page in Chromium")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    home = args.keep or Path(tempfile.mkdtemp(prefix="bench-build-"))
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o755)             # nginx's workers (user nobody) serve it in --browser
    try:
        rows = make_rows(args.count)
        write(home, rows)
        print(f"library: {len(rows):,} photos written as Parquet rows of the export schema (no image files indexed)")
        figures = {"baseline: read photos.parquet + json.dumps once": baseline(home)}
        figures["full build"], summary = timed_build(home, args.workers)
        print("  ", summary)
        figures["no-op rebuild"], summary = timed_build(home, args.workers)
        print("  ", summary)
        added = make_rows(PER_FOLDER, first_id=len(rows) + 1, plan=[("2024-12-31#999999", PER_FOLDER)])
        write(home, rows + added)
        figures["baseline again (with the new folder)"] = baseline(home)
        figures["rebuild after one new day folder of 50"], summary = timed_build(home, args.workers)
        print("  ", summary)
        for name, seconds in figures.items():
            print(f"{name:48s} {seconds:8.2f} s")
        if args.browser:
            from bench_browser import measure_year_page

            for name, value in measure_year_page(home, f"years/{BIG_YEAR}/").items():
                print(f"{name:48s} {value}")
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
