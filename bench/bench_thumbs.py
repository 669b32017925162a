"""Speed of the default passes' `run` functions beside the decode floor, measured in the same run.

    .venv/bin/python bench/bench_thumbs.py [--count 120] [--limit 40] [--size 4000x3000] [--workers N]
        [--webp-method 2] [--resample BICUBIC] [--reducing-gap 2.0]

Uses (or makes, cached) a library of camera-sized JPEGs from ../shared/tools/make_library.py, the
same cache as bench_index.py. Each stage runs over the same files with one process per core:
  floor     Pillow draft() at the smallest DCT scale still giving a 1920 px long edge, then
            Image.thumbnail((1920, 1920)) with its defaults
  passes    exif + thumbs (3 slots) + phash run() per photo, then geocode run() on the batch
  colours   the colors pass (colorthief MMCQ on the grid thumbnail), and colorthief's own
            ColorThief.get_palette on the same thumbnails for comparison
Prints photos/s and the time ratio to the floor (target for everything but colours: <= 1.5).
Hashing the files is the scan's work and happens before the clock starts.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MAKE_LIBRARY = REPO.parent / "shared" / "tools" / "make_library.py"


def library_files(count: int, size: str, workers: int, cache: Path) -> list[str]:
    library = cache / f"{count}-{size}"
    if not library.exists():
        print(f"generating {count} photos of {size} in {library} ...", flush=True)
        subprocess.run([sys.executable, str(MAKE_LIBRARY), "--count", str(count), "--size", size, "--out",
                        str(library), "--burst-share", "0", "--dup-share", "0", "--resized-share", "0",
                        "--sidecar-share", "0", "--numbered-share", "0", "--workers", str(workers)],
                       check=True, stdout=subprocess.DEVNULL)
    return sorted(str(path) for path in library.rglob("*.JPG"))


def tune(webp_method: int, resample: str, reducing_gap: float) -> None:
    """Worker initializer: the encoder/resampler settings under test."""
    from gallery_builder.media import thumbnails

    thumbnails.WEBP_METHOD, thumbnails.RESAMPLE = webp_method, resample
    thumbnails.REDUCING_GAP = reducing_gap or None


def floor_one(path: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        scale = 1920 / max(width, height)
        image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        image.thumbnail((1920, 1920))
        return image.size


def passes_one(item, context):
    """exif + thumbs + phash for one photo, as the runner's workers would run them."""
    from gallery_builder.passes import get_pass

    exif = get_pass("exif").run([item], context)[0]
    thumbs = get_pass("thumbs").run([item], context)[0]
    assert exif.ok and thumbs.ok, (exif, thumbs)
    grid = os.path.join(context.thumbs_dir, item.content_hash[:2], f"{item.content_hash}-400.webp")
    with_thumb = type(item)(**{**item.__dict__, "extra": {"thumb": grid}})
    phash = get_pass("phash").run([with_thumb], context)[0]
    assert phash.ok, phash
    return with_thumb, exif.data


def colors_one(item, context):
    from gallery_builder.passes import get_pass

    return get_pass("colors").run([item], context)[0].data["colors"]


def colorthief_one(path: str):
    from colorthief import ColorThief

    return ["#%02x%02x%02x" % color for color in ColorThief(path).get_palette(color_count=5)]


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def run_stages(files: list[str], args: argparse.Namespace, scratch: Path) -> dict[str, float]:
    from gallery_builder.passes import get_pass
    from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
    from gallery_builder.indexing.scan import hash_file

    context = RunContext.for_home(scratch)
    items = [PhotoInput(number, path, "photo", hash_file(path), os.path.getsize(path), os.stat(path).st_mtime_ns)
             for number, path in enumerate(files)]
    settings = (args.webp_method, args.resample, args.reducing_gap)
    times: dict[str, float] = {}
    with ProcessPoolExecutor(args.workers, initializer=tune, initargs=settings) as pool:
        list(pool.map(floor_one, files[:args.workers]))  # start the workers before any clock runs
        times["floor"], _ = timed(lambda: list(pool.map(floor_one, files)))
        times["passes"], done = timed(lambda: list(pool.map(passes_one, items, [context] * len(items))))
        located = [type(item)(**{**item.__dict__, "extra": {"gps": (facts["gps_lat"], facts["gps_lon"])
                                                              if facts["gps_lat"] is not None else None}})
                   for item, facts in done]
        times["geocode"], places = timed(get_pass("geocode").run, located, context)
        thumbs = [item for item, _ in done]
        times["colors"], ours = timed(lambda: list(pool.map(colors_one, thumbs, [context] * len(thumbs))))
        grids = [item.extra["thumb"] for item in thumbs]
        times["colorthief"], theirs = timed(lambda: list(pool.map(colorthief_one, grids)))
    times["same_palettes"] = sum(a == b for a, b in zip(ours, theirs))
    times["located"] = sum(1 for result in places if isinstance(result, PhotoResult) and result.data["place"])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=120, help="photos in the generated library")
    parser.add_argument("--limit", type=int, default=0, help="measure only the first N files (0: all)")
    parser.add_argument("--size", default="4000x3000")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--webp-method", type=int, default=2)
    parser.add_argument("--resample", default="HAMMING")
    parser.add_argument("--reducing-gap", type=float, default=2.0, help="0 for none")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "gallery-bench-library")
    args = parser.parse_args()
    files = library_files(args.count, args.size, args.workers, args.cache)
    files = files[:args.limit] if args.limit else files
    with tempfile.TemporaryDirectory() as scratch:
        times = run_stages(files, args, Path(scratch))
    count = len(files)
    rate = lambda seconds: count / seconds
    without_colors = times["passes"] + times["geocode"]
    print(f"{count} JPEGs of {args.size}, {args.workers} workers; webp method {args.webp_method}, "
          f"{args.resample}, reducing_gap {args.reducing_gap or None}")
    print(f"floor (draft + thumbnail to 1920):         {rate(times['floor']):6.2f} photos/s")
    print(f"exif+thumbs+phash+geocode run():           {rate(without_colors):6.2f} photos/s"
          f"  = floor x {without_colors / times['floor']:.2f} (time; target <= 1.5)")
    print(f"  of which geocode (one batch, k-d tree load included): {times['geocode']:.2f} s,"
          f" {times['located']} photos located; without it: floor x {times['passes'] / times['floor']:.2f}")
    print(f"colors run() (MMCQ, numpy pixel gathering): {rate(times['colors']):6.2f} photos/s")
    print(f"colorthief get_palette on the same files:   {rate(times['colorthief']):6.2f} photos/s"
          f"  ({times['same_palettes']}/{count} identical palettes)")
    print(f"all five passes:                           {rate(without_colors + times['colors']):6.2f} photos/s")


if __name__ == "__main__":
    main()
