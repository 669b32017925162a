"""Shoot review (culling): grouping by time and look, the proposal by the best-first order, a
person's toggles surviving re-proposal, acceptance as picks or a collection, the index's analysis
stage proposing by itself, and the sidecar's routes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gallery_builder.analysis.review import ReviewPhoto, ReviewRules, best_first_key, group_shoot
from tests.conftest import run_gallery


def photo(photo_id, seconds, phash=0, **kwargs) -> ReviewPhoto:
    return ReviewPhoto(photo_id, seconds, phash, **kwargs)


def test_frames_group_while_close_in_time_and_alike_in_look():
    rules = ReviewRules(gap_seconds=60, phash_distance=10)
    far_look = (1 << 40) - 1  # 40 bits differ from 0
    groups = group_shoot([photo(1, 0), photo(2, 30), photo(3, 59 + 30), photo(4, 200), photo(5, 210, far_look),
                          photo(6, None)], rules)
    assert [group.members for group in groups] == [[1, 2, 3], [4], [5], [6]]


def test_the_proposal_follows_best_first_then_exposure():
    sharp, soft = dict(sharpness=900.0), dict(sharpness=100.0)
    assert group_shoot([photo(1, 0, **soft), photo(2, 1, **sharp)])[0].best == 2
    assert group_shoot([photo(1, 0, stars=4, **soft), photo(2, 1, **sharp)])[0].best == 1  # stars over sharpness
    trusted = dict(rating=1700.0, comparisons=3, stars=1)
    assert group_shoot([photo(1, 0, stars=4), photo(2, 1, **trusted)])[0].best == 2  # a trusted rating first
    untrusted = dict(rating=1900.0, comparisons=2)
    assert group_shoot([photo(1, 0, stars=4), photo(2, 1, **untrusted)])[0].best == 1
    scored = dict(aesthetic=8.0)
    assert group_shoot([photo(1, 0, **sharp), photo(2, 1, **scored)])[0].best == 2  # the aesthetic score joins
    blown = dict(sharpness=5000.0, clipped=0.6)
    assert group_shoot([photo(1, 0, **soft), photo(2, 1, **blown)])[0].best == 1
    assert best_first_key(photo(9, 0)) > best_first_key(photo(8, 0, sharpness=1.0))
    blinking = dict(sharpness=5000.0, stars=5, eyes_closed=True)
    assert group_shoot([photo(1, 0, **soft), photo(2, 1, **blinking)])[0].best == 1  # someone blinks: last
    assert group_shoot([photo(1, 0, **soft, eyes_closed=False), photo(2, 1, **sharp)])[0].best == 2


def shot(path: Path, when: str, seed: int, blur: float = 0.0) -> None:
    """A textured 640x480 JPEG taken at `when` by one camera; `seed` sets the scene, `blur` softens it."""
    import numpy as np
    from PIL import ExifTags, Image, ImageFilter

    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)
    image = Image.fromarray(blocks).resize((640, 480), Image.NEAREST)
    noise = Image.fromarray(rng.integers(0, 60, (480, 640, 3), dtype=np.uint8))
    image = Image.blend(image, noise, 0.25)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    exif = Image.Exif()
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "Testcam", "T1"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = when
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=92, exif=exif)


@pytest.fixture(scope="module")
def shoot(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("review")
    day = base / "lib" / "2023-05-14"
    shot(day / "a1.jpg", "2023:05:14 10:00:00", 1, blur=3)
    shot(day / "a2.jpg", "2023:05:14 10:00:02", 1)            # the sharp one of the first scene
    shot(day / "a3.jpg", "2023:05:14 10:00:04", 1, blur=3)
    shot(day / "b1.jpg", "2023:05:14 10:00:09", 2, blur=2)    # another scene, seconds later
    shot(day / "b2.jpg", "2023:05:14 10:30:00", 2)            # the same scene half an hour later
    shot(base / "lib" / "2022-01-01" / "old.jpg", "2022:01:01 09:00:00", 3)
    home = base / "home"
    run_gallery("index", str(base / "lib"), "--home", str(home))
    return base / "lib", home


def ids(home: Path) -> dict[str, int]:
    from gallery_builder.db.connection import connect

    db = connect(home / "gallery.db", readonly=True)
    try:
        return {row[0]: row[1] for row in db.execute("SELECT name, id FROM photos")}
    finally:
        db.close()


def test_the_index_proposes_recent_shoots_and_review_shows_them(shoot):
    _, home = shoot
    listed = run_gallery("review", "list", "--home", str(home)).stdout.splitlines()
    assert "2023-05-14" in listed[0] and "2022-01-01" in listed[1]  # most recent shoot first
    assert "5 photos    3 groups    3 selected" in " ".join(listed[0].split("  ")).replace("  ", " ") or \
        ("5 photos" in listed[0] and "3 groups" in listed[0] and "3 selected" in listed[0]), listed[0]
    shown = run_gallery("review", "show", "lib/2023-05-14", "--home", str(home)).stdout
    by_name = ids(home)
    lines = {line.split()[-1].split("/")[-1]: line for line in shown.splitlines() if line.startswith("  [")}
    assert lines["a2.jpg"].startswith("  [x]*") and lines["a1.jpg"].startswith("  [ ] ")
    assert lines["b1.jpg"].startswith("  [x]*") and lines["b2.jpg"].startswith("  [x]*")
    assert str(by_name["a2.jpg"]) in lines["a2.jpg"]


def test_toggles_survive_a_new_proposal_and_accept_writes_picks_and_collections(shoot):
    _, home = shoot
    by_name = ids(home)
    run_gallery("review", "propose", "2023-05-14", "--home", str(home))  # the same photos as a capture day
    run_gallery("review", "select", "2023-05-14", str(by_name["a3.jpg"]), "--home", str(home))  # toggled there
    run_gallery("review", "unselect", "lib/2023-05-14", str(by_name["b2.jpg"]), "--home", str(home))
    outside = run_gallery("review", "select", "lib/2023-05-14", str(by_name["old.jpg"]), "--home", str(home),
                          check=False)
    assert outside.returncode == 2 and "nothing written" in outside.stderr
    run_gallery("review", "propose", "lib/2023-05-14", "--force", "--home", str(home))
    shown = run_gallery("review", "show", "lib/2023-05-14", "--home", str(home)).stdout
    selected = {line.split()[-1].split("/")[-1] for line in shown.splitlines() if line.startswith("  [x]")}
    assert selected == {"a2.jpg", "a3.jpg", "b1.jpg"}
    kept = json.loads(run_gallery("export-selection", "--review", "lib/2023-05-14", "--format", "json",
                                  "--home", str(home)).stdout)
    assert {row["path"].split("/")[-1] for row in kept["photos"]} == selected
    accepted = run_gallery("review", "accept", "lib/2023-05-14", "--as", "picks", "--reject-others",
                           "--home", str(home)).stdout
    assert "accepted 3 photo(s) as picks (3 newly picked, 2 newly rejected)" in accepted
    run_gallery("review", "accept", "lib/2023-05-14", "--as", "collection", "--collection", "May best",
                "--home", str(home))
    exported = json.loads(run_gallery("export-selection", "--collection", "May best", "--format", "json",
                                      "--home", str(home)).stdout)
    assert {row["path"].split("/")[-1] for row in exported["photos"]} == {"a2.jpg", "a3.jpg", "b1.jpg"}
    assert {row["flag"] for row in exported["photos"]} == {"pick"}
    unknown = run_gallery("review", "show", "nowhere/at-all", "--home", str(home), check=False)
    assert unknown.returncode == 2


def test_the_sidecar_lists_shows_toggles_and_accepts(shoot):
    from tests.test_decisions_api import make_client, pretend_a_watcher_runs

    _, home = shoot
    pretend_a_watcher_runs(home)
    client = make_client(home)
    shoots = client.get("/api/review/shoots").json()["shoots"]
    key = next(item["shoot_key"] for item in shoots if item["label"].endswith("2023-05-14"))
    review = client.get("/api/review/shoot", params={"key": key}).json()
    photos = {item["path"].split("/")[-1]: item for group in review["groups"] for item in group["photos"]}
    assert photos["a2.jpg"]["proposed"] and photos["a2.jpg"]["thumb"].startswith("/thumbs/")
    answer = client.post("/api/review/select", json={"key": key, "ids": [photos["a1.jpg"]["id"]], "selected": True})
    assert answer.status_code == 200 and answer.json()["changed"] == 1
    again = client.post("/api/review/select", json={"key": key, "ids": [photos["a1.jpg"]["id"]], "selected": True})
    assert again.json()["changed"] == 0  # idempotent
    assert client.post("/api/review/select", json={"key": "day:1999-01-01", "ids": [1], "selected": True}
                       ).status_code == 404
    download = client.get("/api/review/shoot", params={"key": key}).json()
    kept = {item["id"] for group in download["groups"] for item in group["photos"] if item["selected"]}
    exported = client.get("/api/selection/export", params={"review": key, "format": "json"})
    assert exported.status_code == 200 and "review-" in exported.headers["content-disposition"]
    assert {row["photo_id"] for row in exported.json()["photos"]} == kept
    assert client.get("/api/selection/export", params={"review": "day:1999-01-01"}).status_code == 404
    accepted = client.post("/api/review/accept", json={"key": key, "as": "picks"})
    assert accepted.status_code == 200 and "as picks" in accepted.json()["message"]
    from search_api.write_guard import TOKEN_HEADER

    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {TOKEN_HEADER: "guess"}):
        for path, body in (("/api/review/select", {"key": key, "ids": [photos["a1.jpg"]["id"]], "selected": False}),
                           ("/api/review/accept", {"key": key, "as": "picks"})):
            assert client.post(path, json=body, headers=headers).status_code == 403, (path, headers)
    assert make_client(home, token="").post("/api/review/accept", json={"key": key, "as": "picks"}).status_code == 403
    assert client.get("/api/review/shoot", params={"key": key}).json()["groups"]  # reading stays open


def test_the_export_carries_the_review_selections(shoot):
    import pyarrow.parquet as pq

    _, home = shoot
    run_gallery("export", "--home", str(home))
    rows = pq.read_table(home / "parquet" / "review_selections.parquet").to_pylist()
    assert rows and {type(row["selected"]) for row in rows} == {bool}
    assert {row["shoot"].split("/")[-1] for row in rows} >= {"2023-05-14", "2022-01-01"}
    assert sum(row["proposed"] for row in rows if row["shoot_key"].startswith("folder:")) == 4  # 3 + 1 groups


def test_the_proposal_follows_an_aesthetic_score_then_a_rating_from_the_database(shoot, tmp_path):
    import shutil

    from tests.test_stacks_library import judge

    _, shared = shoot
    home = tmp_path / "home"
    shutil.copytree(shared, home)
    by_name = ids(home)

    def proposed() -> set[str]:
        run_gallery("review", "propose", "lib/2023-05-14", "--home", str(home))   # only when its inputs changed
        shown = run_gallery("review", "show", "lib/2023-05-14", "--home", str(home)).stdout
        return {line.split()[-1].split("/")[-1] for line in shown.splitlines() if line.startswith("  [") and
                line[5] == "*"}

    judge(home, aesthetic={by_name["a3.jpg"]: 9.0})          # blurry, but scored: it beats the sharp a2
    assert {"a3.jpg", "b1.jpg", "b2.jpg"} == proposed()
    judge(home, rating={by_name["a1.jpg"]: 2100.0})          # compared 5 times and won: above a3's 0.9
    assert {"a1.jpg", "b1.jpg", "b2.jpg"} == proposed()


def test_a_frame_where_someone_blinks_is_not_proposed(shoot, tmp_path):
    """Faces with 68 landmarks (what the dlib backend stores): closed eyes on the sharp a2 hand the
    proposal of its group to the next best frame; opening them gives it back."""
    import json
    import shutil

    from gallery_builder.db.connection import connect
    from tests.test_eyes import face

    _, shared = shoot
    home = tmp_path / "home"
    shutil.copytree(shared, home)
    by_name = ids(home)

    def proposed() -> set[str]:
        run_gallery("review", "propose", "lib/2023-05-14", "--home", str(home))
        shown = run_gallery("review", "show", "lib/2023-05-14", "--home", str(home)).stdout
        return {line.split()[-1].split("/")[-1] for line in shown.splitlines() if line.startswith("  [") and
                line[5] == "*"}

    def set_eyes(openness: float) -> None:
        db = connect(home / "gallery.db")
        db.execute("DELETE FROM faces")
        db.execute("INSERT INTO faces (photo_id, backend, x, y, w, h, landmarks, score, size_px) VALUES"
                   " (?, 'dlib', 0.3, 0.3, 0.3, 0.3, ?, 0.99, 120)", (by_name["a2.jpg"], json.dumps(face(openness))))
        db.close()

    assert "a2.jpg" in proposed()
    set_eyes(0.05)
    assert "a2.jpg" not in proposed() and ({"a1.jpg", "a3.jpg"} & proposed())
    set_eyes(0.6)
    assert "a2.jpg" in proposed()
