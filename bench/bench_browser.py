"""Browser half of bench_build.py: one big year page opened in headless Chromium through nginx.

Reports the bytes of HTML and of JavaScript the page loads before any image (decoded and as sent,
gzip), the JSON and CSS beside them, and when the first thumbnail, and every thumbnail of the
first screen, had loaded (from the Navigation/Resource Timing entries of a cold browser).
"""
from __future__ import annotations

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from tests.site_servers import Nginx, browser_context  # noqa: E402

TIMINGS = """() => {
  const navigation = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const sum = (test, key) => resources.filter(test).reduce((total, r) => total + r[key], 0);
  const js = r => r.name.endsWith('.js'), json = r => r.name.includes('.json'), css = r => r.name.endsWith('.css');
  const thumbs = resources.filter(r => r.name.includes('/thumbs/'));
  const visible = [...document.querySelectorAll('.grid-window .card img, .grid-static .card img')]
    .filter(img => img.getBoundingClientRect().top < innerHeight);
  return {
    html_decoded: navigation.decodedBodySize, html_sent: navigation.transferSize,
    js_decoded: sum(js, 'decodedBodySize'), js_sent: sum(js, 'transferSize'),
    json_decoded: sum(json, 'decodedBodySize'), json_sent: sum(json, 'transferSize'),
    css_decoded: sum(css, 'decodedBodySize'),
    first_thumb_ms: thumbs.length ? Math.min(...thumbs.map(r => r.responseEnd)) : null,
    first_screen_ms: visible.length && visible.every(img => img.complete) ? Math.max(...thumbs.filter(
      r => visible.some(img => img.currentSrc === r.name)).map(r => r.responseEnd)) : null,
    dom_content_loaded_ms: navigation.domContentLoadedEventEnd,
    cards_in_dom: document.querySelectorAll('.grid-window .card').length,
  };
}"""


def measure_year_page(home: Path, url: str) -> dict[str, str]:
    server = Nginx(home)
    try:
        for context in browser_context():
            page = context.new_page()
            page.goto(f"{server.base}/{url}")
            page.wait_for_selector(".grid-window .card img.loaded", timeout=30_000)
            page.wait_for_function("[...document.querySelectorAll('.grid-window .card img')]"
                                   ".filter(i => i.getBoundingClientRect().top < innerHeight).every(i => i.complete)")
            figures = page.evaluate(TIMINGS)
    finally:
        server.stop()
    kib = lambda value: f"{value / 1024:.1f} KiB"  # noqa: E731
    return {
        "year page: HTML + JS before images (decoded)": kib(figures["html_decoded"] + figures["js_decoded"]),
        "year page: HTML + JS before images (sent, gzip)": kib(figures["html_sent"] + figures["js_sent"]),
        "year page: its _photos.json (decoded / sent)": f"{kib(figures['json_decoded'])} / {kib(figures['json_sent'])}",
        "year page: CSS (decoded)": kib(figures["css_decoded"]),
        "year page: first thumbnail loaded": f"{figures['first_thumb_ms']:.0f} ms",
        "year page: first screen of thumbnails loaded": f"{figures['first_screen_ms']:.0f} ms",
        "year page: DOMContentLoaded": f"{figures['dom_content_loaded_ms']:.0f} ms",
        "year page: cards in the DOM (windowed)": str(figures["cards_in_dom"]),
    }


if __name__ == "__main__":
    for name, value in measure_year_page(Path(sys.argv[1]), sys.argv[2]).items():
        print(f"{name:48s} {value}")
