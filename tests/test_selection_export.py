"""Export of a selection (`gallery export-selection`, GET /api/selection/export) and collection-scoped
stacking (`gallery stack --collection`), on the corpus's burst and GPS walk."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_gallery

BURST = [f"burst/Issue 247-{n}.nef" for n in (1, 2, 3, 4)]


@pytest.fixture(scope="module")
def home(corpus, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("selection")
    library = base / "lib"
    shutil.copytree(corpus / "burst", library / "burst")
    shutil.copytree(corpus / "exif" / "gps", library / "walk")
    home = base / "home"
    run_gallery("index", str(library), "--home", str(home))
    return home


def ids_by_path(home: Path) -> dict[str, int]:
    from gallery_builder.db.connection import connect

    db = connect(home / "gallery.db", readonly=True)
    try:
        return {row[0]: row[1] for row in db.execute("SELECT path, id FROM photos")}
    finally:
        db.close()


def test_a_collection_exports_in_its_order_with_its_facts(home, tmp_path):
    ids = ids_by_path(home)
    walk = sorted(path for path in ids if path.startswith("walk/"))[:3]
    run_gallery("collection", "create", "Walk picks", "--home", str(home))
    run_gallery("collection", "add", "Walk picks", walk[2], walk[0], walk[1], "--home", str(home))
    run_gallery("flag", "pick", walk[0], "--home", str(home))
    run_gallery("rate", "4", walk[2], "--home", str(home))
    out = tmp_path / "walk.csv"
    result = run_gallery("export-selection", "--collection", "walk picks", "--out", str(out), "--home", str(home))
    assert "wrote 3 photo(s)" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["path"] for row in rows] == [walk[2], walk[0], walk[1]]  # the manual order
    assert [row["flag"] for row in rows] == ["", "pick", ""]
    assert [row["stars"] for row in rows] == ["4", "0", "0"]
    assert all(row["collections"] == "Walk picks" for row in rows)
    assert all(row["taken_at"] and row["camera"] and row["country"] for row in rows), rows

    as_json = json.loads(run_gallery("export-selection", "--picks", "--format", "json", "--home", str(home)).stdout)
    assert [photo["path"] for photo in as_json["photos"]] == [walk[0]] and as_json["count"] == 1
    rated = json.loads(run_gallery("export-selection", "--rated", "4", "--format", "json",
                                   "--home", str(home)).stdout)
    assert [photo["stars"] for photo in rated["photos"]] == [4]


def test_one_selection_at_a_time_and_unknown_ones_are_named(home):
    both = run_gallery("export-selection", "--picks", "--rated", "2", "--home", str(home), check=False)
    assert both.returncode == 2 and "choose one selection" in both.stderr
    unknown = run_gallery("export-selection", "--collection", "nope", "--home", str(home), check=False)
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    missing = run_gallery("export-selection", "99999", "--home", str(home), check=False)
    assert missing.returncode == 2 and "99999" in missing.stderr


def test_stack_collection_stacks_only_its_photos(home):
    ids = ids_by_path(home)
    run_gallery("collection", "create", "Nothing", "--home", str(home))
    empty = run_gallery("stack", "--collection", "Nothing", "--dry-run", "--home", str(home))
    assert "has no photos" in empty.stdout
    run_gallery("collection", "create", "Burst", "--home", str(home))
    run_gallery("collection", "add", "Burst", *BURST[:2], "--home", str(home))
    dry = run_gallery("stack", "--collection", "Burst", "--dry-run", "--home", str(home))
    assert "would be stored" in dry.stdout
    assert str(ids[BURST[0]]) in dry.stdout or "Issue 247" in dry.stdout
    assert "walk/" not in dry.stdout
    wrong = run_gallery("stack", "--collection", "Burst", "--folder", "burst", "--home", str(home), check=False)
    assert wrong.returncode == 2


@pytest.fixture(scope="module")
def api_library(tmp_path_factory) -> Path:
    from tests.search_library import build_home

    return build_home(tmp_path_factory.mktemp("selection_api"), passes=("exif", "thumbs"))


def test_the_sidecar_downloads_a_collection_picks_and_a_multi_selection(api_library):
    from tests.test_decisions_api import make_client, photo_ids, pretend_a_watcher_runs

    pretend_a_watcher_runs(api_library)
    client = make_client(api_library)
    ids = photo_ids(api_library)[:4]
    collection = client.post("/api/collections", json={"name": "Trip / 2023"}).json()["id"]
    assert client.post(f"/api/collections/{collection}/photos", json={"add": [ids[3], ids[1]]}).status_code == 200
    assert client.post("/api/photos/flag", json={"ids": [ids[2]], "flag": "pick"}).status_code == 200

    answer = client.get(f"/api/selection/export?collection={collection}&format=csv")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == 'attachment; filename="collection-Trip-2023.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [int(row["photo_id"]) for row in rows] == [ids[3], ids[1]]
    assert {row["collections"] for row in rows} == {"Trip / 2023"}

    picks = client.get("/api/selection/export?picks=1&format=json").json()
    assert [photo["photo_id"] for photo in picks["photos"]] == [ids[2]] and picks["count"] == 1

    chosen = client.post("/api/selection/export", json={"ids": [ids[0], ids[2], ids[0]], "format": "json"}).json()
    assert [photo["photo_id"] for photo in chosen["photos"]] == [ids[0], ids[2]]

    assert client.get("/api/selection/export?collection=999999").status_code == 404
    assert client.get("/api/selection/export?picks=1&rated=2").status_code == 400
    assert client.get("/api/selection/export?picks=1&format=xml").status_code == 400
    too_many = client.post("/api/selection/export", json={"ids": list(range(1, 100_002))})
    assert too_many.status_code == 413


def test_a_large_selection_streams_in_chunks_with_one_header(api_library):
    from gallery_builder.db import selection
    from tests.test_decisions_api import make_client, photo_ids

    client = make_client(api_library)
    ids = photo_ids(api_library)
    original, selection.CHUNK = selection.CHUNK, 2
    try:
        import search_api.selection as route_module
        route_module.CHUNK = 2
        text = client.post("/api/selection/export", json={"ids": ids, "format": "csv"}).text
    finally:
        selection.CHUNK = original
        route_module.CHUNK = original
    lines = text.strip().split("\r\n")
    assert lines[0].startswith("photo_id,root,path") and lines.count(lines[0]) == 1
    assert [int(line.split(",")[0]) for line in lines[1:]] == ids
