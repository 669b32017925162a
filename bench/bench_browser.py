"""Browser half of bench_build.py: one big year page opened in headless Chromium through nginx.

Reports the bytes of HTML and of JavaScript the page loads before any image (decoded and as sent,
gzip), the JSON and CSS beside them, when the first thumbnail, and every thumbnail of the first
screen in the page's plain HTML, had loaded (from the Navigation/Resource Timing entries of a cold
browser), and when the grid, once its data loaded, drew its first picture and its whole first screen
into the cards' canvases (the HTML first screen stays up until then).
Then the thumbnail bytes of the first screen by device pixel ratio, each in a cold browser: a
desktop at DPR 1 (the baseline), the same desktop at DPR 2, and a phone at DPR 3; photos fetched
in two sizes (a first screen the grid then drops) are counted apart.

Then the scroll: the same page scrolled to its end five screens at a time (each step waits until
every card on screen shows its picture), sampling the tab's memory (the renderer process's resident
set, and the JavaScript heap and DOM nodes from the DevTools protocol) beside its baseline, the same
tab at its first screen; the target for a 100,000-photo year is a tab under 500 MB. A site built
before the grid drew into canvases (an <img> per card) measures the same way (--baseline, below).

Usage: python bench/bench_browser.py HOME URL [PACE] [--baseline REV]
  HOME holds site/ and thumbs/ (e.g. bench_build.py --keep); PACE: seconds between scroll steps (default 0);
  --baseline REV: first measure a copy of the site whose scripts and styles are git REV's (the same
  pages and thumbnails), and print its figures beside this version's.
Example: python bench/bench_browser.py /tmp/bb100k years/2019/ --baseline c2dc4a4
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from tests.site_servers import Nginx, browser_context  # noqa: E402

DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
SCREENS = (("desktop DPR 1 (baseline)", DESKTOP, 1), ("desktop DPR 2", DESKTOP, 2), ("phone DPR 3", PHONE, 3))
MORE_TIMING_ENTRIES = "performance.setResourceTimingBufferSize(100000)"
# when each card's canvas was first drawn (the grid draws every picture with drawImage), and the
# pictures of the page's plain-HTML first screen that are on screen (shown before the grid's script)
DRAW_TIMES = """(() => { const draw = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function () {
    if (!this.canvas.dataset.drawnAt) this.canvas.dataset.drawnAt = performance.now();
    return draw.apply(this, arguments); };
  document.addEventListener('DOMContentLoaded', () => { window.staticFirstScreen = [
    ...document.querySelectorAll('.grid-static .card img')].filter(img => img.getBoundingClientRect().top < innerHeight)
    .map(img => img.currentSrc || img.src); }); })()"""
# every card on screen shows its picture (drawn into its canvas; an <img> in grids before 2026-11-30,
# so a site built by an older version measures as the baseline) or its file card; false before the
# grid painted the screen (no card on it yet)
ON_SCREEN = ("[...document.querySelectorAll('.grid-window .card')].filter(c => { const box = c.getBoundingClientRect();"
             " return box.bottom > 0 && box.top < innerHeight; })")
FIRST_SCREEN_DONE = f"(cards => cards.length > 0 && cards.every(c => c.querySelector('canvas.loaded, img.loaded, .card-file')))({ON_SCREEN})"

TIMINGS = """() => {
  const ON_SCREEN = %s;
  const navigation = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const sum = (test, key) => resources.filter(test).reduce((total, r) => total + r[key], 0);
  const js = r => r.name.endsWith('.js'), json = r => r.name.includes('.json'), css = r => r.name.endsWith('.css');
  const thumbs = resources.filter(r => r.name.includes('/thumbs/'));
  const visible = ON_SCREEN.map(card => card.querySelector('canvas, img')).filter(Boolean);
  // when a grid picture showed: a canvas when first drawn, an <img> (older grids) when its file arrived
  const shownAt = picture => picture.tagName === 'CANVAS' ? +picture.dataset.drawnAt
    : Math.min(...thumbs.filter(r => r.name === picture.currentSrc).map(r => r.responseEnd));
  return {
    html_decoded: navigation.decodedBodySize, html_sent: navigation.transferSize,
    js_decoded: sum(js, 'decodedBodySize'), js_sent: sum(js, 'transferSize'),
    json_decoded: sum(json, 'decodedBodySize'), json_sent: sum(json, 'transferSize'),
    css_decoded: sum(css, 'decodedBodySize'),
    first_thumb_ms: thumbs.length ? Math.min(...thumbs.map(r => r.responseEnd)) : null,
    static_screen_ms: (window.staticFirstScreen || []).length ? Math.max(...window.staticFirstScreen.map(
      src => Math.min(...thumbs.filter(r => r.name === src).map(r => r.responseEnd)))) : null,
    first_drawn_ms: Math.min(...[...document.querySelectorAll('.grid-window .card canvas, .grid-window .card img')]
      .map(shownAt).filter(Number.isFinite)),
    first_screen_ms: visible.length ? Math.max(...visible.map(shownAt)) : null,
    dom_content_loaded_ms: navigation.domContentLoadedEventEnd,
    cards_in_dom: document.querySelectorAll('.grid-window .card').length,
  };
}""" % ON_SCREEN

# every thumbnail fetched so far (the first screen plus the windowing margin, no scrolling)
THUMB_BYTES = """() => {
  const thumbs = performance.getEntriesByType('resource').filter(r => r.name.includes('/thumbs/'));
  const sizes = new Map();
  thumbs.forEach(r => { const key = r.name.replace(/-\\d+\\.\\w+$/, ''); sizes.set(key, (sizes.get(key) || 0) + 1); });
  return {
    files: thumbs.length, bytes: thumbs.reduce((total, r) => total + r.encodedBodySize, 0),
    large: thumbs.filter(r => /-1280\\.jpg$/.test(r.name)).length,
    twice: [...sizes.values()].filter(count => count > 1).length,
  };
}"""


def open_cold(server: Nginx, url: str, viewport: dict, ratio: float):
    """Yield a page of a fresh browser (empty cache) once the first screen's thumbnails loaded."""
    for context in browser_context(viewport=viewport, device_scale_factor=ratio):
        page = context.new_page()
        page.add_init_script(MORE_TIMING_ENTRIES)
        page.add_init_script(DRAW_TIMES)
        page.goto(f"{server.base}/{url}")
        page.wait_for_selector(".grid-window .card canvas.loaded, .grid-window .card img.loaded", timeout=30_000)
        page.wait_for_function(FIRST_SCREEN_DONE)
        try:  # the grid's margin of thumbnails beyond the first screen, when the network settles
            page.wait_for_load_state("networkidle", timeout=10_000)
        except PlaywrightTimeout:  # a big year keeps its JSON parse and windowing busy: measure anyway
            pass
        yield page


def thumbnail_bytes(server: Nginx, url: str) -> dict[str, str]:
    figures: dict[str, str] = {}
    baseline = None
    for label, viewport, ratio in SCREENS:
        for page in open_cold(server, url, viewport, ratio):
            found = page.evaluate(THUMB_BYTES)
        baseline = baseline or found["bytes"]
        figures[f"thumbnails, {label}"] = (
            f"{found['bytes'] / 1024:.1f} KiB ({found['bytes'] / baseline:.2f}x baseline), {found['files']} files, "
            f"{found['large']} of them 1280 px, {found['twice']} photos fetched in two sizes")
    return figures


def renderer_rss_mb() -> float:
    """Resident memory of the largest Chromium renderer process started by this process (the tab)."""
    import psutil

    largest = 0
    for process in psutil.Process().children(recursive=True):
        try:
            if "--type=renderer" in " ".join(process.cmdline()):
                largest = max(largest, process.memory_info().rss)
        except psutil.Error:
            continue
    return largest / 2**20


def tab_memory(page, session) -> dict[str, float]:
    metrics = {item["name"]: item["value"] for item in session.send("Performance.getMetrics")["metrics"]}
    return {"rss_mb": renderer_rss_mb(), "heap_mb": metrics.get("JSHeapUsedSize", 0) / 2**20,
            "nodes": metrics.get("Nodes", 0)}


SCROLL_STEP = """() => { window.scrollBy(0, innerHeight * 5);
  return scrollY + innerHeight >= document.documentElement.scrollHeight - 4; }"""


def scroll_to_end(server: Nginx, url: str, pace: float = 0.0) -> dict[str, str]:
    """Scroll the page to its end, sampling the tab's memory; (figures as text)."""
    for page in open_cold(server, url, DESKTOP, 1):
        session = page.context.new_cdp_session(page)
        session.send("Performance.enable")
        first = tab_memory(page, session)
        peak = dict(first)
        started, steps, at_end = time.perf_counter(), 0, False
        while not at_end:
            at_end = page.evaluate(SCROLL_STEP)
            steps += 1
            page.wait_for_function(FIRST_SCREEN_DONE, timeout=30_000)
            if pace:
                time.sleep(pace)  # a person's pace between flicks (the memory grows with distance, not speed)
            if steps % 20 == 0 or at_end:
                now = tab_memory(page, session)
                peak = {key: max(peak[key], now[key]) for key in peak}
        seconds = time.perf_counter() - started
        cards = page.evaluate("document.querySelectorAll('.grid-window .card').length")
        last = page.evaluate("[...document.querySelectorAll('.grid-window .card')].map(c => c.dataset.id).pop()")
    return {
        "scroll to the end: steps of five screens": f"{steps} in {seconds:.1f} s, cards in the DOM at the end {cards}"
                                                     f" (last card id {last})",
        "tab memory, first screen (baseline)": f"{first['rss_mb']:.0f} MB resident, JS heap {first['heap_mb']:.0f} MB,"
                                               f" {first['nodes']:.0f} DOM nodes",
        "tab memory, peak while scrolling": f"{peak['rss_mb']:.0f} MB resident (target < 500 MB), JS heap "
                                            f"{peak['heap_mb']:.0f} MB, {peak['nodes']:.0f} DOM nodes",
    }


def measure_year_page(home: Path, url: str, scroll: bool = True, pace: float = 0.0) -> dict[str, str]:
    server = Nginx(home)
    try:
        for page in open_cold(server, url, DESKTOP, 1):
            figures = page.evaluate(TIMINGS)
        by_ratio = thumbnail_bytes(server, url)
        scrolled = scroll_to_end(server, url, pace) if scroll else {}
    finally:
        server.stop()
    kib = lambda value: f"{value / 1024:.1f} KiB"  # noqa: E731
    return {
        "year page: HTML + JS before images (decoded)": kib(figures["html_decoded"] + figures["js_decoded"]),
        "year page: HTML + JS before images (sent, gzip)": kib(figures["html_sent"] + figures["js_sent"]),
        "year page: its _photos.json (decoded / sent)": f"{kib(figures['json_decoded'])} / {kib(figures['json_sent'])}",
        "year page: CSS (decoded)": kib(figures["css_decoded"]),
        "year page: first thumbnail loaded": f"{figures['first_thumb_ms']:.0f} ms",
        "year page: first screen of thumbnails (page HTML)": f"{figures['static_screen_ms']:.0f} ms",
        "year page: first picture drawn by the grid": f"{figures['first_drawn_ms']:.0f} ms",
        "year page: first screen drawn by the grid": f"{figures['first_screen_ms']:.0f} ms",
        "year page: DOMContentLoaded": f"{figures['dom_content_loaded_ms']:.0f} ms",
        "year page: cards in the DOM (windowed)": str(figures["cards_in_dom"]),
        **{f"year page: {name}": value for name, value in by_ratio.items()},
        **{f"year page: {name}": value for name, value in scrolled.items()},
    }


def baseline_home(home: Path, revision: str) -> Path:
    """A stand-in HOME whose site is HOME's published one (each top-level entry linked, so no page
    is copied) but with a copy of its assets holding git `revision`'s site_assets JavaScript and CSS."""
    copy = Path(tempfile.mkdtemp(prefix="bench-browser-baseline-"))
    copy.chmod(0o755)
    (copy / "site").mkdir()
    for entry in (home / "site").resolve().iterdir():
        if entry.name == "assets":
            shutil.copytree(entry, copy / "site" / "assets")           # follows the links into the store
        else:
            (copy / "site" / entry.name).symlink_to(entry.resolve())
    (copy / "thumbs").symlink_to((home / "thumbs").resolve())
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", revision, "site_assets/js", "site_assets/css"],
                           cwd=REPOSITORY, capture_output=True, text=True, check=True).stdout.split()
    for assets in (copy / "site" / "assets").iterdir():
        for name in names:
            old = subprocess.run(["git", "show", f"{revision}:{name}"], cwd=REPOSITORY, capture_output=True, check=True)
            target = assets / Path(name).relative_to("site_assets")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(old.stdout)
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("home", type=Path)
    parser.add_argument("url")
    parser.add_argument("pace", type=float, nargs="?", default=0.0, help="seconds between scroll steps")
    parser.add_argument("--baseline", metavar="REV", help="git revision whose scripts and styles are the baseline")
    args = parser.parse_args()
    baseline = {}
    if args.baseline:
        copy = baseline_home(args.home, args.baseline)
        try:
            baseline = measure_year_page(copy, args.url, pace=args.pace)
        finally:
            shutil.rmtree(copy, ignore_errors=True)
    for name, value in measure_year_page(args.home, args.url, pace=args.pace).items():
        print(f"{name:48s} {value}" + (f"\n{'':48s} baseline {args.baseline}: {baseline[name]}" if baseline else ""))


if __name__ == "__main__":
    main()
