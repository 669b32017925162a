"""Flags and stars as a person uses them: real nginx, the real sidecar and headless Chromium.

Signed out, the decision buttons are off and the page says how to sign in; signed in, keys and taps
write through the sidecar, the change shows at once (live overlay) and in another browser, the
sidecar republishes the static pages by itself, the state survives a sidecar restart, and a
signed-out or cross-site write is refused. A home with no password says how to enable writing.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gallery_builder.core.urls import photo_url
from tests.conftest import REPO, run_gallery
from tests.site_servers import Nginx, browser_context, collect_errors, screenshot
from tests.waiting import wait_for

pytestmark = [pytest.mark.nginx, pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
LIGHTBOX_STATE = "document.documentElement.getAttribute('data-lightbox')"


def indexed(home: Path) -> list[dict]:
    import pyarrow.parquet as pq

    rows = pq.read_table(home / "parquet" / "photos.parquet").to_pylist()
    return sorted((row for row in rows if row["status"] == "ok"), key=lambda row: row["id"])


class Sidecar:
    """`gallery serve` behind nginx's /api/ (restartable)."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port, self.process = home, port, None

    def start(self, nginx: Nginx) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gallery_builder", "serve", "--home", str(self.home), "--port", str(self.port)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: nginx.get("/api/health")[0] == 200, 60, "the sidecar answering through nginx")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def make_home(count: int, password: str | None) -> tuple[Path, Path]:
    folder = Path(tempfile.mkdtemp(prefix="gallery-curation-"))
    os.chmod(folder, 0o755)     # nginx's workers read the site
    home, photos = folder / "home", folder / "photos"
    run_gallery("sample-library", str(photos / "2019 trip"), "--count", str(count), "--seed", "3")
    (photos / "2019 trip" / "ground_truth.json").unlink()
    run_gallery("index", str(photos), "--home", str(home), "--workers", "2", "--no-geocode")
    run_gallery("build", "--home", str(home))
    if password:
        subprocess.run([sys.executable, "-m", "gallery_builder", "passwd", "--home", str(home), "--password-stdin"],
                       input=password + "\n", text=True, check=True, cwd=REPO, capture_output=True)
    return folder, home


@pytest.fixture(scope="module")
def served():
    folder, home = make_home(10, PASSWORD)
    nginx = Nginx(home)
    sidecar = Sidecar(home, nginx.sidecar_port)
    sidecar.start(nginx)
    yield home, nginx, sidecar
    sidecar.stop()
    nginx.stop()
    shutil.rmtree(folder, ignore_errors=True)


def decisions_of(nginx: Nginx, photo_id: int) -> dict:
    status, _, body = nginx.get(f"/api/decisions?ids={photo_id}")
    assert status == 200, body
    [decision] = json.loads(body)["decisions"] or [{"id": photo_id, "flag": None, "stars": 0}]
    return decision


def sign_in(page, nginx: Nginx, next_path: str) -> None:
    page.goto(nginx.base + "/signin?next=" + urllib.request.quote(next_path))
    page.fill("#password", PASSWORD)
    page.click("form[action='/api/signin'] button[type='submit'], form[action='/api/signin'] input[type='submit']")
    page.wait_for_url(nginx.base + next_path)


def post(nginx: Nginx, path: str, body: dict, headers: dict[str, str]) -> int:
    request = urllib.request.Request(nginx.base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_flags_and_stars_from_keys_and_taps_live_everywhere_and_republished(served):
    home, nginx, sidecar = served
    rows = indexed(home)
    first, second = rows[0], rows[1]
    photo_path = "/" + photo_url(first["id"])
    year_path = f"/years/{first['taken_at'][:4]}/"

    for context in browser_context(has_touch=True):                    # the person who curates
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(nginx.base + photo_path)
        panel = page.locator("main .decide")
        page.wait_for_selector("main .decide .decide-note a[href^='/signin']")   # signed out: a sign-in link
        assert panel.locator("button[data-set='flag:pick']").is_disabled()

        sign_in(page, nginx, photo_path)
        page.wait_for_selector("main .decide button[data-set='flag:pick']:not([disabled])")
        page.keyboard.press("p")                                       # Lightroom's key: pick
        page.wait_for_selector("main .decide[data-flag='pick']")
        wait_for(lambda: decisions_of(nginx, first["id"])["flag"] == "pick", 30, "the pick reaching the database")
        page.keyboard.press("4")
        wait_for(lambda: decisions_of(nginx, first["id"])["stars"] == 4, 30, "four stars reaching the database")

        page.goto(nginx.base + year_path)                              # the grid shows it before any rebuild
        card = page.locator(f"a.card[data-id='{first['id']}']").first
        card.wait_for()
        wait_for(lambda: "is-pick" in (card.get_attribute("class") or ""), 30, "the live pick badge on the card")
        page.locator(f"a.card[data-id='{second['id']}']").first.click()   # the lightbox, by touch
        page.wait_for_selector(".pswp--open .pswp-decide .decide")
        page.locator(".pswp-decide button[data-set='flag:reject']").tap()
        page.wait_for_selector(".pswp-decide .decide[data-flag='reject']")
        page.keyboard.press("2")                                       # keys work in the lightbox too
        wait_for(lambda: decisions_of(nginx, second["id"]) == {"id": second["id"], "flag": "reject", "stars": 2},
                 30, "the lightbox's reject and two stars reaching the database",
                 details=lambda: f"{decisions_of(nginx, second['id'])}, lightbox={page.evaluate(LIGHTBOX_STATE)}")
        screenshot(page, "curation-lightbox")
        cookie = "; ".join(f"{item['name']}={item['value']}" for item in context.cookies())
        assert [error for error in errors if "/signin" not in error] == []

    for context in browser_context():                                  # a second device, signed out
        viewer = context.new_page()
        viewer.goto(nginx.base + year_path)
        seen = viewer.locator(f"a.card[data-id='{second['id']}']").first
        seen.wait_for()
        wait_for(lambda: "is-reject" in (seen.get_attribute("class") or ""), 30,
                 "the other browser's card showing the reject")
        assert "\u2605\u2605" in seen.locator(".card-decision").inner_text()

    # the sidecar republishes by itself: the static photo page carries the pick and four stars
    wait_for(lambda: b'data-built-flag="pick" data-built-stars="4"' in nginx.get(photo_path)[2], 120,
             "the republished static photo page")

    own = {"Origin": nginx.base, "Cookie": cookie}
    assert post(nginx, "/api/photos/flag", {"ids": [rows[2]["id"]], "flag": "pick"}, own) == 200
    assert post(nginx, "/api/photos/flag", {"ids": [rows[3]["id"]], "flag": "pick"},
                {"Origin": "http://evil.example", "Cookie": cookie}) == 403    # cross-site
    assert post(nginx, "/api/photos/flag", {"ids": [rows[3]["id"]], "flag": "pick"}, {"Origin": nginx.base}) == 403

    def rate(photo_id: int, stars: int) -> None:
        assert post(nginx, "/api/photos/stars", {"ids": [photo_id], "stars": stars}, own) == 200

    writers = [threading.Thread(target=rate, args=(row["id"], 1 + index % 5)) for index, row in enumerate(rows[4:10])]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    assert [decisions_of(nginx, row["id"])["stars"] for row in rows[4:10]] == [1 + i % 5 for i in range(6)]

    sidecar.stop()                                                     # sidecar down: pages still browse
    status, _, body = nginx.get(photo_path)
    assert status == 200 and b'data-built-flag="pick"' in body
    sidecar.start(nginx)                                               # and the decisions are still there
    assert decisions_of(nginx, first["id"]) == {"id": first["id"], "flag": "pick", "stars": 4}
    assert decisions_of(nginx, rows[3]["id"])["flag"] is None


def test_without_a_password_the_site_is_read_only_and_says_how_to_enable_writing(tmp_path):
    folder, home = make_home(3, None)
    nginx = Nginx(home)
    sidecar = Sidecar(home, nginx.sidecar_port)
    try:
        sidecar.start(nginx)
        photo_id = indexed(home)[0]["id"]
        for context in browser_context():
            page = context.new_page()
            page.goto(nginx.base + "/" + photo_url(photo_id))
            page.wait_for_selector("main .decide .decide-note code")
            assert "gallery passwd" in page.locator("main .decide .decide-note").inner_text()
            page.keyboard.press("p")
            page.wait_for_selector("#decide-message.shown")
            assert "read-only" in page.locator("#decide-message").inner_text()
        assert post(nginx, "/api/photos/flag", {"ids": [photo_id], "flag": "pick"}, {"Origin": nginx.base}) == 403
        assert decisions_of(nginx, photo_id)["flag"] is None
    finally:
        sidecar.stop()
        nginx.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_grid_filters_show_picks_ratings_and_hide_rejected(tmp_path):
    """Decisions made from the CLI reach the static grid; its filter bar narrows the cards (and the
    lightbox) to picks, a minimum rating, or everything but rejects; with the sidecar down."""
    folder, home = make_home(8, None)
    everything = indexed(home)
    year = everything[0]["taken_at"][:4]
    # a stack shows as its top card only (its other photos open from it)
    in_year = [row for row in everything if row["taken_at"][:4] == year and (row["stack_id"] is None or row["stack_top"])]
    assert len(in_year) >= 5, "the sample library should put several photos in one year"
    rows = in_year                            # the four decided photos and the rest share the year page
    for arguments in (("flag", "pick", str(rows[0]["id"]), str(rows[1]["id"])), ("rate", "4", str(rows[1]["id"])),
                      ("rate", "2", str(rows[2]["id"])), ("flag", "reject", str(rows[3]["id"]))):
        run_gallery(*arguments, "--home", str(home))
    run_gallery("export", "--home", str(home))
    run_gallery("build", "--home", str(home))
    nginx = Nginx(home)                       # no sidecar: the filter works on the built state
    try:
        for context in browser_context():
            page = context.new_page()
            page.goto(nginx.base + f"/years/{year}/")
            page.wait_for_selector(".grid-filter")

            def shown() -> set[int]:
                return {int(value) for value in page.eval_on_selector_all(
                    ".grid-window a.card", "cards => cards.map(card => card.getAttribute('data-id'))")}

            wait_for(lambda: len(shown()) == len(in_year), 30, "every card of the year")
            page.select_option(".grid-filter select[name=show]", "picks")
            wait_for(lambda: shown() == {row["id"] for row in in_year if row["id"] in (rows[0]["id"], rows[1]["id"])},
                     30, "only the picks")
            assert "of " + str(len(in_year)) + " photos" in page.inner_text(".grid-filter-count")
            page.select_option(".grid-filter select[name=show]", "all")
            page.select_option(".grid-filter select[name=min]", "2")
            wait_for(lambda: shown() == {row["id"] for row in in_year if row["id"] in (rows[1]["id"], rows[2]["id"])},
                     30, "photos rated two stars or more")
            page.select_option(".grid-filter select[name=min]", "0")
            page.check(".grid-filter input[name=hideRejected]")
            wait_for(lambda: shown() == {row["id"] for row in in_year if row["id"] != rows[3]["id"]}, 30,
                     "everything but the reject")
            page.reload()                                          # the choice stays for the session
            page.wait_for_selector(".grid-filter input[name=hideRejected]:checked")
            wait_for(lambda: rows[3]["id"] not in shown() and len(shown()) > 0, 30, "the kept filter")
    finally:
        nginx.stop()
        shutil.rmtree(folder, ignore_errors=True)
