"""The offline search index at scale: what the search page loads for a few queries when the sidecar
is down, in headless Chromium through nginx, beside its baseline in the same run: every shard a
page without shard summaries loads (all of them, or a year's for a year query; bytes as nginx sends
them, the .gz twins). Also the manifest's own size, which every query loads.

Usage: python bench/bench_search_index.py --count 1000000          (writes and builds a library first)
       python bench/bench_search_index.py --home DIR                (a built home: DIR/site, e.g. bench_build.py --keep)
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "bench"))

from tests.site_servers import Nginx, browser_context  # noqa: E402

# bench_build.py's library: 4 cities on a third of the shoots, six months of each year, cameras "EOS R1-7"
QUERIES = ("place=Lima", "q=oslo", "year=2012&month=04", "country=Japan&year=2016", "q=2012-02-05", "q=r7")
FETCHED = """() => performance.getEntriesByType('resource').filter(r => r.name.includes('/search/index/')
  && !r.name.includes('manifest')).map(r => ({name: r.name.split('/').pop(), sent: r.transferSize, decoded: r.decodedBodySize}))"""


def write_and_build(home: Path, count: int) -> None:
    import bench_build

    from gallery_builder.site.builder import BuildOptions, build_site

    started = time.perf_counter()
    written = bench_build.write_library(home, count, with_new_folder=False)
    report = build_site(BuildOptions(parquet_dir=home / "parquet", thumbs_dir=home / "thumbs", out=home / "site",
                                     workers=2))
    print(f"library: {written:,} photos, built in {time.perf_counter() - started:.0f} s ({report.summary()})", flush=True)


def time_manifest(home: Path) -> None:
    """The manifest's build (every shard's summary, vectorised) beside reading the library for it."""
    from gallery_builder.site.catalog import build_catalog
    from gallery_builder.site.library import load_library
    from gallery_builder.site.pages.search import gather_manifest

    started = time.perf_counter()
    library = load_library(home / "parquet")
    catalog = build_catalog(library)
    read = time.perf_counter() - started
    started = time.perf_counter()
    for page in gather_manifest(catalog, library):
        page.build()
    print(f"{'manifest build (every shard summarised)':44s} {time.perf_counter() - started:9.2f} s; "
          f"baseline: loading the library and its catalog {read:.2f} s", flush=True)


def gz_bytes(site: Path, names) -> int:
    return sum((site / "search/index" / (name + ".gz")).stat().st_size for name in names)


def baseline_shards(manifest: dict, query: str) -> list[str]:
    """The shards a page without summaries loads: every one, or the year's for a year query."""
    year = dict(part.split("=", 1) for part in query.split("&")).get("year")
    return [entry["url"].rsplit("/", 1)[1] for entry in manifest["shards"] if not year or entry["year"] == year]


def measure(home: Path) -> None:
    site = home / "site"
    time_manifest(home)
    manifest = json.loads((site / "search/index/manifest.json").read_text(encoding="utf-8"))
    every = [entry["url"].rsplit("/", 1)[1] for entry in manifest["shards"]]
    print(f"{'manifest (every query loads it)':44s} {(site / 'search/index/manifest.json.gz').stat().st_size / 2**10:9.1f}"
          f" KiB sent ({(site / 'search/index/manifest.json').stat().st_size / 2**10:.1f} KiB decoded), "
          f"{len(every)} shards of {manifest['total']:,} photos, all shards {gz_bytes(site, every) / 2**20:.1f} MiB sent")
    server = Nginx(home)
    try:
        for context in browser_context():
            for query in QUERIES:
                tab = context.new_page()
                session = context.new_cdp_session(tab)
                session.send("Network.enable")
                session.send("Network.setCacheDisabled", {"cacheDisabled": True})
                tab.add_init_script("performance.setResourceTimingBufferSize(100000)")
                started = time.perf_counter()
                tab.goto(f"{server.base}/search/?{query}")
                tab.wait_for_selector(".source-badge", timeout=600_000)
                seconds = time.perf_counter() - started
                status = tab.evaluate("document.getElementById('search-status').firstChild.textContent")
                fetched = tab.evaluate(FETCHED)
                tab.close()
                names = [item["name"] for item in fetched]
                base = baseline_shards(manifest, query)
                print(f"{query:44s} {len(names):4d} shards, {gz_bytes(site, names) / 2**20:7.2f} MiB sent in {seconds:5.1f} s "
                      f"({status}); baseline {len(base)} shards, {gz_bytes(site, base) / 2**20:.2f} MiB", flush=True)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="photos of the synthetic library (bench_build.py's)")
    parser.add_argument("--home", type=Path, help="measure this built home instead of writing one")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="bench-search-index-"))
    try:
        if not args.home:
            home.chmod(0o755)             # nginx's workers (user nobody) serve it
            write_and_build(home, args.count)
        measure(home)
    finally:
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
