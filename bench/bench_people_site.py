#!/usr/bin/env python3
"""Benchmark of `gallery build` with people, beside the same library built without faces in the
same run (the baseline).

The library is bench_build.py's (Parquet rows of the export schema, 100,000 photos by default);
faces.parquet, people.parquet and face_clusters.parquet are written in the export's schema: about
0.6 faces per photo, 300 named people (10 of them hidden) and 2,000 unknown clusters. Measured,
each build in a child process with its peak RSS: a full build without faces (baseline), a full
build with faces, a no-op rebuild with faces, and a rebuild after renaming one shown person (the
pages re-rendered and the seconds).

Usage: python bench/bench_people_site.py [--count 100000] [--workers 2] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "bench"))

PEOPLE, HIDDEN, CLUSTERS = 300, 10, 2_000


def write_faces(parquet_dir: Path, count: int, renamed: bool = False) -> int:
    """The three face files for photo ids 1..count (seeded: the same faces on every call)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gallery_builder.export.faces import cluster_schema, face_schema, people_schema

    random = np.random.default_rng(7)
    photo_ids = np.sort(random.choice(np.arange(1, count + 1), size=int(count * 0.6)))
    faces = len(photo_ids)
    person = np.where(random.random(faces) < 0.5, random.integers(1, PEOPLE + 1, faces), -1)
    cluster = np.where(person < 0, random.integers(1, CLUSTERS + 1, faces), -1)
    x, y = random.random(faces) * 0.7, random.random(faces) * 0.7
    box = pa.StructArray.from_arrays([pa.array(x), pa.array(y), pa.array(np.full(faces, 0.2)),
                                      pa.array(np.full(faces, 0.25))], names=["x", "y", "w", "h"])
    table = pa.table({
        "face_id": pa.array(np.arange(1, faces + 1)), "photo_id": pa.array(photo_ids),
        "person_id": pa.array(person, mask=person < 0), "cluster_id": pa.array(cluster, mask=cluster < 0),
        "box": box, "score": pa.array(random.random(faces)), "backend": pa.array(["dlib"] * faces),
        "crop_key": pa.array([f"{index:040x}" for index in range(faces)]),
        "clusterable": pa.array(np.ones(faces, bool)), "assigned_by": pa.array([None] * faces, pa.string())},
        schema=face_schema())
    pq.write_table(table, parquet_dir / "faces.parquet", compression="zstd")
    names = [f"Person {index}" for index in range(1, PEOPLE + 1)]
    if renamed:
        names[HIDDEN] = f"Person {HIDDEN + 1}, renamed"     # the first shown person (the first HIDDEN are hidden)
    people = [{"person_id": index + 1, "name": name, "hidden": index < HIDDEN, "face_count": 0, "photo_count": 0,
               "cover_face_id": None} for index, name in enumerate(names)]
    pq.write_table(pa.Table.from_pylist(people, schema=people_schema()), parquet_dir / "people.parquet")
    clusters = np.bincount(cluster[cluster > 0], minlength=CLUSTERS + 1)
    rows = [{"cluster_id": index, "ignored": index % 50 == 0, "face_count": int(clusters[index])}
            for index in range(1, CLUSTERS + 1)]
    pq.write_table(pa.Table.from_pylist(rows, schema=cluster_schema()), parquet_dir / "face_clusters.parquet")
    return faces


def run_step(name: str, home: Path, count: int, workers: int) -> None:
    from bench_build import timed_build, write_library

    if name == "write":
        rows = write_library(home / "plain", count, with_new_folder=False)
        faced = home / "faced"
        (faced / "parquet").mkdir(parents=True)
        for path in (home / "plain" / "parquet").iterdir():
            (faced / "parquet" / path.name).symlink_to(path)
        (faced / "thumbs").symlink_to(home / "plain" / "thumbs")
        answer = {"rows": rows, "faces": write_faces(faced / "parquet", count)}
    elif name == "rename":
        answer = {"faces": write_faces(home / "faced" / "parquet", count, renamed=True)}
    else:
        answer = timed_build(home / name, workers)
    print(json.dumps(answer))


def main() -> None:
    from bench_build import child

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        run_step(args.step, args.home, args.count, args.workers)
        return
    home = args.keep or Path(tempfile.mkdtemp(prefix="bench-people-"))
    home.mkdir(parents=True, exist_ok=True)

    def step(name: str) -> tuple[dict, float, float]:
        return child([sys.executable, __file__, "--step", name, "--home", str(home), "--count", str(args.count),
                      "--workers", str(args.workers)])

    try:
        written = step("write")[0]
        print(f"library: {written['rows']:,} photos, {written['faces']:,} faces, {PEOPLE} people "
              f"({HIDDEN} hidden), {CLUSTERS} clusters", flush=True)
        results = []
        for label, name in (("baseline: full build without faces", "plain"), ("full build with faces", "faced"),
                            ("no-op rebuild with faces", "faced"), ("rebuild after renaming one person", "faced")):
            if label.startswith("rebuild after"):
                step("rename")
            answer, _, peak = step(name)
            results.append((label, answer["seconds"], peak, answer["summary"]))
        for label, seconds, peak, summary in results:
            print(f"{label:40s} {seconds:8.2f} s  peak RSS {peak:6.0f} MB  | {summary}")
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
