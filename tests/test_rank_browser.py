"""Compare and rank as a person does it: real nginx, the real sidecar and headless Chromium.

Swiss A/B: the next pair is fetched before the person decides, ← and → record the right winner, ↓
skips, Z undoes the last comparison (and shows that pair again), a reload keeps the state. Mosaic:
one tap records N-1 wins (or N-1 losses with "pick the worst"). Top 50: dragging a photo above
another records comparisons. Grid pages link to the pages when the sidecar answers; with the
sidecar down the ranking page says so.
"""
from __future__ import annotations

import shutil

import pytest

from gallery_builder.db.connection import connect
from tests.site_servers import Nginx, browser_context, collect_errors, screenshot
from tests.test_curation_browser import PASSWORD, Sidecar, indexed, make_home
from tests.waiting import wait_for

pytestmark = [pytest.mark.nginx, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served():
    folder, home = make_home(12, PASSWORD)
    nginx = Nginx(home)
    sidecar = Sidecar(home, nginx.sidecar_port)
    sidecar.start(nginx)
    yield home, nginx, sidecar
    sidecar.stop()
    nginx.stop()
    shutil.rmtree(folder, ignore_errors=True)


def counted(home) -> list[tuple[int, int, int, str]]:
    """(pick, winner, loser, mode) of the counted comparisons, in order."""
    db = connect(home / "gallery.db", readonly=True, migrate=False)
    try:
        return [tuple(row) for row in db.execute(
            "SELECT pick, winner, loser, mode FROM comparison_events WHERE undone_at IS NULL AND reset_id IS NULL"
            " ORDER BY id")]
    finally:
        db.close()


def signed_in_page(context, nginx: Nginx, next_path: str = "/status/"):
    page = context.new_page()
    page.goto(nginx.base + "/signin?next=" + next_path)
    page.fill("#password", PASSWORD)
    page.click("form[action='/api/signin'] button[type='submit']")
    page.wait_for_url(nginx.base + next_path)
    return page


def ids_of(page, attribute: str) -> list[int]:
    value = page.get_attribute("section.rank", attribute) or ""
    return [int(part) for part in value.split(",") if part]


def test_swiss_keys_record_the_winner_prefetch_undo_and_reload(served):
    home, nginx, _ = served
    year = indexed(home)[0]["taken_at"][:4]
    for context in browser_context():
        page = signed_in_page(context, nginx, f"/years/{year}/")  # the grid page links to the ranking
        errors = collect_errors(page)
        page.wait_for_selector(".rank-links:not([hidden]) a[data-needs-writing]:not([hidden])")
        pair_requests: list[str] = []
        page.on("request", lambda request: "/api/rank/pair" in request.url and pair_requests.append(request.url))
        page.click(".rank-links a:text('Compare')")
        page.wait_for_selector("section.rank[data-state='ready'][data-pair]")
        assert f"scope=year%3A{year}" in page.url
        wait_for(lambda: len(pair_requests) >= 2, 30, "the next pair fetched before any decision")
        first = ids_of(page, "data-pair")
        page.keyboard.press("ArrowLeft")                          # the left photo wins
        wait_for(lambda: [row[1:] for row in counted(home)] == [(first[0], first[1], "swiss")], 30,
                 "the left photo's win in the database")
        wait_for(lambda: ids_of(page, "data-pair") and ids_of(page, "data-pair") != first, 30, "the next pair shown")
        second = ids_of(page, "data-pair")
        page.keyboard.press("ArrowRight")                         # the right photo wins
        wait_for(lambda: [row[1:3] for row in counted(home)] == [tuple(first), (second[1], second[0])], 30,
                 "the right photo's win in the database")
        third = ids_of(page, "data-pair")
        page.keyboard.press("ArrowDown")                          # skip: nothing recorded
        wait_for(lambda: ids_of(page, "data-pair") != third, 30, "another pair after a skip")
        page.keyboard.press("z")                                  # undo the last comparison
        wait_for(lambda: [row[1:3] for row in counted(home)] == [tuple(first)], 30, "the undone comparison")
        wait_for(lambda: ids_of(page, "data-pair") == second, 30, "the undone pair shown again")
        screenshot(page, "rank-compare")
        page.reload()                                             # the state is the database's
        page.wait_for_selector("section.rank[data-state='ready'][data-pair]")
        assert [row[1:3] for row in counted(home)] == [tuple(first)]
        page.goto(nginx.base + f"/rank/top/?scope=year%3A{year}")
        page.wait_for_selector("section.rank[data-state='ready'] .rank-top li")
        assert ids_of(page, "data-top")[0] == first[0]
        assert errors == []


def test_mosaic_records_n_minus_1_wins_or_losses_in_one_tap(served):
    home, nginx, _ = served
    for context in browser_context(has_touch=True):
        page = signed_in_page(context, nginx)
        page.goto(nginx.base + "/rank/mosaic/?scope=all&n=6")
        page.wait_for_selector("section.rank[data-state='ready'] .rank-cell")
        shown = ids_of(page, "data-set")
        assert len(shown) == 6 and len(set(shown)) == 6
        before = len(counted(home))
        page.keyboard.press("3")                                  # the third photo is the best
        wait_for(lambda: len(counted(home)) == before + 5, 30, "five wins recorded")
        pick = counted(home)[before:]
        assert {row[1] for row in pick} == {shown[2]} and {row[2] for row in pick} == set(shown) - {shown[2]}
        assert {row[3] for row in pick} == {"mosaic"} and len({row[0] for row in pick}) == 1
        wait_for(lambda: ids_of(page, "data-set") != shown, 30, "the next grid")
        grid = ids_of(page, "data-set")
        page.check(".rank-options input[name=worst]")
        page.locator(f".rank-cell[data-id='{grid[0]}']").tap()  # the worst, by touch
        wait_for(lambda: len(counted(home)) == before + 10, 30, "five losses recorded")
        assert {row[2] for row in counted(home)[before + 5:]} == {grid[0]}
        page.keyboard.press("Z")
        wait_for(lambda: len(counted(home)) == before + 5, 30, "the whole Mosaic pick undone")


def test_top_50_drag_records_comparisons_and_offers_the_export(served):
    home, nginx, _ = served
    for context in browser_context(viewport={"width": 1280, "height": 1000}):
        page = signed_in_page(context, nginx)
        ids = [row["id"] for row in indexed(home)][:5]            # a ranking to start from (any earlier test's too)
        answer = page.request.post(nginx.base + "/api/rank/mosaic", data={"best": ids[0], "others": ids[1:]},
                                   headers={"Origin": nginx.base})
        assert answer.ok, answer.text()
        page.goto(nginx.base + "/rank/top/?scope=all")
        page.wait_for_selector("section.rank[data-state='ready'] .rank-top li[draggable='true']")
        order = ids_of(page, "data-top")
        assert len(order) >= 3
        before = len(counted(home))
        moved = min(3, len(order) - 1)                            # the fourth goes above the first
        page.drag_and_drop(f".rank-top li[data-id='{order[moved]}']", f".rank-top li[data-id='{order[0]}']")
        wait_for(lambda: len(counted(home)) == before + moved, 30, "the drag's comparisons",
                 details=lambda: f"{counted(home)[before:]}, page says {page.inner_text('section.rank')!r}")
        pick = counted(home)[before:]
        assert {row[1] for row in pick} == {order[moved]} and [row[2] for row in pick] == order[:moved]
        assert {row[3] for row in pick} == {"top"}
        wait_for(lambda: ids_of(page, "data-top") != order, 30, "the re-ranked list")
        href = page.evaluate("document.querySelector(\"a[data-export='csv']\").href")
        assert href.startswith(nginx.base + "/api/rank/export?") and "scope=all" in href
        status, _, body = nginx.get(href[len(nginx.base):])
        assert status == 200 and body.decode().splitlines()[0].startswith("rank,id,path,rating")


def test_signed_out_sees_top_50_only_and_a_stopped_sidecar_is_named(served):
    home, nginx, sidecar = served
    year = indexed(home)[0]["taken_at"][:4]
    for context in browser_context():
        page = context.new_page()
        page.goto(nginx.base + f"/years/{year}/")
        page.wait_for_selector(".rank-links:not([hidden])")
        assert page.locator(".rank-links a:text('Top 50')").is_visible()
        assert not page.locator(".rank-links a:text('Compare')").is_visible()
        page.goto(nginx.base + "/rank/compare/?scope=all")
        page.wait_for_selector("section.rank[data-state='signed-out']")
        before = len(counted(home))
        page.keyboard.press("ArrowLeft")
        assert "Sign in" in page.inner_text(".rank-note") and len(counted(home)) == before
        sidecar.stop()
        try:
            page.reload()
            page.wait_for_selector("section.rank[data-state='down']")
            assert "sidecar" in page.inner_text(".rank-note")
        finally:
            sidecar.start(nginx)


def test_best_first_order_on_a_year_page_without_the_sidecar(tmp_path):
    """Stars given from the CLI reach the built page's best-first order; its Order control puts the
    best photo first (no day headings), and back by date."""
    from tests.conftest import run_gallery

    folder, home = make_home(8, None)
    everything = indexed(home)
    year = everything[0]["taken_at"][:4]
    in_year = [row["id"] for row in everything if row["taken_at"][:4] == year]
    starred = in_year[-1]                                          # the last by date becomes the best
    run_gallery("rate", "5", str(starred), "--home", str(home))
    run_gallery("export", "--home", str(home))
    run_gallery("build", "--home", str(home))
    nginx = Nginx(home)
    try:
        for context in browser_context():
            page = context.new_page()
            page.goto(nginx.base + f"/years/{year}/")
            page.wait_for_selector(".grid-filter select[name=order]")

            def first_card() -> int:
                return int(page.eval_on_selector(".grid-window a.card", "card => card.getAttribute('data-id')"))

            wait_for(lambda: page.locator(".grid-window a.card").count() > 0, 30, "the grid")
            by_date = first_card()
            assert by_date != starred
            page.select_option(".grid-filter select[name=order]", "best")
            wait_for(lambda: first_card() == starred, 30, "the starred photo first")
            assert page.get_attribute("section[data-grid]", "data-order") == "best"
            assert page.locator(f"a.year-best[href$='years/{year}/best/']").count() == 1
            page.select_option(".grid-filter select[name=order]", "date")
            wait_for(lambda: first_card() == by_date, 30, "the date order back")
    finally:
        nginx.stop()
        shutil.rmtree(folder, ignore_errors=True)
