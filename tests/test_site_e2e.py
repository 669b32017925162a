"""End to end as a user does it: a generated library -> `gallery index` -> `gallery build` ->
nginx (and the real sidecar behind /api/), checked over HTTP: every indexed photo has its page,
its thumbnails and its original; a new folder indexed later shows up after an incremental build."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from gallery_builder.core.urls import photo_url
from tests.conftest import REPO, run_gallery
from tests.site_servers import Nginx

pytestmark = [pytest.mark.nginx, pytest.mark.slow]


def indexed(home: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return [row for row in pq.read_table(home / "parquet" / "photos.parquet").to_pylist() if row["status"] == "ok"]


@pytest.fixture(scope="module")
def base() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="gallery-site-e2e-"))
    os.chmod(folder, 0o755)              # nginx's workers (nobody) read the photos and the site
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_index_build_serve_and_grow(base):
    home, photos = base / "home", base / "photos"
    run_gallery("sample-library", str(photos / "2019 trip"), "--count", "14", "--seed", "5")
    (photos / "2019 trip" / "ground_truth.json").unlink()
    run_gallery("index", str(photos), "--home", str(home), "--workers", "2")
    report = run_gallery("build", "--home", str(home))
    assert "published generation 1" in report.stdout
    rows = indexed(home)
    assert len(rows) >= 12
    nginx = Nginx(home)
    sidecar = subprocess.Popen([sys.executable, "-m", "gallery_builder", "serve", "--home", str(home),
                                "--port", str(nginx.sidecar_port)], cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for row in rows:
            status, _, body = nginx.get("/" + photo_url(row["id"]))
            assert status == 200 and row["name"].encode() in body
            for width in row["thumb_widths"]:
                extension = "webp" if width == 400 else "jpg"
                key = row["thumb_key"]
                assert nginx.get(f"/thumbs/{key[:2]}/{key}-{width}.{extension}")[0] == 200
        first = rows[0]
        status, _, body = nginx.get("/originals/" + first["root"] + "/" + urllib.request.quote(first["path"]))
        assert status == 200 and body == (photos / first["path"]).read_bytes()
        year = first["taken_at"][:4]
        assert nginx.get(f"/years/{year}/")[0] == 200
        assert _api_search_links_to_site_pages(nginx, year)

        run_gallery("sample-library", str(photos / "2024 new card"), "--count", "12", "--seed", "9")
        (photos / "2024 new card" / "ground_truth.json").unlink()
        run_gallery("index", "--home", str(home), "--workers", "2")
        report = run_gallery("build", "--home", str(home))
        assert "removed 0 pages; published generation 2" in report.stdout
        new_rows = [row for row in indexed(home) if row["path"].startswith("2024 new card/")]
        assert len(new_rows) >= 10
        for row in new_rows:
            assert nginx.get("/" + photo_url(row["id"]))[0] == 200
        rendered = int(report.stdout.split("Rendered ")[1].split(",")[0].replace(",", ""))
        assert rendered < len(indexed(home)) + 40          # not a full re-render of every page
    finally:
        os.killpg(sidecar.pid, 15)
        sidecar.wait(timeout=30)
        nginx.stop()


def _api_search_links_to_site_pages(nginx: Nginx, year: str) -> bool:
    """The real sidecar answers through nginx; each result's `url` leads to a page of the site."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, _, body = nginx.get(f"/api/search?q={year}&limit=5")
        if status == 200:
            break
        time.sleep(0.5)
    assert status == 200, body[:300]
    results = json.loads(body)["results"]
    assert results
    for result in results:
        target = result["url"]
        for _ in range(2):                                   # the short permalink form redirects once
            code, headers, _ = nginx.get(target)
            if code == 302:
                target = headers["Location"].replace(nginx.base, "")
        assert code == 200, (result["url"], code)
    return True


def test_serve_with_site_serves_the_built_site(base):
    """`gallery serve --with-site` (no nginx): pages, photo buckets and assets, which are symlinks
    into the shared store of the generations, are served."""
    home = base / "home"
    if not (home / "site").exists():
        pytest.skip("needs the site of test_index_build_serve_and_grow")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "gallery_builder", "serve", "--home", str(home), "--with-site",
                               "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        row = indexed(home)[0]
        bundle = next((home / "site" / "assets").iterdir()).name
        for path in ["/", f"/years/{row['taken_at'][:4]}/", "/" + photo_url(row["id"]), f"/assets/{bundle}/js/grid.js"]:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                        assert response.status == 200
                        break
                except urllib.error.HTTPError as error:
                    raise AssertionError(f"{path}: HTTP {error.code}") from error
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
