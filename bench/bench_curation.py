"""A person's decisions: how fast a flag is written, and how soon the static pages show it.

    .venv/bin/python bench/bench_curation.py [--count 400] [--writes 200]

Makes a sample library of --count photos (gallery sample-library), indexes and builds it, sets a
password and starts the real sidecar (`gallery serve`), signs in, then measures in one run:
  write, idle        POST /api/photos/flag over HTTP (p50 / p95), nothing else running: the baseline
  write, indexing    the same while `gallery index --force-thumbs --force-colors` rewrites the
                     library in batches (the indexer's batch transactions against the sidecar's writes)
  republish          from a write to the static photo page (served from <home>/site) carrying it:
                     the sidecar's debounced export + incremental build, beside a plain
                     `gallery export` + `gallery build` of the same home timed as the baseline
Targets (the curation issue): a writing route p50 < 20 ms while the indexer runs; a toggle in the
static pages < 10 s after the write.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "bench password 1"


def gallery(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gallery_builder", *args], cwd=REPO, check=True,
                          capture_output=True, text=True, **options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"gave up waiting {timeout:.0f} s for {what}")
        time.sleep(0.05)
    return time.perf_counter() - started


class Client:
    """A signed-in browser's cookie jar against the sidecar."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        request = urllib.request.Request(base + "/api/signin", data=json.dumps({"password": PASSWORD}).encode(),
                                         headers={"Content-Type": "application/json", "Origin": base}, method="POST")
        self.opener.open(request, timeout=30).read()

    def flag(self, photo_id: int, flag: str | None) -> float:
        body = json.dumps({"ids": [photo_id], "flag": flag}).encode()
        request = urllib.request.Request(self.base + "/api/photos/flag", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "Origin": self.base})
        started = time.perf_counter()
        self.opener.open(request, timeout=30).read()
        return (time.perf_counter() - started) * 1000


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"p50 {statistics.median(ordered):.1f} ms, p95 {ordered[int(len(ordered) * 0.95) - 1]:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=400, help="photos in the sample library")
    parser.add_argument("--writes", type=int, default=200, help="writes per latency measurement")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-curation-"))
    home, photos = work / "home", work / "photos"
    print(f"library: {args.count} sample photos in {work}", flush=True)
    gallery("sample-library", str(photos), "--count", str(args.count))
    gallery("index", str(photos), "--home", str(home), "--no-geocode")
    gallery("build", "--home", str(home))
    gallery("passwd", "--home", str(home), "--password-stdin", input=PASSWORD + "\n")
    port = free_port()
    sidecar = subprocess.Popen([sys.executable, "-m", "gallery_builder", "serve", "--home", str(home),
                                "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(base + "/api/health"), 60, "the sidecar")
        client = Client(base)
        ids = [row["id"] for row in _photo_rows(home)]
        idle = [client.flag(ids[index % len(ids)], "pick" if index % 2 else None) for index in range(args.writes)]
        print(f"write, idle (baseline):     {percentiles(idle)}", flush=True)

        indexer = subprocess.Popen([sys.executable, "-m", "gallery_builder", "index", "--home", str(home),
                                    "--force-thumbs", "--force-colors", "--no-geocode"], cwd=REPO,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _in_pass_stage(home) or indexer.poll() is not None, 120, "the indexer's passes")
        busy: list[float] = []
        index = 0
        while indexer.poll() is None:      # writes spread over the indexer's batches, until it ends
            busy.append(client.flag(ids[index % len(ids)], "reject" if index % 2 else None))
            index += 1
            time.sleep(0.01)
        indexer.wait()
        if len(busy) < 20:
            raise SystemExit(f"only {len(busy)} writes overlapped the indexer: use a larger --count")
        print(f"write, while indexing:      {percentiles(busy)} over {len(busy)} writes (target p50 < 20 ms)",
              flush=True)

        started = time.perf_counter()
        gallery("export", "--home", str(home))
        gallery("build", "--home", str(home))
        plain = time.perf_counter() - started
        target = ids[len(ids) // 2]
        page = home / "site" / "photos" / str(target // 1000) / f"{target}.html"
        before = page.read_text(encoding="utf-8")
        flag = "reject" if 'data-built-flag="pick"' in before else "pick"
        client.flag(target, flag)
        seconds = wait_until(lambda: f'data-built-flag="{flag}"' in page.read_text(encoding="utf-8"), 120,
                             "the republished page")
        print(f"republish after a write:    {seconds:.2f} s (baseline: a plain export + build {plain:.2f} s;"
              f" target < 10 s)", flush=True)
    finally:
        sidecar.terminate()
        sidecar.wait(30)


def _in_pass_stage(home: Path) -> bool:
    try:
        progress = json.loads((home / "progress.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return progress.get("state") == "running" and progress.get("stage") == "pass"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _photo_rows(home: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return [row for row in pq.read_table(home / "parquet" / "photos.parquet", columns=["id", "status"]).to_pylist()
            if row["status"] == "ok"]


if __name__ == "__main__":
    os.environ.setdefault("GALLERY_PROGRESS", "0")
    main()
