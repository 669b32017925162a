"""The built site in real headless Chromium (Debian's, via Playwright) through real nginx: home,
a year page, a photo page, the lightbox with its keys, the map, offline search, the sidecar's
results taking over, deep links, a 3,000-photo page (windowing), file:// copies. Screenshots are
saved in test-output/screenshots/ for a human to look at."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.site_fixtures import (GOLDEN_COVERAGE, GOLDEN_ERRORS, Row, build, golden_rows, write_records,
                                 write_thumbnails)
from tests.site_servers import Nginx, Upstream, browser_context, collect_errors, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.nginx, pytest.mark.slow]
BIG = 3000
POOL = 24


def big_rows() -> list[Row]:
    palette = ("#3366cc", "#f0c040", "#30a050", "#c03030", "#a040c0", "#e07020")
    return [Row(1000 + index, "photos", f"2019/2019-05 Big trip/IMG_{index:05d}.JPG",
                f"2019-{5 + index // 1000:02d}-{1 + index // 40 % 25:02d}T{8 + index % 12:02d}:{index % 60:02d}:00",
                width=640 if index % 3 else 480, height=480 if index % 3 else 640, colors=(palette[index % 6],))
            for index in range(BIG)]


@pytest.fixture(scope="module")
def home() -> Path:
    base = Path(tempfile.mkdtemp(prefix="gallery-site-browser-"))
    os.chmod(base, 0o755)
    home = base / "home"
    records = [row.record() for row in golden_rows()]
    big = [row.record() for row in big_rows()]
    for index, record in enumerate(big):       # identical content shares thumbnails: a pool of real files
        source = big[index % POOL]
        record.update(thumb_key=source["thumb_key"], width=source["width"], height=source["height"],
                      thumb_widths=source["thumb_widths"])
    big[2500]["description"] = "A lighthouse at dusk"         # the rare word of the offline search test
    write_records(home, records + big, coverage=GOLDEN_COVERAGE, errors=GOLDEN_ERRORS, thumbnails=False,
                  extra_fields=[("description", "string")])
    for record in records + big[:POOL]:
        write_thumbnails(home / "thumbs", record)
    (home / "gallery.toml").write_text(f'[[roots]]\nlabel = "photos"\npath = "{base / "photos"}"\n')
    video = base / "photos" / "2021" / "2021-12-24" / "VID_0006.mp4"        # the one original the pages play
    video.parent.mkdir(parents=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10",
                    "-t", "2", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(video)], check=True)
    with pytest.MonkeyPatch.context() as patch:     # 2019 (3,000 photos) gets one search shard per month
        patch.setattr("gallery_builder.site.pages.search.SHARD_ROWS", 1000)
        build(home)
    (home / "progress.json").write_text(json.dumps({
        "state": "running", "stage": "pass", "pass": "thumbs", "done": 300, "total": 1000, "rate": 12.5,
        "eta_seconds": 56, "cluster": "tcp://192.168.1.10:8786", "workers": [
            {"name": "laptop", "threads": 2, "photos": 812, "rate": 6.2, "connected": True, "refused": None},
            {"name": "desktop<b>", "threads": 4, "photos": 0, "rate": 0.0, "connected": True,
             "refused": "CLIP model 'x' is not installed in /models"}]}))
    yield home
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def nginx(home):
    server = Nginx(home)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def context():
    yield from browser_context()


@pytest.fixture
def page(context):
    tab = context.new_page()
    tab.errors = collect_errors(tab)
    yield tab
    tab.close()


def test_home_shows_years_recent_folders_and_on_this_day(page, nginx):
    page.goto(nginx.base + "/?today=07-14")
    page.wait_for_selector(".memory img")
    assert page.locator(".memory").count() == 6                      # 3 from 14 July 2021, 3 from 14 July 2019
    assert page.locator(".memory").first.get_attribute("href").endswith("photos/0/1.html")   # newest year first
    assert page.locator(".memory span").first.inner_text().endswith("years ago")
    years = page.locator(".tiles-years .tile-label").all_inner_texts()
    assert years == ["undated", "2031", "2023", "2022", "2021", "2019"]
    page.wait_for_function("[...document.querySelectorAll('.tile img')].every(i => i.complete && i.naturalWidth)")
    screenshot(page, "home")
    assert page.errors == []


def test_year_page_grid_headings_and_lightbox_keys(page, nginx):
    page.goto(nginx.base + "/years/2021/")
    page.wait_for_selector(".grid-window .card canvas.loaded")
    assert page.locator(".grid-window .card").count() == 6
    headings = page.locator(".grid-heading").all_inner_texts()
    assert headings[:2] == ["July 2021", "Wednesday, 14 July 2021"] and "December 2021" in headings
    screenshot(page, "year-2021")
    page.locator(".grid-window .card").first.click()
    page.wait_for_selector("html[data-lightbox=open] .pswp__img")
    assert page.evaluate("location.hash") == "#photo=1"
    assert "IMG_0001.JPG" in page.locator(".pswp__custom-caption").inner_text()
    screenshot(page, "lightbox")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("location.hash === '#photo=2'")
    page.keyboard.press("End")
    page.wait_for_function("location.hash === '#photo=6'")
    page.wait_for_function("[...document.querySelectorAll('.pswp--open video')].some(v => v.readyState >= 1 && v.duration > 1)")
    page.keyboard.press("Home")
    page.wait_for_function("location.hash === '#photo=1'")
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('.pswp--open') && location.hash === ''")
    assert page.errors == []


def test_deep_link_opens_the_lightbox_on_that_photo(page, nginx):
    page.goto(nginx.base + "/years/2021/#photo=3")
    page.wait_for_selector("html[data-lightbox=open] .pswp__img")
    assert "IMG_0003.JPG" in page.locator(".pswp__custom-caption").inner_text()
    assert page.errors == []


def test_photo_page_preview_map_and_keyboard_neighbours(page, nginx):
    page.goto(nginx.base + "/photos/2/")                   # the short form redirects to the permalink
    assert page.url.endswith("/photos/0/2.html")
    page.wait_for_function("document.querySelector('.stage img').naturalWidth > 0")
    page.wait_for_function("document.querySelectorAll('.minimap svg path').length > 100")   # offline countries
    assert page.locator(".facts").inner_text().count("Canon EOS R6") == 1
    screenshot(page, "photo")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r".*/photos/0/3.html$"))
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(re.compile(r".*/photos/0/2.html$"))
    page.locator("a.zoom").click()
    page.wait_for_selector("html[data-lightbox=open] .pswp__img")
    page.keyboard.press("Escape")
    assert page.errors == []


def test_hostile_names_are_text_in_the_browser(page, nginx):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(nginx.base + "/photos/0/7.html")
    assert page.locator("h1.filename").inner_text() == "<img src=x onerror=alert(1)>.jpg"
    page.goto(nginx.base + "/years/2022/")
    page.wait_for_selector(".grid-window .card")
    page.locator(".grid-window .card").first.click()
    page.wait_for_selector(".pswp--open")
    page.wait_for_timeout(300)  # an injected script would have run by now: this checks an absence
    assert dialogs == []


def test_map_clusters_markers_offline(page, nginx):
    page.goto(nginx.base + "/map/")
    page.wait_for_selector("#map[data-ready='8']")
    page.wait_for_selector(".cluster")
    assert page.locator("#map path").count() > 100                  # the vendored world basemap, no tiles
    screenshot(page, "map")
    page.locator(".cluster").first.click()
    page.wait_for_selector(".pin img")
    assert page.errors == []


def test_search_falls_back_to_the_offline_index(page, nginx):
    page.goto(nginx.base + "/search/?q=nice")
    page.wait_for_selector(".source-badge")
    assert page.locator(".source-badge").inner_text() == "offline index"
    assert page.locator("#search-status").inner_text().startswith("4 results")
    page.wait_for_selector("#results .card canvas.loaded")
    screenshot(page, "search-offline")
    page.fill("#q", "")
    page.select_option("select[name=country]", "Japan")
    page.wait_for_function("document.querySelector('#search-status').innerText.startsWith('4 results')")
    page.check("input[name=color][value=orange]", force=True)
    page.wait_for_function("document.querySelector('#search-status').innerText.startsWith('1 result')")
    assert page.locator("#results .card").count() == 1
    assert "color=orange" in page.url and "country=Japan" in page.url


def search_offline(context, nginx, query: str, summaries: bool = True) -> tuple[str, list[int], set[str]]:
    """Search offline in a tab without a cache: (status line, result ids, shard files fetched);
    without `summaries` the manifest comes without its text bitsets (a version-1 page: every shard)."""
    tab, fetched = context.new_page(), set()
    session = context.new_cdp_session(tab)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    tab.on("request", lambda request: fetched.add(request.url.rsplit("/", 1)[1])
           if "/search/index/" in request.url and "manifest" not in request.url else None)

    def without_summaries(route):
        response = route.fetch()
        manifest = response.json()
        for entry in manifest["shards"]:
            entry.pop("grams")
        route.fulfill(response=response, json=manifest)

    if not summaries:
        tab.route("**/search/index/manifest.json", without_summaries)
    try:
        tab.goto(nginx.base + "/search/?" + query)
        tab.wait_for_selector(".source-badge")
        ids = tab.eval_on_selector_all("#results a.card", "cards => cards.map(card => +card.dataset.id)")
        return tab.locator("#search-status").inner_text(), sorted(ids), fetched
    finally:
        tab.close()


def test_offline_search_loads_only_the_shards_that_can_match(context, nginx):
    every_shard = {"undated.json", "2031.json", "2023.json", "2022.json", "2021.json", "2019-07.json", "2019-06.json",
                   "2019-05.json"}
    tokyo_years = {f"{row.taken_at[:4]}.json" for row in golden_rows() if row.extra.get("place") == "Tokyo"}
    for query, expected in (("place=Tokyo", tokyo_years), ("q=lighthouse", {"2019-07.json"}),
                            ("q=nice", None)):
        status, ids, fetched = search_offline(context, nginx, query)
        if expected is not None:
            assert fetched == expected, query
        assert ids, query
        everything = search_offline(context, nginx, query, summaries=False)
        assert everything[2] == every_shard
        assert (status, ids) == everything[:2], query          # the same results as loading every shard
    assert ids == [1, 2, 3, 4] and len(fetched) < len(every_shard)     # "nice": a place, in 2021 and 2023


def test_sidecar_results_take_over_when_it_answers(page, nginx):
    results = [{"id": 11, "path": "2023/06/IMG_0011.JPG", "score": 0.31, "thumb": None,
                "url": "/photos/0/11.html", "width": 640, "height": 480}]
    thumb = next((nginx.home / "thumbs").rglob("*-400.webp")).relative_to(nginx.home / "thumbs").as_posix()
    results[0]["thumb"] = f"/thumbs/{thumb}"
    upstream = Upstream(nginx.sidecar_port, results)
    try:
        page.goto(nginx.base + "/search/?q=sunset+in+tokyo&year=2023")
        page.wait_for_selector(".source-badge")
        assert page.locator(".source-badge").inner_text() == "search server"
        assert page.locator("#results a.card").evaluate("a => a.href") == nginx.base + "/photos/0/11.html"
        assert any(path.startswith("/api/search?") and "year=2023" in path for path in upstream.paths)
    finally:
        upstream.stop()


def test_find_similar_asks_the_sidecar_or_says_it_is_needed(page, nginx):
    page.goto(nginx.base + "/photos/11/")
    link = page.locator("a.find-similar")
    assert link.count() == 1
    link.click()
    page.wait_for_function("document.querySelector('#search-status').innerText.startsWith('Cannot find similar')")
    assert "gallery serve" in page.locator("#search-status").inner_text()  # no sidecar: says what is needed
    thumb = next((nginx.home / "thumbs").rglob("*-400.webp")).relative_to(nginx.home / "thumbs").as_posix()
    results = [{"id": 12, "path": "2023/06/IMG_0012.JPG", "score": 0.9, "thumb": f"/thumbs/{thumb}",
                "url": "/photos/0/12.html", "width": 640, "height": 480}]
    upstream = Upstream(nginx.sidecar_port, results)
    try:
        page.reload()
        page.wait_for_selector(".source-badge")
        assert "similar to #11" in page.locator("#search-status").inner_text()
        assert page.locator("#results a.card").evaluate("a => a.href") == nginx.base + "/photos/0/12.html"
        assert any(path.startswith("/api/similar/11") for path in upstream.paths)
    finally:
        upstream.stop()
    assert page.errors == []


def test_status_page_shows_coverage_errors_and_live_progress(page, nginx):
    page.goto(nginx.base + "/status/")
    page.wait_for_selector("#progress:not([hidden])")
    text = page.locator("#progress").inner_text()
    assert "pass thumbs: 300 of 1,000" in text and "12.5 per second" in text and "56 s left" in text
    page.wait_for_selector("#workers:not([hidden])")
    workers = page.locator("#workers").inner_text()
    assert "tcp://192.168.1.10:8786" in workers
    rows = [[cell.strip() for cell in row.split("\t")] for row in page.locator("#workers tbody tr").all_inner_texts()]
    assert rows == [["laptop", "2", "812", "6.2", "connected"],
                    ["desktop<b>", "4", "0", "0.0", "takes no tasks: CLIP model 'x' is not installed in /models"]]
    assert "image file is truncated <script>x</script>" in page.locator("table.errors").inner_text()
    screenshot(page, "status")


def test_a_3000_photo_page_stays_windowed_and_scrolls_to_the_end(page, nginx):
    page.goto(nginx.base + "/folders/photos/2019/" + _big_folder_segment() + "/")
    assert page.locator(".grid-static .card").count() in (0, 48)       # first screen before the script ran
    page.wait_for_selector(".grid-window .card canvas.loaded")
    in_dom = page.locator(".grid-window .card").count()
    assert 0 < in_dom < 400, in_dom
    page.wait_for_selector(".scrubber")
    screenshot(page, "big-folder")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_selector(f".grid-window .card[data-index='{BIG - 1}']")
    assert page.locator(".grid-window .card").count() < 400
    page.wait_for_function("(document.querySelector('.grid-sticky.show span') || {}).textContent > ''")
    assert page.errors == []


# every card node the grid ever put in the page (a MutationObserver), and the grid itself
COUNT_CARD_NODES = """
window.cardNodes = new WeakSet(); window.cardNodesMade = 0;
document.addEventListener("gallery:grid", event => { window.theGrid = event.detail; });
new MutationObserver(records => records.forEach(record => record.addedNodes.forEach(node => {
  if (node.nodeType === 1 && node.matches("a.card") && !window.cardNodes.has(node)) {
    window.cardNodes.add(node); window.cardNodesMade++; }
}))).observe(document, { childList: true, subtree: true });
"""
SCROLL_AND_PAINT = """screens => new Promise(done => { window.scrollBy(0, innerHeight * screens);
  requestAnimationFrame(() => requestAnimationFrame(() =>
    done(scrollY + innerHeight >= document.documentElement.scrollHeight - 4))); })"""
# each card in the window shows its own row: link, picture (or none yet, while a jump settles: never
# another photo's), its name for screen readers, stack badge (a re-used node is rewritten)
CARDS_MISMATCHED = """settled => [...document.querySelectorAll('.grid-window a.card')].filter(card => {
  const grid = window.theGrid, row = grid.rows[+card.dataset.index], canvas = card.querySelector('canvas');
  const picture = Gallery.gridImage(row[1], row[7], row[2], row[3], parseFloat(card.style.width));
  const waiting = canvas && !settled && !canvas.hasAttribute('data-src') && !canvas.classList.contains('loaded');
  return +card.dataset.id !== row[0] || !card.href.endsWith(Gallery.photoPath(row[0])) ||
    (canvas ? !waiting && (canvas.dataset.src !== picture.forScreen || canvas.getAttribute('aria-label') !== row[5])
     : !!picture) ||
    !!card.querySelector('.card-stack') !== grid.stacks.has(row[0]);
}).length"""
# every card of the window shows its picture, drawn
PICTURES_SHOWN = ("[...document.querySelectorAll('.grid-window a.card canvas')]"
                  ".every(canvas => canvas.classList.contains('loaded'))")


def test_scrolling_a_big_page_reuses_its_card_nodes(page, nginx):
    page.add_init_script(COUNT_CARD_NODES)
    page.goto(nginx.base + "/folders/photos/2019/" + _big_folder_segment() + "/")
    page.wait_for_selector(".grid-window .card canvas.loaded")
    most_in_dom, at_end = 0, False
    while not at_end:
        at_end = page.evaluate(SCROLL_AND_PAINT, 3)
        most_in_dom = max(most_in_dom, page.locator(".grid-window .card").count())
        assert page.evaluate(CARDS_MISMATCHED, False) == 0
    page.wait_for_selector(f".grid-window .card[data-index='{BIG - 1}']")
    page.wait_for_function(PICTURES_SHOWN)                  # the scroll settled: the margin's pictures too
    assert page.evaluate(CARDS_MISMATCHED, True) == 0
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_selector(".grid-window .card[data-index='0'] canvas.loaded")
    page.wait_for_function(PICTURES_SHOWN)
    assert page.evaluate(CARDS_MISMATCHED, True) == 0
    made = page.evaluate("window.cardNodesMade")
    assert made <= 2 * most_in_dom < BIG, (made, most_in_dom)     # a pool, not one node per photo shown
    assert page.errors == []


# the cards of the window by where they are: [on screen with a picture, on screen, off screen with one, off screen]
PICTURES_BY_PLACE = """() => { const counts = [0, 0, 0, 0];
  document.querySelectorAll('.grid-window a.card').forEach(card => {
    const box = card.getBoundingClientRect(), off = box.bottom < 0 || box.top > innerHeight ? 2 : 0;
    counts[off + 1]++; if (card.querySelector('canvas[data-src]')) counts[off]++; });
  return counts; }"""


def test_a_jump_loads_the_pictures_on_screen_first_and_the_margin_once_settled(page, nginx):
    page.goto(nginx.base + "/folders/photos/2019/" + _big_folder_segment() + "/")
    page.wait_for_selector(".grid-window .card canvas.loaded")
    page.evaluate(SCROLL_AND_PAINT, 12)
    with_picture, on_screen, off_with_picture, off_screen = page.evaluate(PICTURES_BY_PLACE)
    assert with_picture == on_screen > 0 and off_screen > 0 and off_with_picture == 0
    page.wait_for_function(PICTURES_SHOWN)                # the scroll settled: the margin's pictures load
    assert page.evaluate(PICTURES_BY_PLACE)[2] == off_screen
    page.evaluate(SCROLL_AND_PAINT, 0.25)                 # a small scroll keeps the margin ahead as before
    with_picture, on_screen, off_with_picture, off_screen = page.evaluate(PICTURES_BY_PLACE)
    assert with_picture == on_screen and off_with_picture == off_screen
    assert page.errors == []


# every ImageBitmap made in the page, and every one closed
COUNT_BITMAPS = """
window.bitmapsMade = 0; window.bitmapsClosed = 0;
const makeBitmap = window.createImageBitmap, closeBitmap = ImageBitmap.prototype.close;
window.createImageBitmap = function () {
  return makeBitmap.apply(this, arguments).then(bitmap => { window.bitmapsMade++; return bitmap; }); };
ImageBitmap.prototype.close = function () { window.bitmapsClosed++; return closeBitmap.apply(this, arguments); };
"""
# each card on screen beside its thumbnail file drawn whole at the card's size by the test itself: the mean
# colour of the top half (sky) and of the bottom half (hills, the photo's own colour) of both, [[card], [file]]
DRAWN_BESIDE_THEIR_FILES = """async () => {
  const halves = canvas => { const context = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
    return [0, 1].map(half => { const data = context.getImageData(0, half * (h >> 1), w, h >> 1).data, sum = [0, 0, 0];
      for (let i = 0; i < data.length; i += 4) { sum[0] += data[i]; sum[1] += data[i + 1]; sum[2] += data[i + 2]; }
      return sum.map(total => total / (data.length / 4)); }); };
  const cards = [...document.querySelectorAll('.grid-window a.card canvas.loaded')].filter(canvas => {
    const box = canvas.getBoundingClientRect(); return box.top >= 0 && box.bottom <= innerHeight; });
  return Promise.all(cards.map(async canvas => {
    const image = new Image(); image.src = canvas.dataset.src; await image.decode();
    const reference = document.createElement('canvas');
    reference.width = canvas.width; reference.height = canvas.height;
    reference.getContext('2d').drawImage(image, 0, 0, canvas.width, canvas.height);
    return [halves(canvas), halves(reference)]; }));
}"""


def test_grid_pictures_are_drawn_into_canvases_and_every_bitmap_closed(page, nginx):
    page.add_init_script(COUNT_CARD_NODES)                 # (for window.theGrid)
    page.add_init_script(COUNT_BITMAPS)
    page.goto(nginx.base + "/folders/photos/2019/" + _big_folder_segment() + "/")
    page.wait_for_selector(".grid-window .card canvas.loaded")
    for _ in range(12):                                    # a fling: draws dropped on their way are closed too
        page.evaluate(SCROLL_AND_PAINT, 1.5)
    page.wait_for_function(PICTURES_SHOWN)
    page.wait_for_function("window.bitmapsMade === window.bitmapsClosed")
    assert page.evaluate("window.bitmapsMade") >= page.locator(".grid-window .card canvas.loaded").count() > 0
    assert page.locator(".grid-window img").count() == 0   # no <img>: no picture left in the decode cache
    assert page.evaluate(CARDS_MISMATCHED, True) == 0
    assert_drawn_like_their_files(page, at_least=4)
    assert page.errors == []


def assert_drawn_like_their_files(page, at_least: int) -> None:
    compared = page.evaluate(DRAWN_BESIDE_THEIR_FILES)
    assert len(compared) >= at_least
    for card, drawn_file in compared:                      # upright, whole, undistorted and the card's own photo
        for card_half, file_half in zip(card, drawn_file):
            assert max(abs(a - b) for a, b in zip(card_half, file_half)) < 12, compared


def test_a_browser_without_create_image_bitmap_draws_from_the_image(page, nginx):
    page.add_init_script("delete window.createImageBitmap")              # Safari before 15
    page.goto(nginx.base + "/years/2021/")
    page.wait_for_function("document.querySelectorAll('.grid-window .card canvas.loaded').length === 6")
    assert_drawn_like_their_files(page, at_least=3)              # the cards wholly on the first screen
    assert page.errors == []


def test_a_grid_thumbnail_that_cannot_be_loaded_becomes_a_file_card(page, nginx):
    page.route("**/thumbs/**", lambda route: route.fulfill(status=404, body="gone"))   # thumbnails gone from the server
    page.goto(nginx.base + "/years/2021/")
    page.wait_for_selector(".grid-window a.card")
    page.wait_for_function("[...document.querySelectorAll('.grid-window a.card')].every(card => card.querySelector('.card-file'))")
    cards = page.locator(".grid-window a.card")
    assert cards.count() == 6 and page.locator(".grid-window a.card canvas").count() == 0
    assert cards.first.locator(".card-file-reason").inner_text() == "No preview: its thumbnail file could not be loaded"
    assert [error for error in page.errors if "/thumbs/" not in error] == []


def test_dark_theme_and_phone_layout(context, nginx):
    tab = context.new_page()
    tab.emulate_media(color_scheme="dark")
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.goto(nginx.base + "/years/2019/")
    tab.wait_for_selector(".grid-window .card canvas.loaded")
    background = tab.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(19, 19, 20)"
    screenshot(tab, "year-2019-dark-phone")
    tab.goto(nginx.base + "/photos/0/1.html")
    tab.wait_for_function("document.querySelector('.stage img').naturalWidth > 0")
    screenshot(tab, "photo-dark-phone")
    tab.close()


def test_a_file_copy_browses_years_folders_and_photos(page, home, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(home / "site", copy, symlinks=False)       # what `cp -rL site/ /media/usb/` makes
    page.goto((copy / "years" / "2021" / "index.html").as_uri())
    page.wait_for_selector(".grid-window .card canvas.loaded")
    assert page.locator(".grid-window .card canvas.loaded").count() == 6
    href = page.locator(".grid-window .card").first.get_attribute("href")
    assert href.endswith("photos/0/1.html")
    page.locator(".grid-window .card").first.click()
    page.wait_for_selector("html[data-lightbox=open] .pswp__img")
    page.keyboard.press("Escape")
    page.goto((copy / "folders" / "photos" / "2019" / _big_folder_segment() / "index.html").as_uri())
    page.wait_for_selector(".grid-window .card canvas.loaded")          # its cards come from _photos.json.js
    page.goto((copy / "photos" / "0" / "2.html").as_uri())
    page.wait_for_function("document.querySelector('.stage img').naturalWidth > 0")
    assert page.locator(".needs-server").first.is_visible()
    page.locator(".neighbours a[rel=next]").click()
    page.wait_for_url(re.compile(r".*/photos/0/3\.html$"))
    screenshot(page, "file-copy-photo")
    assert [error for error in page.errors if "file:" not in error] == []


def _big_folder_segment() -> str:
    from gallery_builder.site.urls import segment

    return segment("2019-05 Big trip")
