"""`build_site`: gather every page model, check URLs, fingerprint, then render only what changed
and publish a new generation atomically (or publish nothing when nothing changed).
"""
from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from pathlib import Path

from gallery_builder.site.catalog import build_catalog
from gallery_builder.site.fingerprint import code_fingerprint, page_fingerprint, tree_fingerprint
from gallery_builder.site.generations import (SiteLayout, build_lock, clean_up, read_manifest, remove_leftovers,
                                              swap)
from gallery_builder.site.library import load_library
from gallery_builder.site.page_models import Page
from gallery_builder.site.pages import PAGE_KINDS
from gallery_builder.site.publish import Plan, RenderHook, write_generation
from gallery_builder.site.render import ASSETS_DIR, TEMPLATES_DIR, make_renderer
from gallery_builder.site.urls import check_unique_urls


@dataclass(frozen=True)
class BuildOptions:
    parquet_dir: Path
    thumbs_dir: Path
    out: Path                               # the published site (a symlink to the current generation)
    workers: int = 1
    force: bool = False                     # re-render every page
    templates_dir: Path = TEMPLATES_DIR
    assets_dir: Path = ASSETS_DIR
    before_render: RenderHook | None = None  # called before each page renders (tests inject failures)


@dataclass(frozen=True)
class BuildReport:
    pages: int
    rendered: int
    reused: int
    removed: int
    published: bool
    generation: int | None
    seconds: float

    def summary(self) -> str:
        if not self.published:
            return (f"Nothing changed: {self.pages:,} pages up to date; site unchanged "
                    f"(generation {self.generation}, {self.seconds:.1f} s).")
        return (f"Rendered {self.rendered:,}, reused {self.reused:,}, removed {self.removed:,} pages; "
                f"published generation {self.generation} ({self.seconds:.1f} s).")


def gather_pages(parquet_dir: Path) -> list[Page]:
    """Every page and data file of the site, from the export, in a stable order."""
    library = load_library(parquet_dir)
    catalog = build_catalog(library)
    pages: list[Page] = []
    for kind in PAGE_KINDS.values():
        pages.extend(kind.gather(catalog, library))
    check_unique_urls(pages)
    return pages


def make_plan(pages: list[Page], renderer, previous: dict, force: bool) -> Plan:
    fingerprints = [page_fingerprint(renderer.kind_fingerprints[page.kind], page.inputs) for page in pages]
    if force:
        previous = {**previous, "pages": {}, "units": {}}
    plan = Plan(pages=pages, fingerprints=fingerprints, previous=previous, assets_hash=renderer.assets_hash)
    old = previous["pages"]
    plan.reused = [(entry := old.get(page.url)) is not None and entry[0] == fingerprint
                   for page, fingerprint in zip(pages, fingerprints)]
    for index, page in enumerate(pages):
        if page.unit:
            plan.units.setdefault(page.unit, []).append(index)
        else:
            plan.root_pages.append(index)
    return plan


def build_site(options: BuildOptions) -> BuildReport:
    """Build and publish (see module docstring). The garbage collector is paused meanwhile: the
    build makes a few hundred thousand long-lived objects and no reference cycles."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_site(options)
    finally:
        if collecting:
            gc.enable()


def _build_site(options: BuildOptions) -> BuildReport:
    started = time.perf_counter()
    layout = SiteLayout(options.out)
    with build_lock(layout):
        remove_leftovers(layout)
        current = layout.current()
        previous = read_manifest(layout, current)
        assets_hash = tree_fingerprint(options.assets_dir)[:12]
        renderer = make_renderer(code_fingerprint(), assets_hash, options.templates_dir)
        plan = make_plan(gather_pages(options.parquet_dir), renderer, previous, options.force)
        reused = sum(plan.reused)
        urls = {page.url for page in plan.pages}
        removed = sum(1 for url in previous["pages"] if url not in urls)
        unchanged = reused == len(plan.pages) and not removed and previous["assets"] == assets_hash
        if unchanged and current is not None:
            return BuildReport(len(plan.pages), 0, reused, 0, False, current, time.perf_counter() - started)
        number = layout.next_number()
        try:
            write_generation(plan, renderer, layout, number, assets_dir=options.assets_dir,
                             thumbs_dir=options.thumbs_dir, workers=options.workers, hook=options.before_render)
        except BaseException:
            remove_leftovers(layout)     # the old generation keeps serving, untouched
            raise
        swap(layout, number)
        clean_up(layout, keep=(number,) + ((current,) if current is not None else ()))
        return BuildReport(len(plan.pages), len(plan.pages) - reused, reused, removed, True, number,
                           time.perf_counter() - started)


def generation_bytes(out: Path) -> int | None:
    """Bytes of the files the published generation holds itself (shared store units not counted):
    about what the next build writes."""
    site = out.resolve() if out.exists() else None
    if site is None or not site.is_dir():
        return None
    total = 0
    for folder, _, files in os.walk(site):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total
