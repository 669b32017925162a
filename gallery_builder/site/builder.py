"""`build_site`: gather every page (and unit of pages), check URLs, fingerprint, then render only
what changed and publish a new generation atomically (or publish nothing when nothing changed).

Memory stays bounded on a large library: the photo table stays columnar, a unit whose
fingerprint is unchanged is never expanded into pages, and a changed one is gathered and rendered
in one job (a worker process on a big build). See site/pages/__init__.py for a page kind's rules.
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
from gallery_builder.site.library import Library, load_library
from gallery_builder.site.page_models import Page
from gallery_builder.site.pages import PAGE_KINDS, Unit
from gallery_builder.site.publish import Plan, RenderHook, write_generation
from gallery_builder.site.render import ASSETS_DIR, TEMPLATES_DIR, make_renderer
from gallery_builder.site.urls import BuilderBug, check_unique_urls


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
    materialised: int = 0       # photo records made in the build's own process (workers apart)

    def summary(self) -> str:
        if not self.published:
            return (f"Nothing changed: {self.pages:,} pages up to date; site unchanged "
                    f"(generation {self.generation}, {self.seconds:.1f} s).")
        return (f"Rendered {self.rendered:,}, reused {self.reused:,}, removed {self.removed:,} pages; "
                f"published generation {self.generation} ({self.seconds:.1f} s).")


@dataclass
class Gathered:
    """The site before anything renders: its own pages and its units (pages not yet gathered)."""

    pages: list[Page]
    units: list[Unit]
    library: Library


def gather_site(parquet_dir: Path) -> Gathered:
    """Every page of the generation itself and every unit, from the export, in a stable order;
    refuses two pages (or units) claiming one URL."""
    library = load_library(parquet_dir)
    catalog = build_catalog(library)
    pages: list[Page] = []
    units: list[Unit] = []
    for kind in PAGE_KINDS.values():
        pages.extend(kind.gather(catalog, library))
        units.extend(kind.units(catalog, library))
    check_unique_urls(pages)
    check_unique_urls([Page(kind=unit.kind, url=unit.name + "/", inputs="", build=list) for unit in units])
    prefixes = {unit.name + "/": unit for unit in units}
    for page in pages:
        parts = page.url.split("/")
        for depth in range(1, len(parts)):
            unit = prefixes.get("/".join(parts[:depth]) + "/")
            if unit is not None:
                raise BuilderBug(f"the {page.kind} page /{page.url} is inside the {unit.kind} unit /{unit.name}/")
    return Gathered(pages=pages, units=units, library=library)


def make_plan(gathered: Gathered, renderer, previous: dict, force: bool, layout: SiteLayout) -> Plan:
    if force:
        previous = {**previous, "pages": {}, "units": {}}
    kinds = renderer.kind_fingerprints
    plan = Plan(pages=gathered.pages, previous=previous, assets_hash=renderer.assets_hash, kind_fingerprints=kinds,
                fingerprints=[page_fingerprint(kinds[page.kind], page.inputs) for page in gathered.pages],
                units=gathered.units,
                unit_fingerprints=[page_fingerprint(kinds[unit.kind], unit.inputs) for unit in gathered.units])
    old = previous["pages"]
    plan.reused = [(entry := old.get(page.url)) is not None and entry[0] == fingerprint
                   for page, fingerprint in zip(plan.pages, plan.fingerprints)]
    old_units = previous["units"]
    for index, unit in enumerate(plan.units):
        entry = old_units.get(unit.name)
        name = plan.store_name(index)
        plan.unit_reused.append(entry is not None and entry[0] == plan.unit_fingerprints[index] and entry[1] == name
                                and (layout.store / name).is_dir() and (layout.store / (name + ".json")).is_file())
    return plan


def build_site(options: BuildOptions) -> BuildReport:
    """Build and publish (see module docstring). The garbage collector is paused meanwhile: the
    build makes long-lived objects and no reference cycles."""
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
        gathered = gather_site(options.parquet_dir)
        plan = make_plan(gathered, renderer, previous, options.force, layout)
        urls = {page.url for page in plan.pages}
        unit_names = {unit.name for unit in plan.units}
        removed = sum(1 for url in previous["pages"] if url not in urls)
        removed += sum(entry[2] for name, entry in previous["units"].items() if name not in unit_names)
        total = len(plan.pages) + sum(unit.count for unit in plan.units)
        unchanged = (all(plan.reused) and all(plan.unit_reused) and not removed
                     and previous["assets"] == assets_hash)
        if unchanged and current is not None:
            return BuildReport(total, 0, total, 0, False, current, time.perf_counter() - started,
                               gathered.library.table.materialised)
        number = layout.next_number()
        try:
            written = write_generation(plan, renderer, layout, number, assets_dir=options.assets_dir,
                                       thumbs_dir=options.thumbs_dir, workers=options.workers,
                                       hook=options.before_render)
        except BaseException:
            remove_leftovers(layout)     # the old generation keeps serving, untouched
            raise
        swap(layout, number)
        clean_up(layout, keep=(number,) + ((current,) if current is not None else ()))
        return BuildReport(total, written.rendered, total - written.rendered, removed + written.removed, True, number,
                           time.perf_counter() - started, gathered.library.table.materialised)


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
