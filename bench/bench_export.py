"""The Parquet export at scale, and the republish after a flag: time and peak memory beside their
baselines, on a gallery.db filled directly by bulk SQL (tests/export_rows.py: every kind of fact).

    .venv/bin/python bench/bench_export.py [--count 100000] [--workdir DIR] [--no-republish]

Each export measure runs in its own child process (its peak RSS is its own), in one run:
  floor       a child that imports pyarrow and opens the database, nothing more
  baseline    a plain `SELECT * FROM photos` cursor read of every row (fetchmany), in a child
  full export `export_all(full=True)`: every file rewritten, streamed in row groups
  no-op       `export_all` again: nothing changed, no file rewritten
  republish   (default on) after a first `gallery build`: from a flag written to the database to the
              static photo page carrying it, through the sidecar's own launcher (`gallery export` +
              `gallery build` subprocesses; the debounce delay is not counted), beside a plain
              `gallery export --full` + `gallery build` of the same home
Targets (issues 9 and 11): bounded memory at 1,000,000 photos; the republish < 10 s at 100,000.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def child(what: str, home: Path) -> None:
    """One measure in this (child) process; prints {"seconds", "peak_mb", ...} as JSON."""
    import pyarrow  # noqa: F401  (every child pays the same imports)

    from gallery_builder.config import load_settings
    from gallery_builder.db.connection import connect
    from gallery_builder.export.parquet import export_all

    settings = load_settings(home)
    db = connect(settings.db_path)
    started = time.perf_counter()
    answer: dict = {}
    if what == "baseline":
        cursor = db.execute("SELECT * FROM photos ORDER BY id")
        rows = 0
        while page := cursor.fetchmany(50_000):
            rows += len(page)
        answer["rows"] = rows
    elif what in ("full", "noop"):
        answer["counts"] = export_all(db, settings, full=what == "full")["photos.parquet"]
        answer["rewritten"] = json.loads((settings.parquet_dir / "export.json").read_text())["rewritten"]
    answer["seconds"] = time.perf_counter() - started
    answer["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(answer))


def measure(what: str, home: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", what, "--workdir", str(home)], check=True,
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    return json.loads(done.stdout.strip().splitlines()[-1])


def gallery(home: Path, *arguments: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gallery_builder", *arguments, "--home", str(home)], check=True,
                   capture_output=True, env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=REPO)
    return time.perf_counter() - started


def republish(home: Path, count: int) -> None:
    from gallery_builder.db.connection import connect
    from gallery_builder.db.decisions import set_flag
    from search_api.republish import export_and_build

    print(f"first gallery build:          {gallery(home, 'build'):.2f} s", flush=True)
    plain = gallery(home, "export", "--full") + gallery(home, "build")
    target = count // 2 + 1
    page = home / "site" / "photos" / str(target // 1000) / f"{target}.html"
    flag = "reject" if 'data-built-flag="pick"' in page.read_text(encoding="utf-8") else "pick"
    db = connect(home / "gallery.db")
    started = time.perf_counter()
    set_flag(db, [target], flag, "bench")
    outcome = export_and_build(home)
    seconds = time.perf_counter() - started
    db.close()
    assert outcome.ok, outcome.message
    assert f'data-built-flag="{flag}"' in page.read_text(encoding="utf-8"), "the page does not carry the flag"
    rewritten = json.loads((home / "parquet" / "export.json").read_text())["rewritten"]
    print(f"republish after a flag:       {seconds:.2f} s (baseline: a plain export --full + build {plain:.2f} s;"
          f" target < 10 s; files rewritten: {', '.join(rewritten)})", flush=True)
    db = connect(home / "gallery.db")  # the same again, its two halves timed apart
    set_flag(db, [target], None, "bench")
    db.close()
    export, build = gallery(home, "export"), gallery(home, "build")
    print(f"  its halves, after one more flag: gallery export {export:.2f} s, gallery build {build:.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="photos in the database (default 100,000)")
    parser.add_argument("--workdir", type=Path, help="the bench's own data home, emptied first and kept after"
                                                      " (default: a temp folder, removed after)")
    parser.add_argument("--no-republish", action="store_true", help="skip the flag -> static page measure")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.workdir)
        return

    from gallery_builder.db.connection import connect
    from tests.export_rows import fill_library

    home = options.workdir or Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        if options.workdir:
            shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True, exist_ok=True)
        db = connect(home / "gallery.db")
        started = time.perf_counter()
        fill_library(db, options.count)
        db.execute("ANALYZE")
        db.close()
        print(f"filled gallery.db with {options.count} photos and their facts in {time.perf_counter() - started:.1f} s",
              flush=True)
        floor, baseline = measure("floor", home), measure("baseline", home)
        full, noop = measure("full", home), measure("noop", home)
        size = (home / "parquet" / "photos.parquet").stat().st_size / 1e6
        print(f"floor (imports + open):       {floor['seconds']:.2f} s, peak {floor['peak_mb']:.0f} MB")
        print(f"baseline SELECT * photos:     {baseline['seconds']:.2f} s, peak {baseline['peak_mb']:.0f} MB")
        print(f"full export:                  {full['seconds']:.2f} s, peak {full['peak_mb']:.0f} MB"
              f" (photos.parquet {size:.0f} MB, {full['counts']} rows)")
        print(f"no-op re-export:              {noop['seconds']:.2f} s, peak {noop['peak_mb']:.0f} MB"
              f" (files rewritten: {', '.join(noop['rewritten']) or 'none'})", flush=True)
        if not options.no_republish:
            republish(home, options.count)
    finally:
        if not options.workdir:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("GALLERY_PROGRESS", "0")
    main()
