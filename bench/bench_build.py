#!/usr/bin/env python3
"""Benchmark of `gallery build` on a large library, beside a baseline measured in the same run.

The library is written directly as Parquet rows of the export schema (docs/parquet.md), not
indexed from image files: 100,000 photos by default, one day folder per 50 photos, one year
holding 20,000 of them. Thumbnail keys come from a pool of a few hundred real thumbnail files
(content-addressed files are shared by identical photos, so the browser has images to load).

Measured: full build, no-op rebuild, the no-op `gallery build` command (a fresh process, start-up
included), rebuild after adding one day folder of 50 photos; each build runs in a child process
and its peak resident memory (ru_maxrss of the child and its workers) is reported. The rows are
generated in a child process, streamed to Parquet in row groups; the baseline (reading
photos.parquet and serialising it once to JSON, by row group) runs in a child process too, so
this process stays small. With --browser, the big year's page (20,000 photos) is opened in headless
Chromium through nginx: bytes of HTML + JS before images, and the time until the first
thumbnails have loaded.

With --curation the library also has a person's curation: a quarter of the photos in stacks of 5
(`stack_id`, `stack_top`), an exact-copy pair per 200 photos (duplicates.parquet) and 20
collections of 500 photos, so the stack, duplicates and collection pages are built too.

Usage: python bench/bench_build.py [--count 100000] [--big-year 20000] [--workers 2] [--browser] [--curation] [--keep DIR]

The busy-year browser figure of the one-million issue (a year of 100,000 photos):
    python bench/bench_build.py --count 100000 --big-year 100000 --browser
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

PER_FOLDER = 50
BIG_YEAR, BIG_YEAR_COUNT = "2019", 20_000
THUMB_POOL = 300
CHUNK = 50_000            # rows per Parquet row group while generating
CITIES = (("Paris", "Ile-de-France", "France", "FR", 48.85, 2.35), ("Tokyo", "Tokyo", "Japan", "JP", 35.69, 139.69),
          ("Lima", "Lima", "Peru", "PE", -12.05, -77.04), ("Oslo", "Oslo", "Norway", "NO", 59.91, 10.75))
COLORS = ("#3366cc", "#f0c040", "#30a050", "#c03030", "#a040c0", "#202020", "#e0e0e0")
NEW_FOLDER = ("2024-12-31#999999", PER_FOLDER)


def day_plan(count: int) -> list[tuple[str, int]]:
    """(day, photos that day): BIG_YEAR gets BIG_YEAR_COUNT photos (--big-year, 20,000 by default; at
    most half the library unless it asks for all of it), the rest spread over other years."""
    days: list[tuple[str, int]] = []
    big = BIG_YEAR_COUNT if BIG_YEAR_COUNT >= count else min(BIG_YEAR_COUNT, count // 2)
    big = min(big, count)
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


def make_rows(plan: list[tuple[str, int]], first_id: int = 1) -> Iterator:
    """The rows of `plan`, one at a time (a million of them never sit in memory together)."""
    from tests.site_fixtures import Row

    rng = random.Random(7)
    photo_id = first_id
    for day_key, size in plan:
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
            yield Row(photo_id, "photos", f"{folder}/IMG_{photo_id:06d}.JPG",
                      f"{day}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
                      width=4000 if wide else 3000, height=3000 if wide else 4000,
                      colors=(COLORS[photo_id % len(COLORS)],), extra=extra)
            photo_id += 1


STACK_EVERY, STACK_SIZE, DUPLICATE_EVERY, COLLECTIONS, COLLECTION_SIZE = 20, 5, 200, 20, 500


def curate(record: dict, number: int) -> None:
    """Stack fields of one row: photos 0-4 of every 20 in a folder form a stack topped by its first."""
    first = record["id"] - number % STACK_EVERY
    stacked = number % STACK_EVERY < STACK_SIZE
    record.update(stack_id=first if stacked else None, stack_top=stacked and record["id"] == first)


def write_curation(home: Path, written: int) -> None:
    """duplicates.parquet (an exact pair per DUPLICATE_EVERY photos) and the collections tables."""
    import pyarrow as pa

    from tests import site_fixtures

    pairs = [{"group_id": first, "photo_id": first + offset, "kind": "exact", "is_keeper": offset == 0}
             for first in range(1, written, DUPLICATE_EVERY) if first + 1 <= written for offset in (0, 1)]
    site_fixtures._write_table(home / "parquet" / "duplicates.parquet", pairs,
                               [("group_id", pa.int64()), ("photo_id", pa.int64()), ("kind", pa.string()),
                                ("is_keeper", pa.bool_())])
    step = max(1, written // (COLLECTIONS * COLLECTION_SIZE))
    site_fixtures.write_collections(home, [
        (number + 1, f"Collection {number + 1}", list(range(1 + number, written + 1, step))[:COLLECTION_SIZE][::-1], None,
         "2024-01-01T00:00:00+00:00") for number in range(COLLECTIONS)])


def write_library(home: Path, count: int, with_new_folder: bool, curation: bool = False) -> int:
    """photos.parquet streamed in row groups (thumbnail keys from a small pool: identical content
    shares thumbnails), the small status tables, and the pool's real thumbnail files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests import site_fixtures

    site_fixtures.write_records(home, [], thumbnails=False)        # status tables, export.json
    fields = list(site_fixtures.PHOTO_SCHEMA_FIELDS) + ([("stack_id", "int64"), ("stack_top", "bool")] if curation else [])
    schema = pa.schema([pa.field(name, site_fixtures._arrow_type(kind)) for name, kind in fields])
    plan = day_plan(count) + ([NEW_FOLDER] if with_new_folder else [])
    path = home / "parquet" / "photos.parquet"
    temp, pool, written, chunk = path.with_suffix(".tmp"), [], 0, []
    with pq.ParquetWriter(temp, schema, compression="zstd") as writer:
        for row in make_rows(plan):
            record = row.record()
            if curation:
                curate(record, int(row.path.rsplit("_", 1)[1][:6]) - 1)
            if len(pool) < THUMB_POOL:
                pool.append(dict(record))
            chunk.append(record)
            if len(chunk) == CHUNK:
                written += _flush(writer, schema, chunk, pool)
        written += _flush(writer, schema, chunk, pool)
    temp.replace(path)
    site_fixtures._write_table(home / "parquet" / "roots.parquet",
                               [{"label": "photos", "photo_count": written, "last_scan_at": "2024-01-02T03:04:05"}],
                               [("label", pa.string()), ("photo_count", pa.int64()), ("last_scan_at", pa.string())])
    (home / "parquet" / "export.json").write_text(json.dumps({"exported_at": "2024-01-02T03:04:06", "schema_version": 1,
                                                              "rows": {"photos": written}}), encoding="utf-8")
    for record in pool:
        site_fixtures.write_thumbnails(home / "thumbs", {**record, "width": 640, "height": 480})
    if curation:
        write_curation(home, written)
    return written


def _flush(writer, schema, chunk: list[dict], pool: list[dict]) -> int:
    import pyarrow as pa

    keys = sorted({record["thumb_key"] for record in pool})
    for record in chunk:
        record["thumb_key"] = keys[(record["id"] - 1) % len(keys)]
    writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    count = len(chunk)
    chunk.clear()
    return count


def baseline(home: Path) -> float:
    """Read photos.parquet and serialise it once to JSON, one row group at a time."""
    import pyarrow.parquet as pq

    started = time.perf_counter()
    for batch in pq.ParquetFile(home / "parquet" / "photos.parquet").iter_batches():
        json.dumps(batch.drop_columns(["path_bytes"]).to_pylist())
    return time.perf_counter() - started


def timed_build(home: Path, workers: int) -> dict:
    from gallery_builder.site.builder import BuildOptions, build_site

    started = time.perf_counter()
    report = build_site(BuildOptions(parquet_dir=home / "parquet", thumbs_dir=home / "thumbs", out=home / "site",
                                     workers=workers))
    return {"seconds": time.perf_counter() - started, "summary": report.summary()}


def child(arguments: list[str]) -> tuple[dict, float, float]:
    """Run a step of this script (or a command) in a child process: (its JSON answer, wall
    seconds, peak RSS in MB of the child and its own children)."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    started = time.perf_counter()
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, env=environment, cwd=REPOSITORY)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(map(str, arguments))} failed ({process.returncode}):\n{output.decode()}")
    lines = output.decode().strip().splitlines()
    answer = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {"output": "\n".join(lines)}
    return answer, seconds, usage.ru_maxrss / 1024


def step(name: str, home: Path, *extra: str) -> tuple[dict, float, float]:
    return child([sys.executable, __file__, "--step", name, "--home", str(home), "--big-year", str(BIG_YEAR_COUNT),
                  *extra])


def run_step(name: str, home: Path, count: int, workers: int, curation: bool = False) -> None:
    if name == "write":
        answer = {"rows": write_library(home, count, with_new_folder=False, curation=curation)}
    elif name == "write-new-folder":
        answer = {"rows": write_library(home, count, with_new_folder=True, curation=curation)}
    elif name == "baseline":
        answer = {"seconds": baseline(home)}
    else:
        answer = timed_build(home, workers)
    print(json.dumps(answer))


def main() -> None:
    global BIG_YEAR_COUNT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--big-year", type=int, default=BIG_YEAR_COUNT,
                        help=f"photos in the big year {BIG_YEAR} (default {BIG_YEAR_COUNT:,}; the issue's busy year is 100,000)")
    parser.add_argument("--browser", action="store_true",
                        help="also measure the big year page in Chromium (first thumbnails, then a scroll to its end)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--curation", action="store_true", help="add stacks, duplicates and collections")
    parser.add_argument("--step", help=argparse.SUPPRESS)       # a child process's one step
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    BIG_YEAR_COUNT = args.big_year
    if args.step:
        run_step(args.step, args.home, args.count, args.workers, args.curation)
        return
    home = args.keep or Path(tempfile.mkdtemp(prefix="bench-build-"))
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o755)             # nginx's workers (user nobody) serve it in --browser
    count, workers = str(args.count), str(args.workers)
    curation = ["--curation"] if args.curation else []
    figures: dict[str, float] = {}
    memory: dict[str, float] = {}
    try:
        written, seconds, _ = step("write", home, "--count", count, *curation)
        print(f"library: {written['rows']:,} photos written as Parquet rows of the export schema "
              f"(no image files indexed; {seconds:.0f} s in a child process)", flush=True)
        figures["baseline: read photos.parquet + json.dumps once"] = step("baseline", home)[0]["seconds"]
        for name in ("full build", "no-op rebuild"):
            answer, _, memory[name] = step("build", home, "--workers", workers)
            figures[name] = answer["seconds"]
            print("  ", answer["summary"], flush=True)
        command = [sys.executable, "-c", "from gallery_builder.cli import main; main()", "build", "--home", str(home),
                   "--workers", workers]
        answer, figures["no-op `gallery build` command (start-up included)"], memory["no-op `gallery build` command"] = \
            child(command)
        print("  ", answer["output"].splitlines()[0], flush=True)
        step("write-new-folder", home, "--count", count, *curation)
        figures["baseline again (with the new folder)"] = step("baseline", home)[0]["seconds"]
        name = "rebuild after one new day folder of 50"
        answer, _, memory[name] = step("build", home, "--workers", workers)
        figures[name] = answer["seconds"]
        print("  ", answer["summary"], flush=True)
        for name, seconds in figures.items():
            print(f"{name:56s} {seconds:8.2f} s")
        for name, megabytes in memory.items():
            print(f"{'peak RSS, ' + name:56s} {megabytes:8.0f} MB")
        if args.browser:
            from bench_browser import measure_year_page

            for name, value in measure_year_page(home, f"years/{BIG_YEAR}/").items():
                print(f"{name:56s} {value}")
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
