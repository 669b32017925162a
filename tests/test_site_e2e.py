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
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gallery_builder.core.urls import photo_url
from tests.conftest import REPO, run_gallery
from tests.site_servers import Nginx
from tests.waiting import wait_for

pytestmark = [pytest.mark.nginx, pytest.mark.slow]


def indexed(home: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return [row for row in pq.read_table(home / "parquet" / "photos.parquet").to_pylist() if row["status"] == "ok"]


@pytest.fixture(scope="module")
def base() -> Path:
    """A generated library indexed and built once (generation 1), in a folder nginx's workers
    (nobody) can read; each test below starts from it, in any order."""
    folder = Path(tempfile.mkdtemp(prefix="gallery-site-e2e-"))
    os.chmod(folder, 0o755)
    home, photos = folder / "home", folder / "photos"
    run_gallery("sample-library", str(photos / "2019 trip"), "--count", "14", "--seed", "5")
    (photos / "2019 trip" / "ground_truth.json").unlink()
    run_gallery("index", str(photos), "--home", str(home), "--workers", "2")
    report = run_gallery("build", "--home", str(home))
    assert "published generation 1" in report.stdout
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_index_build_serve_and_grow(base):
    home, photos = base / "home", base / "photos"
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
        assert "removed 0 pages; published generation 2" in report.stdout, report.stdout
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
    def search() -> bytes | None:
        status, _, body = nginx.get(f"/api/search?q={year}&limit=5")
        return body if status == 200 else None       # 502 until the sidecar listens

    results = json.loads(wait_for(search, 60, "the sidecar answering /api/search through nginx", interval=0.5))["results"]
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
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "gallery_builder", "serve", "--home", str(home), "--with-site",
                               "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        row = indexed(home)[0]
        bundle = next((home / "site" / "assets").iterdir()).name

        def status_of(path: str) -> int | None:
            """The HTTP status of a GET, or None while nothing listens yet."""
            if server.poll() is not None:
                raise AssertionError(f"gallery serve --with-site exited ({server.returncode})")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code
            except OSError:
                return None

        wait_for(lambda: status_of("/") is not None, 60, f"gallery serve --with-site listening on port {port}",
                 interval=0.2)
        paths = ["/", f"/years/{row['taken_at'][:4]}/", "/" + photo_url(row["id"]), f"/assets/{bundle}/js/grid.js"]
        assert {path: status_of(path) for path in paths} == {path: 200 for path in paths}
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
