"""Stack detection at scale, and its precision and recall on make_library's ground truth.

    .venv/bin/python bench/bench_stacks.py [--count 100000] [--pr-count 400] [--workdir DIR]

Measures in one run:
  baseline   sorting the N capture times (the floor of any time-chained detection)
  detect     `propose_stacks` over N records filled directly (camera, time, pHash; no decoding):
             events of 10-40 shots, 1 in 20 starting a 3-7 frame burst 1-3 s apart (like make_library)
  restack    the same N photos written straight into a fresh gallery.db (photos, exif, phashes), then
             `restack` of the whole library (read, detect, store), and the index run's re-stacking
             when nothing changed (no thumbnails on disk: sharpness is not part of this figure)
  P / R      pairwise precision and recall of the stored stacks against make_library's bursts, after
             `gallery index` of a generated library of --pr-count photos (0 skips it)
Targets: detection < 10 s at 100,000 photos; P and R >= 0.95.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MAKE_LIBRARY = REPO.parent / "shared" / "tools" / "make_library.py"
CAMERAS = [("Canon", "EOS 5D"), ("NIKON", "D750"), ("Apple", "iPhone 12"), ("SONY", "ILCE-7M3"), ("FUJIFILM", "X-T3")]


def synthetic(count: int, seed: int = 1) -> tuple[list[tuple], int]:
    """(photo id, make, model, taken_at text, phash hex) rows and the number of true burst frames."""
    rnd = random.Random(seed)
    rows, frames, when = [], 0, 1_300_000_000.0
    while len(rows) < count:
        make, model = CAMERAS[rnd.randrange(len(CAMERAS))]
        when += rnd.randrange(86_400, 86_400 * 30)
        for _ in range(rnd.randint(10, 40)):
            size = rnd.randint(3, 7) if rnd.random() < 0.05 else 1
            scene = rnd.getrandbits(64)
            frames += size if size > 1 else 0
            for position in range(size):
                phash = scene
                for _ in range(rnd.randint(0, 6) if position else 0):
                    phash ^= 1 << rnd.randrange(64)
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + f".{rnd.randrange(1000):03d}"
                rows.append((len(rows) + 1, make, model, stamp, f"{phash:016x}"))
                when += rnd.randint(1, 3) if position < size - 1 else rnd.randint(30, 1800)
    return rows[:count], frames


def measure_detection(rows: list[tuple]) -> None:
    from gallery_builder.analysis.stack_run import seconds
    from gallery_builder.analysis.stacks import StackPhoto, StackRules, propose_stacks

    records = [StackPhoto(photo_id, f"{make} {model}".lower(), seconds(stamp), int(phash, 16), has_subseconds=True)
               for photo_id, make, model, stamp, phash in rows]
    times = [record.taken_at for record in records]
    random.Random(2).shuffle(times)
    started = time.perf_counter()
    sorted(times)
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    stacks = propose_stacks(records, StackRules())
    detect = time.perf_counter() - started
    print(f"baseline  sort {len(times):,} capture times: {baseline:.3f} s")
    print(f"detect    {len(records):,} records -> {len(stacks):,} stacks "
          f"({sum(len(stack.members) for stack in stacks):,} photos): {detect:.2f} s "
          f"({detect / max(baseline, 1e-9):.0f}x the sort; target < 10 s at 100,000)")


def measure_restack(rows: list[tuple], workdir: Path) -> None:
    from gallery_builder.analysis.stack_run import restack
    from gallery_builder.core.records import RunContext
    from gallery_builder.db.connection import connect, transaction

    home = workdir / "home"
    db = connect(home / "gallery.db")
    with transaction(db):
        db.execute("INSERT INTO roots (id, label, path) VALUES (1, 'bench', '/nowhere')")
        db.executemany(
            "INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns, content_hash,"
            " first_seen, last_seen) VALUES (?, 1, ?, ?, 'f', ?, 'photo', 1, 0, ?, 'x', 'x')",
            [(row[0], f"f/{row[0]}.jpg", f"f/{row[0]}.jpg".encode(), f"{row[0]}.jpg", f"{row[0]:032x}") for row in rows])
        db.executemany("INSERT INTO exif (photo_id, camera_make, camera_model, taken_at, taken_at_source)"
                       " VALUES (?, ?, ?, ?, 'exif')", [row[:4] for row in rows])
        db.executemany("INSERT INTO phashes (photo_id, phash) VALUES (?, ?)", [(row[0], row[4]) for row in rows])
    context = RunContext.for_home(home)
    started = time.perf_counter()
    report = restack(db, context, everything=True)
    full = time.perf_counter() - started
    started = time.perf_counter()
    again = restack(db, context, changed_only=True)
    idle = time.perf_counter() - started
    db.close()
    print(f"restack   whole library from gallery.db (read, detect, store): {full:.2f} s; {report.summary()}")
    print(f"restack   index run with nothing changed: {idle:.2f} s ({again.summary()})")


def precision_recall(count: int, workdir: Path) -> None:
    import pyarrow.parquet as pq

    library, home = workdir / "lib", workdir / "lib-home"
    subprocess.run([sys.executable, str(MAKE_LIBRARY), "--count", str(count), "--out", str(library),
                    "--burst-share", "0.1"], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "gallery_builder", "index", str(library), "--home", str(home)],
                   check=True, capture_output=True, cwd=REPO)
    truth = json.loads((library / "ground_truth.json").read_text(encoding="utf-8"))
    expected = {frozenset(pair) for burst in truth["bursts"] for pair in combinations(burst["members"], 2)}
    groups: dict[int, list[str]] = {}
    for row in pq.read_table(home / "parquet" / "photos.parquet").to_pylist():
        if row["stack_id"] is not None:
            groups.setdefault(row["stack_id"], []).append(row["path"])
    found = {frozenset(pair) for members in groups.values() for pair in combinations(members, 2)}
    hits = len(found & expected)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(expected) if expected else 0.0
    print(f"P / R     make_library --count {count} ({len(truth['bursts'])} bursts, {len(expected)} frame pairs; "
          f"{len(groups)} stacks found): precision {precision:.3f}, recall {recall:.3f} (target >= 0.95)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="photos for the timing (default 20,000)")
    parser.add_argument("--pr-count", type=int, default=400, help="make_library photos for P/R (0: skip)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to write (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-stacks-") as temp:
        workdir = args.workdir or Path(temp)
        workdir.mkdir(parents=True, exist_ok=True)
        rows, frames = synthetic(args.count)
        print(f"{len(rows):,} synthetic photos, {frames:,} of them burst frames")
        measure_detection(rows)
        measure_restack(rows, workdir)
        if args.pr_count:
            precision_recall(args.pr_count, workdir)


if __name__ == "__main__":
    main()
