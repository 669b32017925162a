"""Google Photos upload against the local fake (tests/fake_google.py, in its own process): is the
upload limited by the network rather than by us?

    .venv/bin/python bench/bench_upload.py [--large 8 --large-mb 24] [--small 500 --small-kb 48] [--count 10000]

Measured in one run, each beside its baseline:
  large files   MB/s of the upload engine (ledger, events, batchCreate) on --large files of --large-mb
                (raw protocol; 32 MB and up would go resumable), beside a bare `requests` POST of the same
                files to the same endpoint with the same HTTP client (the floor: the fake's own speed)
  small files   files/s of the engine on --small files of --small-kb, beside the bare POSTs
  sidecar RSS   a real `gallery serve` uploads --count files (4 KB each) started by POST
                /api/google/uploads; its event stream is read to the end; the sidecar's RSS is sampled
                every 0.2 s: growth = peak during the upload minus the RSS just before it (the baseline)
Targets (issue 14): >= 50 MB/s, >= 20 files/s for small files, RSS growth < 50 MB.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.google_library import make_upload_home  # noqa: E402

TOKEN = "bench-token"


def serve_fake(connection) -> None:
    from tests.fake_google import FakeGoogle

    fake = FakeGoogle()
    connection.send((fake.base, fake.environ()))
    while True:
        message = connection.recv()
        if message == "token":
            connection.send(fake.stored_token())
        elif message == "stats":
            connection.send((sum(fake.received.values()), sum(fake.created.values())))
        else:
            fake.stop()
            connection.send("stopped")
            return


class FakeProcess:
    """The fake Google in a child process (so its CPU is not ours), driven over a pipe."""

    def __init__(self) -> None:
        self.connection, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("fork").Process(target=serve_fake, args=(child,), daemon=True)
        self.process.start()
        self.base, self._environ = self.connection.recv()

    def environ(self) -> dict[str, str]:
        return dict(self._environ)

    def stored_token(self) -> dict:
        self.connection.send("token")
        return self.connection.recv()

    def stats(self) -> tuple[int, int]:
        self.connection.send("stats")
        return self.connection.recv()

    def stop(self) -> None:
        self.connection.send("stop")
        self.connection.recv()
        self.process.join(10)


def engine_seconds(place) -> float:
    from gallery_builder.db.connection import connect
    from gallery_builder.google.client import PhotosClient
    from gallery_builder.google.engine import UploadRequest, run_upload
    from gallery_builder.google.signin import load_credentials

    db = connect(place.settings.db_path)
    client = PhotosClient(place.settings, load_credentials(place.settings))
    request = UploadRequest(f"bench {time.time()}", tuple(place.photo_ids), place.collection_id)
    started = time.perf_counter()
    ends = []
    run_upload(place.settings, db, request, lambda kind, data: ends.append(kind) if kind in ("done", "fatal") else None,
               client=client)
    elapsed = time.perf_counter() - started
    db.close()
    if ends != ["done"]:
        raise SystemExit(f"the engine's upload ended with {ends}")
    return elapsed


def bare_seconds(place) -> float:
    import requests

    token = json.loads((place.settings.google_dir / "token.json").read_text())["token"]
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream",
               "X-Goog-Upload-Content-Type": "image/jpeg", "X-Goog-Upload-Protocol": "raw"}
    files = sorted((place.home.parent / "photos").iterdir())
    started = time.perf_counter()
    for path in files:
        with open(path, "rb") as handle:
            answer = session.post(f"{place.settings.google_api_base}/v1/uploads", data=handle, headers=headers)
        answer.raise_for_status()
    return time.perf_counter() - started


def total_bytes(place) -> int:
    return sum(path.stat().st_size for path in (place.home.parent / "photos").iterdir())


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def sidecar_rss(fake: FakeProcess, root: Path, count: int) -> tuple[float, float, float, int]:
    from tests.site_servers import free_port

    started = time.perf_counter()
    place = make_upload_home(root, fake, count, size=4096)
    print(f"  made {count} files and their rows in {time.perf_counter() - started:.1f} s", flush=True)
    port = free_port()
    sidecar = subprocess.Popen([sys.executable, "-m", "gallery_builder", "serve", "--home", str(place.home),
                                "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **fake.environ(), "GALLERY_API_TOKEN": TOKEN})
    origin = f"http://127.0.0.1:{port}"
    headers = {"X-Gallery-Token": TOKEN, "Origin": origin, "Content-Type": "application/json"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{origin}/api/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the sidecar did not start")
                time.sleep(0.2)
        urllib.request.urlopen(f"{origin}/api/google/status", timeout=10).close()  # the route's imports
        before = rss_mb(sidecar.pid)
        peak, running = [before], threading.Event()
        running.set()

        def sample() -> None:
            while running.is_set():
                peak.append(rss_mb(sidecar.pid))
                time.sleep(0.2)

        threading.Thread(target=sample, daemon=True).start()
        request = urllib.request.Request(f"{origin}/api/google/uploads", method="POST", headers=headers,
                                         data=json.dumps({"collection": place.collection_id}).encode())
        job = json.loads(urllib.request.urlopen(request, timeout=30).read())["job"]
        events = 0
        started = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(origin + job["events"], headers=headers),
                                    timeout=600) as stream:
            for line in stream:
                if line.startswith(b"event: "):
                    events += 1
                    if line.strip() in (b"event: done", b"event: fatal", b"event: cancelled"):
                        kind = line.strip().decode()
                        break
        elapsed = time.perf_counter() - started
        running.clear()
        if kind != "event: done":
            raise SystemExit(f"the sidecar's upload ended with {kind}")
        return before, max(peak), elapsed, events
    finally:
        sidecar.terminate()
        sidecar.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--large", type=int, default=8, help="large files (default 8)")
    parser.add_argument("--large-mb", type=int, default=24, help="size of each large file in MB (default 24)")
    parser.add_argument("--small", type=int, default=500, help="small files (default 500)")
    parser.add_argument("--small-kb", type=int, default=48, help="size of each small file in KB (default 48)")
    parser.add_argument("--count", type=int, default=10_000, help="files the sidecar uploads for the RSS figure")
    options = parser.parse_args()
    fake = FakeProcess()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-upload-") as folder:
            root = Path(folder)
            large = make_upload_home(root / "large", fake, options.large, size=options.large_mb * 1_000_000)
            megabytes = total_bytes(large) / 1e6
            bare, engine = bare_seconds(large), engine_seconds(large)
            print(f"large files ({options.large} x {options.large_mb} MB): engine {megabytes / engine:.0f} MB/s"
                  f" | bare requests POST {megabytes / bare:.0f} MB/s (baseline) | target >= 50 MB/s", flush=True)
            small = make_upload_home(root / "small", fake, options.small, size=options.small_kb * 1000)
            bare, engine = bare_seconds(small), engine_seconds(small)
            print(f"small files ({options.small} x {options.small_kb} KB): engine {options.small / engine:.0f} files/s"
                  f" | bare requests POST {options.small / bare:.0f} files/s (baseline) | target >= 20 files/s",
                  flush=True)
            before, peak, elapsed, events = sidecar_rss(fake, root / "rss", options.count)
            print(f"sidecar upload of {options.count} files: {options.count / elapsed:.0f} files/s, {events} events;"
                  f" RSS {before:.0f} MB before (baseline), peak {peak:.0f} MB, growth {peak - before:.1f} MB"
                  f" | target < 50 MB", flush=True)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
