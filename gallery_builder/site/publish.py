"""Publishing one build: write a new generation from the plan, linking unchanged files from the
previous one, rendering the rest (in worker processes for large builds), then swap it in.

Unchanged files are hard links (no copy); photo buckets whose pages are all unchanged are not
touched at all (the new generation links to the same store folder).
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gallery_builder.site.fingerprint import digest
from gallery_builder.site.generations import SiteLayout, write_manifest
from gallery_builder.site.page_models import Page
from gallery_builder.site.render import Renderer
from gallery_builder.site.urls import page_file

RenderHook = Callable[[Page], None]
ROOT_JOB_SIZE = 400
PARALLEL_THRESHOLD = 2000   # renders below this run in-process (a pool costs more than it saves)


@dataclass
class Plan:
    """Every page of the new site with its fingerprint; `previous` is the old manifest."""

    pages: list[Page]
    fingerprints: list[str]
    previous: dict[str, Any]
    assets_hash: str
    units: dict[str, list[int]] = field(default_factory=dict)   # unit -> page indices
    root_pages: list[int] = field(default_factory=list)
    reused: list[bool] = field(default_factory=list)            # same fingerprint as in `previous`

    def is_reused(self, index: int) -> bool:
        return self.reused[index]

    def unit_hash(self, unit: str) -> str:
        return digest(*(f"{self.pages[i].url}={self.fingerprints[i]}" for i in self.units[unit]))[:12]


@dataclass
class Job:
    target: Path                # folder the job writes into (generation or store folder)
    prefix: str                 # site-relative path of `target` ("" or "photos/12/")
    source: Path | None         # where reused files of this job are (old generation / old store folder)
    indices: list[int]


_STATE: dict[str, Any] = {}     # inherited by forked workers: plan, renderer, hook


def _write(path: Path, body: bytes, made: set[Path]) -> None:
    parent = path.parent
    if parent not in made:
        parent.mkdir(parents=True, exist_ok=True)
        made.add(parent)
    with open(path, "wb") as handle:
        handle.write(body)


def _link(source: Path, path: Path, made: set[Path]) -> None:
    parent = path.parent
    if parent not in made:
        parent.mkdir(parents=True, exist_ok=True)
        made.add(parent)
    try:
        os.link(source, path)
    except OSError:
        shutil.copyfile(source, path)


def page_files(entry: list, url: str) -> list[str]:
    """The files of a page from its manifest entry [fingerprint, unit, files?]."""
    return entry[2] if len(entry) > 2 else [page_file(url)]


def run_job(job: Job) -> dict[str, list[str]]:
    """Write one job's pages; returns page URL -> its files (site-relative)."""
    plan: Plan = _STATE["plan"]
    renderer: Renderer = _STATE["renderer"]
    hook: RenderHook | None = _STATE.get("hook")
    made: set[Path] = set()
    written: dict[str, list[str]] = {}
    for index in job.indices:
        page = plan.pages[index]
        if job.source is not None and plan.is_reused(index):
            files = page_files(plan.previous["pages"][page.url], page.url)
            for name in files:
                _link(job.source / name[len(job.prefix):], job.target / name[len(job.prefix):], made)
        else:
            if hook is not None:
                hook(page)
            rendered = renderer.render(page)
            for name, body in rendered.items():
                _write(job.target / name[len(job.prefix):], body, made)
            files = list(rendered)
        written[page.url] = files
    return written


def _run_jobs(jobs: list[Job], render_count: int, workers: int) -> dict[str, list[str]]:
    results: dict[str, list[str]] = {}
    if workers <= 1 or render_count < PARALLEL_THRESHOLD or len(jobs) < 2:
        for job in jobs:
            results.update(run_job(job))
        return results
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        for written in pool.map(run_job, jobs, chunksize=1):
            results.update(written)
    return results


def store_name(unit: str, unit_hash: str) -> str:
    """Where a unit lives in the store: `photos/12` -> `photos/12.<hash>`,
    `folders/photos/2019` -> `folders/photos+2019.<hash>` (URL segments never contain '+')."""
    group, _, rest = unit.partition("/")
    return f"{group}/{rest.replace('/', '+')}.{unit_hash}"


def _unit_jobs(plan: Plan, layout: SiteLayout) -> tuple[list[Job], dict[str, str], list[tuple[Path, Path]]]:
    """Jobs for units that must be written; every unit's store name; (temp, final) renames."""
    jobs, names, renames = [], {}, []
    for unit, indices in sorted(plan.units.items()):
        name = store_name(unit, plan.unit_hash(unit))
        names[unit] = name
        final = layout.store / name
        old = plan.previous["units"].get(unit)
        if old != name or not final.is_dir():
            # a folder of this name not used by the current site is left from an older one: redo it
            shutil.rmtree(final, ignore_errors=True)
            temp = final.with_name(final.name + ".tmp")
            source = layout.store / old if old and (layout.store / old).is_dir() else None
            jobs.append(Job(target=temp, prefix=unit + "/", source=source, indices=indices))
            renames.append((temp, final))
    return jobs, names, renames


def _assets(layout: SiteLayout, assets_dir: Path, assets_hash: str) -> Path:
    final = layout.store / "assets" / assets_hash
    if not final.exists():
        temp = final.with_name(assets_hash + ".tmp")
        shutil.copytree(assets_dir, temp, ignore=shutil.ignore_patterns("*.md", "*.py", "__pycache__", ".*"))
        os.replace(temp, final)
    return final


def _symlink(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(target, link.parent), link)


def write_generation(plan: Plan, renderer: Renderer, layout: SiteLayout, number: int, *, assets_dir: Path,
                     thumbs_dir: Path, workers: int, hook: RenderHook | None = None) -> Path:
    """Write generation `number` (as `<n>.tmp`, renamed when complete) and its manifest."""
    generation = layout.generations / f"{number}.tmp"
    generation.mkdir(parents=True)
    previous = plan.previous["generation"]
    old_root = layout.generation_dir(previous) if previous is not None else None
    jobs = [Job(target=generation, prefix="", source=old_root, indices=plan.root_pages[start:start + ROOT_JOB_SIZE])
            for start in range(0, len(plan.root_pages), ROOT_JOB_SIZE)]
    unit_jobs, unit_names, renames = _unit_jobs(plan, layout)
    render_count = sum(1 for job in jobs + unit_jobs for i in job.indices if job.source is None or not plan.is_reused(i))
    _STATE.update(plan=plan, renderer=renderer, hook=hook)
    try:
        files = _run_jobs(unit_jobs + jobs, render_count, workers)
    finally:
        _STATE.clear()
    for temp, final in renames:
        os.replace(temp, final)
    for unit, name in unit_names.items():
        _symlink(layout.store / name, generation / unit)
    _symlink(_assets(layout, assets_dir, plan.assets_hash), generation / "assets" / plan.assets_hash)
    _symlink(thumbs_dir, generation / "thumbs")
    pages = {}
    for page, fingerprint in zip(plan.pages, plan.fingerprints):
        written = files.get(page.url) or page_files(plan.previous["pages"][page.url], page.url)
        entry = [fingerprint, page.unit]
        if written != [page_file(page.url)]:
            entry.append(written)                        # omitted for the common case: the page alone
        pages[page.url] = entry
    write_manifest(layout, number, {"version": 1, "generation": number, "pages": pages, "units": unit_names,
                                    "assets": plan.assets_hash})
    os.replace(generation, layout.generation_dir(number))
    return layout.generation_dir(number)
