"""Stacks, duplicates and collections as a person uses them: real nginx, the real sidecar and
headless Chromium over a sample library indexed for real (it holds a burst and an exact copy).

A year grid shows the burst as one card with its count and the lightbox opens the stack; the
duplicates page's "reject the others" flags the copy (never the keeper) and the flag survives a
rebuild; a collection made from a multi-selection (shift-click range) keeps the order a drag gives
it across a reload, and photo pages list it; the search page carries the curation filter.
"""
from __future__ import annotations

import json
import shutil

import pytest

from gallery_builder.core.urls import photo_url
from gallery_builder.db.connection import connect
from tests.conftest import run_gallery
from tests.site_servers import Nginx, browser_context, collect_errors, screenshot
from tests.test_curation_browser import PASSWORD, Sidecar, indexed, make_home, sign_in
from tests.waiting import wait_for

pytestmark = [pytest.mark.nginx, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served():
    folder, home = make_home(12, PASSWORD)
    nginx = Nginx(home)
    sidecar = Sidecar(home, nginx.sidecar_port)
    sidecar.start(nginx)
    yield home, nginx
    sidecar.stop()
    nginx.stop()
    shutil.rmtree(folder, ignore_errors=True)


def query(home, sql: str, params: tuple = ()) -> list[tuple]:
    db = connect(home / "gallery.db", readonly=True)
    try:
        return [tuple(row) for row in db.execute(sql, params)]
    finally:
        db.close()


def the_stack(home) -> tuple[int, int, list[int]]:
    """(stack id, top photo id, members by capture time) of the sample library's burst."""
    [(stack_id, top)] = query(home, "SELECT id, top_photo_id FROM stacks")
    members = [row[0] for row in query(home, "SELECT m.photo_id FROM stack_members m JOIN exif e ON e.photo_id = m.photo_id"
                                             " WHERE m.stack_id = ? ORDER BY e.taken_at", (stack_id,))]
    return stack_id, top, members


def shown_ids(page, selector: str = ".grid-window a.card") -> list[int]:
    return [int(value) for value in page.eval_on_selector_all(selector, "cards => cards.map(c => c.getAttribute('data-id'))")]


def test_a_stack_is_one_card_with_its_count_and_the_lightbox_opens_its_photos_top_first(served):
    home, nginx = served
    stack_id, top, members = the_stack(home)
    assert len(members) >= 3
    year = next(row["taken_at"][:4] for row in indexed(home) if row["id"] == top)
    for context in browser_context():
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(nginx.base + f"/years/{year}/")
        card = page.locator(f".grid-window a.card[data-id='{top}']")
        card.wait_for()
        assert card.locator(".card-stack").inner_text() == str(len(members))
        assert [member for member in members if member != top and member in shown_ids(page)] == []
        card.click()
        page.wait_for_selector(".pswp--open .pswp-stack")
        assert page.inner_text(".pswp-stack") == f"stack photo 1 of {len(members)}"
        assert page.evaluate("location.hash") == f"#photo={top}"
        page.wait_for_selector("html[data-lightbox='open']")        # keys work once it has opened
        page.keyboard.press("ArrowRight")
        wait_for(lambda: page.inner_text(".pswp-stack") == f"stack photo 2 of {len(members)}", 20, "the second photo of the stack")
        screenshot(page, "curation-stack-lightbox")
        page.keyboard.press("Escape")
        page.goto(nginx.base + "/" + photo_url(members[-1]))          # a member's page links to the stack page
        page.click(".stack-link a")
        page.wait_for_selector(f".stack-edit[data-stack='{stack_id}']", state="attached")
        assert shown_ids(page)[0] == top and sorted(shown_ids(page)) == sorted(members)
        assert errors == []


def test_a_stack_edit_from_the_stack_page(served):
    home, nginx = served
    stack_id, top, members = the_stack(home)
    other = next(member for member in members if member != top)
    stack_page = f"/stacks/{stack_id // 1000}/{stack_id}.html"
    for context in browser_context():
        page = context.new_page()
        sign_in(page, nginx, stack_page)
        page.wait_for_selector(".stack-edit:not([hidden])")
        page.click(".grid-filter .select-toggle")
        page.click(f".grid-window a.card[data-id='{other}']")
        page.click("#selection-bar button[data-selection='set_top']")
        wait_for(lambda: shown_ids(page)[:1] == [other], 20, "the new top first in the grid")
        assert query(home, "SELECT top_photo_id FROM stacks WHERE id = ?", (stack_id,)) == [(other,)]
        page.click(".stack-edit button[data-stack-action='set_top']")   # nothing selected any more
        page.wait_for_selector("#decide-message.shown")
    assert query(home, "SELECT action FROM stack_edits ORDER BY seq DESC LIMIT 1") == [("set_top",)]


def test_reject_the_others_flags_the_copy_and_survives_a_rebuild(served):
    home, nginx = served
    [(group, keeper)] = query(home, "SELECT id, keeper_id FROM duplicate_groups WHERE kind = 'exact'")
    [copy] = [row[0] for row in query(home, "SELECT photo_id FROM duplicate_members WHERE group_id = ? AND is_keeper = 0",
                                      (group,))]
    for context in browser_context(has_touch=True):
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(nginx.base + "/")
        page.click("a.home-duplicates")
        section = page.locator(f".duplicate-group[data-group='{group}']")
        assert section.locator("figure").first.locator("a.card").get_attribute("data-id") == str(keeper)
        assert "Keeper" in section.locator("figure.is-keeper").inner_text()
        assert section.locator("button.reject-others").is_disabled()          # signed out
        sign_in(page, nginx, "/duplicates/")
        button = page.locator(f"button.reject-others[data-group='{group}']:not([disabled])")
        button.tap()
        page.wait_for_selector(f".duplicate-group[data-group='{group}'] a.card.is-reject[data-id='{copy}']")
        assert "1 other copy flagged reject" in page.inner_text(f".duplicate-group[data-group='{group}'] .reject-note")
        screenshot(page, "curation-duplicates")
        assert [error for error in errors if "/data/on-this-day/" not in error] == []   # home asks for this month
    flags = dict(query(home, "SELECT photo_id, flag FROM photo_decisions WHERE photo_id IN (?, ?)", (keeper, copy)))
    assert flags.get(copy) == "reject" and flags.get(keeper) is None
    run_gallery("export", "--home", str(home))
    run_gallery("build", "--home", str(home))
    static = nginx.get("/duplicates/")[2].decode()
    assert f'class="card is-reject" href="../photos/{copy // 1000}/{copy}.html"' in static
    assert f'class="card" href="../photos/{keeper // 1000}/{keeper}.html"' in static


def test_a_collection_from_a_multi_selection_reordered_by_drag_keeps_its_order(served):
    home, nginx = served
    rows = indexed(home)
    year = rows[0]["taken_at"][:4]
    for context in browser_context():
        page = context.new_page()
        errors = collect_errors(page)
        sign_in(page, nginx, f"/years/{year}/")
        page.wait_for_selector(".grid-filter .select-toggle")
        page.click(".grid-filter .select-toggle")
        cards = shown_ids(page)
        assert len(cards) >= 4
        page.click(f".grid-window a.card[data-id='{cards[0]}']")
        page.click(f".grid-window a.card[data-id='{cards[2]}']", modifiers=["Shift"])   # a range: three photos
        assert page.inner_text("#selection-bar .selection-count") == "3 selected"
        screenshot(page, "curation-selection")
        page.click("#selection-bar button[data-selection='add']")
        page.select_option("dialog.collection-chooser select[name=collection]", "")
        page.fill("dialog.collection-chooser input[name=name]", "Best of the trip")
        page.click("dialog.collection-chooser button[value=add]")
        wait_for(lambda: query(home, "SELECT photo_id FROM collection_photos ORDER BY position") ==
                 [(cards[0],), (cards[1],), (cards[2],)], 30, "the three photos in the new collection")
        [(collection_id,)] = query(home, "SELECT id FROM collections WHERE name = 'Best of the trip'")

        page.goto(nginx.base + "/")                   # the sidecar republishes: the collection gets its page
        wait_for(lambda: (page.reload(), page.locator("a.home-collections").count())[1], 120, "the republished home page",
                 interval=1)
        page.click("a.home-collections")
        page.click("a.tile")
        page.wait_for_selector(f"[data-collection-tools][data-collection='{collection_id}']")
        assert shown_ids(page) == cards[:3]
        page.click("[data-collection-tools] button[data-tool=reorder]")
        page.wait_for_selector(".reorder-item")
        page.drag_and_drop(f".reorder-item[data-id='{cards[2]}']", f".reorder-item[data-id='{cards[0]}']")
        wait_for(lambda: query(home, "SELECT photo_id FROM collection_photos WHERE collection_id = ? ORDER BY position",
                               (collection_id,)) == [(cards[2],), (cards[0],), (cards[1],)], 30, "the dragged order stored")
        page.focus(f".reorder-item[data-id='{cards[1]}']")             # the keyboard moves one too
        page.keyboard.press("Alt+ArrowLeft")
        want = [cards[2], cards[1], cards[0]]
        wait_for(lambda: [row[0] for row in query(home, "SELECT photo_id FROM collection_photos WHERE collection_id = ?"
                                                        " ORDER BY position", (collection_id,))] == want, 30,
                 "the keyboard's move stored")
        page.reload()                                                  # the order stays (live overlay or republished)
        wait_for(lambda: shown_ids(page) == want, 30, "the reloaded page in the new order",
                 details=lambda: str(shown_ids(page)))
        screenshot(page, "curation-collection")
        page.goto(nginx.base + "/" + photo_url(cards[1]))              # its photo page lists the collection
        page.wait_for_selector("section[data-photo-collections][data-live]")
        assert "Best of the trip" in page.inner_text("section[data-photo-collections]")
        assert [error for error in errors if "/data/on-this-day/" not in error] == []
    wait_for(lambda: b"Best of the trip" in nginx.get("/" + photo_url(cards[1]))[2], 120, "the republished photo page")


def test_the_search_page_filters_its_results(served):
    home, nginx = served
    for context in browser_context():
        page = context.new_page()
        page.goto(nginx.base + "/search/?q=DSC")
        page.wait_for_selector("#results .grid-filter")
        total = page.inner_text("#results .grid-filter-count")
        assert total.endswith(" photos") and "picks (" in page.inner_text("#results .grid-filter select[name=show]")


def test_lightbox_adds_to_a_collection_whose_page_renames_removes_and_deletes(served):
    home, nginx = served
    rows = indexed(home)
    first, second = rows[1]["id"], rows[2]["id"]
    year = rows[1]["taken_at"][:4]
    run_gallery("collection", "create", "Keepers", "--home", str(home))
    run_gallery("collection", "add", "Keepers", str(second), "--home", str(home))
    [(collection_id,)] = query(home, "SELECT id FROM collections WHERE name = 'Keepers'")
    run_gallery("export", "--home", str(home))
    run_gallery("build", "--home", str(home))

    def members() -> list[int]:
        return [row[0] for row in query(home, "SELECT photo_id FROM collection_photos WHERE collection_id = ?"
                                              " ORDER BY position", (collection_id,))]

    for context in browser_context():
        page = context.new_page()
        sign_in(page, nginx, f"/years/{year}/")
        page.locator(f".grid-window a.card[data-id='{first}']").click()
        page.click(".pswp--open .pswp-collect button[data-collect=add]")
        page.select_option("dialog.collection-chooser select[name=collection]", str(collection_id))
        page.click("dialog.collection-chooser button[value=add]")
        wait_for(lambda: members() == [second, first], 30, "the lightbox's photo added to the collection")
        page.goto(nginx.base + "/collections/")
        page.click("a.tile >> text=Keepers")
        page.wait_for_selector(f"[data-collection-tools][data-collection='{collection_id}']")
        wait_for(lambda: shown_ids(page)[:1] == [second], 30, "the collection's first card")
        page.click(".grid-filter .select-toggle")
        page.click(f".grid-window a.card[data-id='{second}']")
        page.click("#selection-bar button[data-selection='remove']")
        wait_for(lambda: members() == [first], 30, "the selected photo removed")
        page.fill("[data-collection-tools] input[name=name]", "Keepers 2024")
        page.click("[data-collection-tools] button[type=submit]")
        wait_for(lambda: query(home, "SELECT name FROM collections WHERE id = ?", (collection_id,)) == [("Keepers 2024",)],
                 30, "the new name")
        page.wait_for_function("document.querySelector('h1').textContent === 'Keepers 2024'")  # after the answer
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("[data-collection-tools] button[data-tool=delete]")
        page.wait_for_url(nginx.base + "/collections/")
        assert query(home, "SELECT id FROM collections WHERE id = ?", (collection_id,)) == []
        assert {first, second} <= {row[0] for row in query(home, "SELECT id FROM photos")}     # photos stay


def test_stack_edits_from_the_lightbox_and_a_selected_stack_card_adds_all_its_photos(served):
    home, nginx = served
    run_gallery("export", "--home", str(home))           # the static pages as the database has the stack now
    run_gallery("build", "--home", str(home))
    stack_id, top, members = the_stack(home)
    assert len(members) >= 3
    year = next(row["taken_at"][:4] for row in indexed(home) if row["id"] == top)

    def slide() -> int:
        return int(page.evaluate("location.hash").split("=")[1])

    for context in browser_context():
        page = context.new_page()
        errors = collect_errors(page)
        sign_in(page, nginx, f"/years/{year}/")
        page.locator(f".grid-window a.card[data-id='{top}']").click()
        page.wait_for_selector("html[data-lightbox='open'] .pswp-stack-edit button[data-stack-action='set_top']")
        page.keyboard.press("ArrowRight")
        wait_for(lambda: slide() != top, 20, "the stack's second photo")
        second = slide()
        page.click(".pswp--open .pswp-stack-edit button[data-stack-action='set_top']")
        wait_for(lambda: query(home, "SELECT top_photo_id FROM stacks WHERE id = ?", (stack_id,)) == [(second,)], 30,
                 "the new top stored")
        wait_for(lambda: "is now the top" in page.inner_text(".pswp-stack-note"), 20, "the lightbox's note")
        page.keyboard.press("ArrowRight")
        wait_for(lambda: slide() not in (top, second), 20, "the stack's third photo")
        third = slide()
        page.click(".pswp--open .pswp-stack-edit button[data-stack-action='remove']")
        wait_for(lambda: query(home, "SELECT 1 FROM stack_members WHERE photo_id = ?", (third,)) == [], 30,
                 "the photo taken out of the stack")
        page.keyboard.press("Escape")
        stacked = [member for member in members if member != third]
        badge = page.locator(f".grid-window a.card[data-id='{second}'] .card-stack")   # the grid follows at once
        wait_for(lambda: badge.count() and badge.inner_text() == str(len(stacked)), 20, "the new top's card")
        assert page.locator(f".grid-window a.card[data-id='{third}']").count() == 1          # a card of its own
        assert page.locator(f".grid-window a.card[data-id='{top}']").count() == 0
        screenshot(page, "curation-stack-lightbox-edit")

        page.click(".grid-filter .select-toggle")                       # a stack card stands for its photos
        page.click(f".grid-window a.card[data-id='{second}']")
        assert page.inner_text("#selection-bar .selection-count") == (
            f"1 selected ({len(stacked)} photos with their stacks)")
        page.click("#selection-bar button[data-selection='add']")
        page.select_option("dialog.collection-chooser select[name=collection]", "")
        page.fill("dialog.collection-chooser input[name=name]", "The whole burst")
        page.click("dialog.collection-chooser button[value=add]")
        added = lambda: [row[0] for row in query(  # noqa: E731
            home, "SELECT p.photo_id FROM collection_photos p JOIN collections c ON c.id = p.collection_id"
                  " WHERE c.name = 'The whole burst' ORDER BY p.position")]
        wait_for(lambda: sorted(added()) == sorted(stacked), 30, "every photo of the stack in the collection",
                 details=lambda: str(added()))
        assert added()[0] == second
        assert [error for error in errors if "/data/on-this-day/" not in error] == []
