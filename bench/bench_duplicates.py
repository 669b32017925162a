"""Duplicate detection at scale, and its precision and recall on make_library's ground truth.

    .venv/bin/python bench/bench_duplicates.py [--count 100000] [--clip] [--truth-count 400]

1. Timing over N photos whose database is filled directly (no decoding): pHashes drawn with the
   bit bias of real pHashes, plus planted copies (2 % byte-identical, 2 % resized: a few bits off,
   EXIF time kept, 2 % EXIF stripped) and bursts (20 %: same picture, distinct shot times, the
   pHash within 0-4 bits: the case the capture-time rule must refuse). Measured in one run:
     baseline  grouping by content hash with a dict (the floor any detection pays)
     facts     reading the facts from SQLite
     detect    the whole `gallery duplicates` detection (read, search, group, store), target < 10 s
     pure      the pure search and grouping alone
     clip      (--clip) the same with a 512-d unit vector per photo, target < 60 s
   and the precision and recall of the planted copies.
2. make_library (--truth-count originals, exact and resized copies, bursts) indexed by
   `gallery index`; precision and recall of its duplicate pairs (target >= 0.95 each).
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MAKE_LIBRARY = REPO.parent / "shared" / "tools" / "make_library.py"


def plant(count: int, seed: int = 7):
    """Rows (id, content_hash, phash, width, height, size, taken_at, source, camera) and the true pairs."""
    import numpy as np

    rng = np.random.default_rng(seed)
    bias = rng.uniform(0.3, 0.7, 64)  # real pHash bits are not fair coins
    rows, truth = [], set()
    next_id = 1

    def new_hash() -> int:
        bits = rng.random(64) < bias
        value = 0
        for bit in bits:
            value = (value << 1) | int(bit)
        # a pHash sets about half its bits: flip until it does (the detection ignores flat hashes)
        while not 24 <= bin(value).count("1") <= 40:
            value ^= 1 << int(rng.integers(64))
        return value

    def flip(value: int, bits: int) -> int:
        for position in rng.choice(64, bits, replace=False):
            value ^= 1 << int(position)
        return value

    while next_id <= count:
        base = new_hash()
        second = int(rng.integers(0, 10 ** 8))
        when = f"20{10 + second % 14:02d}-0{1 + second % 9}-1{second % 9}T1{second % 10}:{second % 60:02d}:{(second // 60) % 60:02d}"
        photo = (next_id, f"c{next_id}", base, 4000, 3000, 5_000_000, when + ".120", "exif", "Cam")
        rows.append(photo)
        next_id += 1
        roll = rng.random()
        if roll < 0.02:
            rows.append((next_id, photo[1], base, 4000, 3000, 5_000_000, photo[6], "exif", "Cam"))
        elif roll < 0.04:
            rows.append((next_id, f"c{next_id}", flip(base, int(rng.integers(0, 3))), 2000, 1500, 900_000,
                         photo[6], "exif", "Cam"))
        elif roll < 0.06:
            rows.append((next_id, f"c{next_id}", flip(base, int(rng.integers(0, 3))), 1000, 750, 200_000,
                         "2024-01-01T00:00:00", "mtime", None))
        elif roll < 0.10:  # a burst of 5: ~20 % of photos are burst frames
            for frame in range(1, 5):
                rows.append((next_id + frame - 1, f"c{next_id + frame - 1}", flip(base, int(rng.integers(0, 5))),
                             4000, 3000, 5_000_000, f"{when}.{frame * 2}00", "exif", "Cam"))
            next_id += 4
            continue
        else:
            continue
        truth.add((photo[0], next_id))
        next_id += 1
    return rows[:count], {pair for pair in truth if pair[1] <= count}


def fill(db, rows) -> None:
    db.execute("INSERT INTO roots (id, label, path) VALUES (1, 'photos', '/photos')")
    db.execute("BEGIN")
    db.executemany("INSERT INTO photos (id, root_id, path, path_bytes, folder, name, kind, size, mtime_ns, content_hash,"
                   " first_seen, last_seen) VALUES (?, 1, ?, ?, ?, ?, 'photo', ?, 0, ?, '', '')",
                   [(row[0], f"f{row[0] // 200}/{row[0]}.jpg", f"f{row[0] // 200}/{row[0]}.jpg".encode(),
                     f"f{row[0] // 200}", f"{row[0]}.jpg", row[5], row[1]) for row in rows])
    db.executemany("INSERT INTO exif (photo_id, width, height, taken_at, taken_at_source, camera_model)"
                   " VALUES (?, ?, ?, ?, ?, ?)", [(row[0], row[3], row[4], row[6], row[7], row[8]) for row in rows])
    db.executemany("INSERT INTO phashes (photo_id, phash) VALUES (?, ?)", [(row[0], f"{row[2]:016x}") for row in rows])
    db.execute("COMMIT")


def fill_vectors(db, rows, truth) -> None:
    import numpy as np

    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(len(rows), 512)).astype(np.float32)
    for first, second in truth:  # a copy's vector is its original's plus a little noise
        vectors[second - 1] = vectors[first - 1] + rng.normal(scale=0.05, size=512) * np.linalg.norm(vectors[first - 1]) / 22
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    db.execute("BEGIN")
    db.executemany("INSERT INTO clip_vectors (photo_id, model, dim, vector, content_hash, updated_at)"
                   " VALUES (?, 'bench', 512, ?, ?, '')",
                   [(row[0], vectors[index].astype("<f4").tobytes(), row[1]) for index, row in enumerate(rows)])
    db.execute("COMMIT")


def precision_recall(predicted: set, expected: set) -> tuple[float, float]:
    hits = len(predicted & expected)
    return hits / max(1, len(predicted)), hits / max(1, len(expected))


def pairs_of(groups) -> set:
    return {tuple(sorted(pair)) for group in groups
            for pair in itertools.combinations([member.photo_id for member in group.members], 2)}


def timing(count: int, with_clip: bool, workdir: Path) -> None:
    from gallery_builder.analysis.duplicates import detect_duplicates, find_groups, thresholds_of
    from gallery_builder.core.records import RunContext, Scope
    from gallery_builder.db.connection import connect
    from gallery_builder.db.duplicates import photo_facts, stored_groups, unit_vectors

    rows, truth = plant(count)
    db = connect(workdir / "gallery.db")
    fill(db, rows)
    context = RunContext.for_home(workdir, clip_model="bench")
    started = time.perf_counter()
    groups: dict[str, list[int]] = {}
    for row in rows:
        groups.setdefault(row[1], []).append(row[0])
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    facts = photo_facts(db)
    read = time.perf_counter() - started
    started = time.perf_counter()
    found = find_groups(facts, thresholds_of(context))
    pure = time.perf_counter() - started
    started = time.perf_counter()
    detection = detect_duplicates(db, Scope(), context)
    detect = time.perf_counter() - started
    precision, recall = precision_recall(pairs_of(stored_groups(db)), truth)
    print(f"{count} photos, {len(truth)} planted copies; {detection.summary()}")
    print(f"  baseline  dict of content hashes   {baseline:7.2f} s")
    print(f"  facts     read from SQLite         {read:7.2f} s")
    print(f"  pure      search + group (pHash)   {pure:7.2f} s   ({len(found)} groups)")
    print(f"  detect    whole detection (pHash)  {detect:7.2f} s   target < 10 s")
    print(f"  planted copies: precision {precision:.3f} recall {recall:.3f}")
    if with_clip:
        fill_vectors(db, rows, truth)
        started = time.perf_counter()
        ids, vectors = unit_vectors(db, "bench")
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        detection = detect_duplicates(db, Scope(), context)
        detect = time.perf_counter() - started
        precision, recall = precision_recall(pairs_of(stored_groups(db)), truth)
        print(f"  clip      load {len(ids)} vectors      {loaded:7.2f} s")
        print(f"  detect    pHash + CLIP             {detect:7.2f} s   target < 60 s; "
              f"precision {precision:.3f} recall {recall:.3f}")
    db.close()


def ground_truth(count: int, workdir: Path) -> None:
    from gallery_builder.db.connection import connect

    library, home = workdir / "library", workdir / "home"
    subprocess.run([sys.executable, str(MAKE_LIBRARY), "--count", str(count), "--out", str(library), "--workers", "2",
                    "--dup-share", "0.04", "--resized-share", "0.04"], check=True, capture_output=True)
    truth = json.loads((library / "ground_truth.json").read_text())
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gallery_builder", "index", str(library), "--home", str(home), "--no-colors",
                    "--no-geocode"], check=True, capture_output=True, cwd=REPO,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    indexed = time.perf_counter() - started
    db = connect(home / "gallery.db")
    path_of = {row[0]: row[1] for row in db.execute("SELECT id, path FROM photos")}
    groups: dict[int, list[str]] = {}
    for group_id, photo_id in db.execute("SELECT group_id, photo_id FROM duplicate_members"):
        groups.setdefault(group_id, []).append(path_of[photo_id])
    db.close()
    predicted = {frozenset(pair) for members in groups.values() for pair in itertools.combinations(members, 2)}
    expected = {frozenset((copy["original"] if isinstance(copy["original"], str) else copy["original"]["path"],
                           copy["copy"])) for copy in truth["exact_duplicates"] + truth["resized_copies"]}
    precision, recall = precision_recall(predicted, expected)
    bursts = sum(len(group["members"]) for group in truth["bursts"])
    print(f"make_library --count {count}: {len(expected)} copies ({len(truth['exact_duplicates'])} exact, "
          f"{len(truth['resized_copies'])} resized), {bursts} burst frames; indexed in {indexed:.1f} s")
    print(f"  duplicate pairs: precision {precision:.3f} recall {recall:.3f}   target >= 0.95 each")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20000, help="photos for the timing (default 20000)")
    parser.add_argument("--clip", action="store_true", help="also time detection with 512-d CLIP vectors")
    parser.add_argument("--truth-count", type=int, default=400, help="make_library originals (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dups-") as temp:
        timing(args.count, args.clip, Path(temp) / "timing")
        if args.truth_count:
            ground_truth(args.truth_count, Path(temp) / "truth")


if __name__ == "__main__":
    main()
