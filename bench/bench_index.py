"""Indexing speed: the whole default `gallery index` beside the decode floor and sigal, same run.

    .venv/bin/python bench/bench_index.py [--count 120] [--size 4000x3000] [--workers N]

Makes (once, cached in --cache) a library of camera-sized JPEGs with ../shared/tools/make_library.py,
then measures, each on the same files and cores:
  floor    every file opened with Pillow, draft() at the smallest DCT scale that still gives a
           1920 px long edge, then Image.thumbnail((1920, 1920)) with its defaults; one process per core
  sigal    `sigal build` of the same photos (full decode, two JPEG sizes), if sigal is installed
  index    `gallery index` with the default passes (exif, thumbs, colors, phash, geocode)
  no-colors  the same without the colours pass, and colours alone (MMCQ on the grid thumbnail)
Targets: the default passes within 1.5x the floor (wall and CPU) and at least 2x sigal's speed.
Prints photos/s for each, the ratios, and the peak resident memory (sum over the process tree).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAKE_LIBRARY = REPO.parent / "shared" / "tools" / "make_library.py"


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB (from /proc)."""
    total, pids = 0, [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            with open(f"/proc/{current}/task/{current}/children") as handle:
                pids.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return total / 1024


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: dict[str, float] = {}


def run_measured(command: list[str], env: dict | None = None, name: str = "") -> tuple[float, float]:
    """Wall seconds and peak tree RSS (MiB) of a command; its CPU seconds go to CPU[name]."""
    peak = 0.0
    cpu_before = children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, **(env or {})})
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mb(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    CPU[name] = children_cpu() - cpu_before
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err.decode(errors='replace')[-2000:]}")
    return elapsed, peak


def floor_one(path: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        scale = 1920 / max(width, height)
        image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        image.thumbnail((1920, 1920))
        return image.size


def measure_floor(files: list[str], workers: int) -> float:
    started, cpu_before = time.perf_counter(), children_cpu()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(floor_one, files, chunksize=4))
    CPU["floor"] = children_cpu() - cpu_before
    return time.perf_counter() - started


def measure_sigal(library: Path, workers: int, scratch: Path) -> tuple[float, float] | None:
    sigal = shutil.which("sigal") or str(Path(sys.executable).with_name("sigal"))
    if not Path(sigal).exists():
        return None
    config = scratch / "sigal.conf.py"
    config.write_text("source = %r\ndestination = %r\nuse_orig = False\nthumb_size = (280, 210)\n"
                      "img_size = (1920, 1440)\nwrite_html = False\n" % (str(library), str(scratch / "sigal-out")))
    return run_measured([sigal, "build", "-c", str(config), "-n", str(workers)], name="sigal")


def gallery(*args: str) -> list[str]:
    return [sys.executable, "-m", "gallery_builder", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--size", default="4000x3000")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "gallery-bench-library")
    args = parser.parse_args()
    library = args.cache / f"{args.count}-{args.size}"
    if not library.exists():
        print(f"generating {args.count} photos of {args.size} in {library} ...", flush=True)
        subprocess.run([sys.executable, str(MAKE_LIBRARY), "--count", str(args.count), "--size", args.size,
                        "--out", str(library), "--burst-share", "0", "--dup-share", "0", "--resized-share", "0",
                        "--sidecar-share", "0", "--numbered-share", "0", "--workers", str(args.workers)],
                       check=True, stdout=subprocess.DEVNULL)
    files = sorted(str(path) for path in library.rglob("*") if path.suffix.lower() in {".jpg", ".jpeg"})
    count = len(files)
    print(f"{count} JPEGs of {args.size}, {args.workers} workers")
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        floor = measure_floor(files, args.workers)
        sigal = measure_sigal(library, args.workers, scratch)
        env = {"GALLERY_WORKERS": str(args.workers)}
        full, full_peak = run_measured(gallery("index", str(library), "--home", str(scratch / "full")), env, "full")
        no_colors, nc_peak = run_measured(
            gallery("index", str(library), "--home", str(scratch / "nc"), "--no-colors"), env, "no_colors")
        colors, _ = run_measured(gallery("index", "--home", str(scratch / "nc"), "--colors", "--no-export"), env, "colors")
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine skews wall time;"
          " CPU ms/photo does not)")
    rate = lambda seconds: count / seconds
    cpu = lambda name: f"{CPU[name] / count * 1000:5.0f} CPU ms/photo"
    print(f"floor (draft + thumbnail to 1920): {rate(floor):6.2f} photos/s  {cpu('floor')}")
    if sigal:
        print(f"sigal build (2 JPEG sizes):        {rate(sigal[0]):6.2f} photos/s  {cpu('sigal')}  peak {sigal[1]:.0f} MiB")
    else:
        print("sigal: not installed (pip install '.[bench]')")
    print(f"gallery index, default passes:     {rate(full):6.2f} photos/s  {cpu('full')}  peak {full_peak:.0f} MiB"
          f"  = floor x {full / floor:.2f} wall, x {CPU['full'] / CPU['floor']:.2f} CPU (target <= 1.5)"
          + (f"; {sigal[0] / full:.2f}x sigal's speed (target >= 2)" if sigal else ""))
    print(f"gallery index without colours:     {rate(no_colors):6.2f} photos/s  {cpu('no_colors')}  peak {nc_peak:.0f} MiB"
          f"  = floor x {no_colors / floor:.2f} wall, x {CPU['no_colors'] / CPU['floor']:.2f} CPU (target <= 1.5)")
    print(f"colours alone (MMCQ, numpy):       {rate(colors):6.2f} photos/s  {cpu('colors')} (incl. start-up)")


if __name__ == "__main__":
    main()
