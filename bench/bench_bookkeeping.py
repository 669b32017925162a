"""Index bookkeeping at scale: a no-op rescan, `gallery status` and every pass's `pending`, beside
their floors, on a library of N tiny files whose database is filled directly (no decoding).

    .venv/bin/python bench/bench_bookkeeping.py [--count 100000] [--workdir DIR] [--keep]

Makes N tiny `.jpg` files in folders of 200 (kept and reused with --workdir/--keep: making 1M
files is most of a 1M run), fills a fresh gallery.db as if indexed (photos, and pass_runs rows for
the default passes, by bulk SQL), then measures in one run:
  floor    os.scandir + stat over the tree (what any rescan must pay), and reading every photo id
  scan     a no-op `Scanner.scan()` of the unchanged tree: ms per file beyond the floor (target 0.1)
  status   `gallery status` as a subprocess (target < 2 s), beside `gallery --help` (start-up); the
           first status after the fill counts everything (as an index run's export does at its end)
           and is printed beside it
  pending  each registered pass's `pending()` over the library and over one 2000-photo chunk (the
           shape watch mode and `publish_every` ask), with EXPLAIN QUERY PLAN of the SQL it ran
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PER_FOLDER = 200
CHUNK = 2000  # the default publish_every: the runner asks pending per chunk of this many ids


def make_tree(root: Path, count: int) -> None:
    """`count` tiny files, 200 per folder, 100 folders per group: g000/f00000/IMG_0000000.jpg."""
    marker = root.with_name(root.name + ".done")  # beside the tree: the scan must see only photos
    if marker.exists() and root.exists():
        return
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    for number in range(count):
        folder_number = number // PER_FOLDER
        folder = root / f"g{folder_number // 100:03d}" / f"f{folder_number:05d}"
        if number % PER_FOLDER == 0:
            folder.mkdir(parents=True)
        descriptor = os.open(folder / f"IMG_{number:07d}.jpg", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(descriptor, b"%d" % number)
        os.close(descriptor)
    marker.write_text(str(count))
    print(f"made {count} files in {time.perf_counter() - started:.1f} s")


def floor_walk(root: bytes) -> int:
    """os.scandir + stat of every file: the floor of any rescan."""
    count, folders = 0, [root]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    folders.append(entry.path)
                else:
                    entry.stat()
                    count += 1
    return count


def fill_database(db, root: Path) -> int:
    """Photos rows from the files on disk (size, mtime), then ok pass_runs rows for the default passes."""
    from gallery_builder.db import photos as photo_db
    from gallery_builder.db.pass_queries import now_iso
    from gallery_builder.passes import default_pass_names, registry

    stamp = now_iso()
    root_id = photo_db.ensure_root(db, "bench", str(root))
    rows = []
    folders, base = [os.fsencode(root)], len(os.fsencode(root)) + 1
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    folders.append(entry.path)
                elif entry.name.endswith(b".jpg"):
                    info = entry.stat()
                    relative = entry.path[base:]
                    text = relative.decode()
                    folder, _, name = text.rpartition("/")
                    rows.append((root_id, text, relative, folder, name, "photo", info.st_size, info.st_mtime_ns,
                                 f"{len(rows):032x}", "ok", stamp, stamp))
    rows.sort(key=lambda row: row[2])
    db.execute("BEGIN")
    db.executemany("INSERT INTO photos (root_id, path, path_bytes, folder, name, kind, size, mtime_ns,"
                   " content_hash, status, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    passes = registry()
    for name in default_pass_names():
        db.execute("INSERT INTO pass_runs (photo_id, pass, version, content_hash, status, updated_at)"
                   " SELECT id, ?, ?, content_hash, 'ok', ? FROM photos", (name, passes[name].version, stamp))
    db.execute("COMMIT")
    db.execute("ANALYZE")
    return len(rows)


def timed(function, *args):
    started = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - started, value


def query_plan(db, sql: str) -> list[str]:
    return [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]


def plan_problems(plan: list[str], whole_library: bool) -> list[str]:
    """What a pending plan must not do: read pass_runs or clip_vectors whole, look up results photo by
    photo over a whole library (a correlated subquery), or read every photo for one chunk."""
    problems = [line for line in plan if line.startswith(("SCAN r", "SCAN q", "SCAN t", "SCAN v"))]
    if whole_library:
        problems += [line for line in plan if "CORRELATED" in line or "TEMP B-TREE" in line]
    else:
        problems += [line for line in plan if line.startswith("SCAN")]
    return problems


def measure_pending(db, context, ids: list[int]) -> list[tuple[str, float, int, float, int, list[str], list[str]]]:
    """Per pass: (name, seconds, count, chunk seconds, chunk count, plan, chunk plan)."""
    from gallery_builder.core.records import Scope
    from gallery_builder.passes import registry

    size = min(CHUNK, max(1, len(ids) // 20))  # a chunk is a small part of a library
    chunk = Scope(photo_ids=tuple(ids[len(ids) // 2:len(ids) // 2 + size]))
    rows = []
    for name, the_pass in registry().items():
        statements: list[str] = []
        db.set_trace_callback(statements.append)
        seconds, pending = timed(the_pass.pending, db, Scope(), context)
        db.set_trace_callback(None)
        plan = query_plan(db, statements[-1]) if statements else []
        statements.clear()
        db.set_trace_callback(statements.append)
        chunk_seconds, chunk_pending = timed(the_pass.pending, db, chunk, context)
        db.set_trace_callback(None)
        chunk_plan = query_plan(db, statements[-1]) if statements else []
        rows.append((name, seconds, len(pending), chunk_seconds, len(chunk_pending), plan, chunk_plan))
    return rows


def run_cli(home: Path, *arguments: str) -> float:
    environment = dict(os.environ, PYTHONPATH=str(REPO))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gallery_builder", *arguments], env=environment, check=True,
                   stdout=subprocess.DEVNULL, cwd=home)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="files in the library (default 100,000)")
    parser.add_argument("--workdir", type=Path, help="where the tree lives (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the tree for the next run (with --workdir)")
    parser.add_argument("--plans", action="store_true", help="print every query plan in full")
    options = parser.parse_args()

    from gallery_builder.config import Root
    from gallery_builder.core.records import RunContext
    from gallery_builder.db.connection import connect
    from gallery_builder.indexing.scan import Scanner, Walker

    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="bench-bookkeeping-"))
    workdir.mkdir(parents=True, exist_ok=True)
    tree, home = workdir / f"tree-{options.count}", workdir / "home"
    try:
        make_tree(tree, options.count)
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir()
        db = connect(home / "gallery.db")
        fill_seconds, filled = timed(fill_database, db, tree)
        print(f"filled gallery.db with {filled} photos and their pass_runs in {fill_seconds:.1f} s")
        count = options.count

        floor_walk(os.fsencode(tree))  # warm the dentry and inode caches for every measure alike
        floor, walked = timed(floor_walk, os.fsencode(tree))
        assert walked == count, (walked, count)
        walk, _ = timed(lambda: sum(1 for _ in Walker(tree, []).walk()))
        scanner = Scanner(db, Root("bench", tree), [])
        statements: list[str] = []
        db.set_trace_callback(statements.append)
        scan, report = timed(scanner.scan)
        db.set_trace_callback(None)
        changed = {key: value for key, value in report.counts.items() if value and key not in ("seen", "unchanged")}
        assert report.counts["unchanged"] == count and not changed, report.counts
        ids_floor, ids = timed(lambda: [row[0] for row in db.execute(
            "SELECT id FROM photos WHERE status != 'missing' ORDER BY id")])
        per_file = (scan - floor) / count * 1000

        help_seconds = min(run_cli(home, "--help") for _ in range(2))
        # The first status after the fill counts everything and stores the snapshot (an index run's
        # export does this at its end); the next ones answer from the snapshot.
        status_counting = run_cli(home, "status", "--home", str(home))
        status_seconds = min(run_cli(home, "status", "--home", str(home)) for _ in range(2))
        pending_rows = measure_pending(db, RunContext.for_home(home), ids)

        print(f"\nbookkeeping at {count:,} files ({PER_FOLDER} per folder), one run; figures beside their baselines")
        print(f"{'measure':<34}{'time':>10}   baseline / target")
        print(f"{'floor: os.scandir + stat':<34}{floor:>9.2f}s   ({floor / count * 1e6:.1f} us/file)")
        print(f"{'walker (skip rules, no SQL)':<34}{walk:>9.2f}s   floor {floor:.2f} s")
        print(f"{'no-op scan (Scanner.scan)':<34}{scan:>9.2f}s   floor {floor:.2f} s: "
              f"{per_file:.4f} ms/file beyond it (target <= 0.1); {len(statements)} SQL statements")
        print(f"{'gallery status (subprocess)':<34}{status_seconds:>9.2f}s   `gallery --help` {help_seconds:.2f} s; "
              f"target < 2 s; the first after a change counts: {status_counting:.2f} s")
        print(f"{'read every photo id':<34}{ids_floor:>9.2f}s   (floor of a whole-library pending)")
        bad = []
        for name, seconds, pending, chunk_seconds, chunk_pending, plan, chunk_plan in pending_rows:
            print(f"{'pending ' + name:<34}{seconds:>9.2f}s   {pending} pending; one {CHUNK}-photo chunk "
                  f"{chunk_seconds * 1000:.1f} ms ({chunk_pending} pending)")
            for label, lines in (("library", plan), ("chunk", chunk_plan)):
                if options.plans:
                    print(f"    plan ({label}): " + " | ".join(lines))
                scans = plan_problems(lines, whole_library=label == "library")
                if scans:
                    bad.append(f"{name} ({label}): {' | '.join(scans)}")
        print("plans: " + ("libraries merge index ranges, chunks read only their photos" if not bad
                           else "PROBLEMS: " + "; ".join(bad)))
    finally:
        if not options.keep:
            shutil.rmtree(home, ignore_errors=True)
            shutil.rmtree(tree, ignore_errors=True)
            tree.with_name(tree.name + ".done").unlink(missing_ok=True)
            if options.workdir is None:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
