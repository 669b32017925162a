"""Publishing one build: write a new generation from the plan, linking unchanged files from the
previous one, rendering the rest (in worker processes for large builds), then swap it in.

Unchanged files are hard links (no copy); units (photo buckets, top-level folders) whose
fingerprint is unchanged are not touched at all: their pages are not even gathered, and the new
generation links to the same store folder. A changed unit's page entries are kept beside its
store folder (`<folder>.json`), so the next build re-renders only its changed pages.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from gallery_builder.site.fingerprint import page_fingerprint
from gallery_builder.site.generations import MANIFEST_VERSION, SiteLayout, write_manifest
from gallery_builder.site.page_models import Page
from gallery_builder.site.pages import Unit
from gallery_builder.site.render import Renderer
from gallery_builder.site.urls import BuilderBug, page_file

RenderHook = Callable[[Page], None]
ROOT_JOB_SIZE = 400
PARALLEL_THRESHOLD = 2000   # renders below this run in-process (a pool costs more than it saves)


@dataclass
class Plan:
    """The new site: its own pages with their fingerprints, its units with theirs (a unit's pages
    are gathered only when its fingerprint changed); `previous` is the old manifest."""

    pages: list[Page]
    fingerprints: list[str]
    previous: dict[str, Any]
    assets_hash: str
    kind_fingerprints: dict[str, str]
    units: list[Unit] = field(default_factory=list)
    unit_fingerprints: list[str] = field(default_factory=list)
    reused: list[bool] = field(default_factory=list)            # same fingerprint as in `previous`
    unit_reused: list[bool] = field(default_factory=list)       # unit unchanged, its store folder kept

    def is_reused(self, index: int) -> bool:
        return self.reused[index]

    def store_name(self, index: int) -> str:
        return store_name(self.units[index].name, self.unit_fingerprints[index][:12])


@dataclass
class Job:
    target: Path                # folder the job writes into (generation or store folder)
    prefix: str                 # site-relative path of `target` ("" or "photos/12/")
    source: Path | None         # where reused files of this job are (old generation / old store folder)
    indices: list[int]          # root pages of the plan, or [the unit's index]
    is_unit: bool = False


@dataclass
class JobResult:
    files: dict[str, list[str]]                 # root pages: URL -> files
    unit: int = -1                              # the unit written, if any
    entries: dict[str, list] = field(default_factory=dict)   # its pages' manifest entries
    rendered: int = 0
    removed: int = 0                            # pages of the old unit gone from the new one


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


def _entry(fingerprint: str, unit: str, url: str, files: list[str]) -> list:
    entry: list = [fingerprint, unit]
    if files != [page_file(url)]:
        entry.append(files)                         # omitted for the common case: the page alone
    return entry


def _put(page: Page, job: Job, old_entry: list | None, fingerprint: str, made: set[Path]) -> tuple[list[str], bool]:
    """Link (unchanged) or render one page into the job's target: (its files, rendered?)."""
    if job.source is not None and old_entry is not None and old_entry[0] == fingerprint:
        files = page_files(old_entry, page.url)
        for name in files:
            _link(job.source / name[len(job.prefix):], job.target / name[len(job.prefix):], made)
        return files, False
    hook: RenderHook | None = _STATE.get("hook")
    if hook is not None:
        hook(page)
    rendered = _STATE["renderer"].render(page)
    for name, body in rendered.items():
        _write(job.target / name[len(job.prefix):], body, made)
    return list(rendered), True


def read_unit_entries(source: Path | None) -> dict[str, list]:
    """The page entries of a stored unit (`<store folder>.json`), {} when unknown."""
    if source is None:
        return {}
    try:
        return json.loads(source.with_name(source.name + ".json").read_text(encoding="utf-8"))["pages"]
    except (OSError, ValueError, KeyError):
        return {}


def run_job(job: Job) -> JobResult:
    """Write one job: a batch of the generation's own pages, or one unit gathered here."""
    plan: Plan = _STATE["plan"]
    made: set[Path] = set()
    if not job.is_unit:
        result = JobResult(files={})
        for index in job.indices:
            page = plan.pages[index]
            old = plan.previous["pages"].get(page.url) if plan.is_reused(index) else None
            files, rendered = _put(page, job, old, plan.fingerprints[index], made)
            result.files[page.url] = files
            result.rendered += rendered
        return result
    unit_index = job.indices[0]
    unit = plan.units[unit_index]
    old_entries = read_unit_entries(job.source)
    result = JobResult(files={}, unit=unit_index)
    for page in unit.pages():
        if not page.url.startswith(job.prefix) or page.url in result.entries:
            raise BuilderBug(f"the {unit.kind} unit {unit.name} gathered /{page.url}, outside it or twice")
        fingerprint = page_fingerprint(plan.kind_fingerprints[page.kind], page.inputs)
        files, rendered = _put(page, job, old_entries.get(page.url), fingerprint, made)
        result.entries[page.url] = _entry(fingerprint, unit.name, page.url, files)
        result.rendered += rendered
    result.removed = sum(1 for url in old_entries if url not in result.entries)
    return result


def _run_jobs(jobs: list[Job], render_count: int, workers: int) -> Iterator[JobResult]:
    if workers <= 1 or render_count < PARALLEL_THRESHOLD or len(jobs) < 2:
        for job in jobs:
            yield run_job(job)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        yield from pool.map(run_job, jobs, chunksize=1)


def store_name(unit: str, unit_hash: str) -> str:
    """Where a unit lives in the store: `photos/12` -> `photos/12.<hash>`,
    `folders/photos/2019` -> `folders/photos+2019.<hash>` (URL segments never contain '+')."""
    group, _, rest = unit.partition("/")
    return f"{group}/{rest.replace('/', '+')}.{unit_hash}"


def _unit_jobs(plan: Plan, layout: SiteLayout) -> tuple[list[Job], list[tuple[Path, Path]]]:
    """Jobs for units that must be written, and their (temp, final) renames."""
    jobs, renames = [], []
    for index, unit in enumerate(plan.units):
        if plan.unit_reused[index]:
            continue
        final = layout.store / plan.store_name(index)
        old = plan.previous["units"].get(unit.name)
        old_name = old[1] if old else None
        # a folder of this name not used by the current site is left from an older one: redo it
        shutil.rmtree(final, ignore_errors=True)
        temp = final.with_name(final.name + ".tmp")
        source = layout.store / old_name if old_name and (layout.store / old_name).is_dir() else None
        jobs.append(Job(target=temp, prefix=unit.name + "/", source=source, indices=[index], is_unit=True))
        renames.append((temp, final))
    return jobs, renames


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


@dataclass
class Written:
    """What writing a generation did, page by page."""

    rendered: int = 0
    removed: int = 0                 # pages of changed units that are gone (whole units and root pages apart)


def _write_unit_entries(layout: SiteLayout, name: str, entries: dict[str, list]) -> None:
    path = layout.store / (name + ".json")
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps({"pages": entries}, separators=(",", ":")), encoding="utf-8")
    os.replace(temp, path)


def write_generation(plan: Plan, renderer: Renderer, layout: SiteLayout, number: int, *, assets_dir: Path,
                     thumbs_dir: Path, workers: int, hook: RenderHook | None = None) -> Written:
    """Write generation `number` (as `<n>.tmp`, renamed when complete) and its manifest; each
    changed unit is gathered, rendered and written to the store by one job (in a worker)."""
    generation = layout.generations / f"{number}.tmp"
    generation.mkdir(parents=True)
    previous = plan.previous["generation"]
    old_root = layout.generation_dir(previous) if previous is not None else None
    jobs = [Job(target=generation, prefix="", source=old_root, indices=list(range(start, min(start + ROOT_JOB_SIZE,
                                                                                          len(plan.pages)))))
            for start in range(0, len(plan.pages), ROOT_JOB_SIZE)]
    unit_jobs, renames = _unit_jobs(plan, layout)
    render_count = sum(not reused for reused in plan.reused) + sum(plan.units[job.indices[0]].count for job in unit_jobs)
    _STATE.update(plan=plan, renderer=renderer, hook=hook)
    files: dict[str, list[str]] = {}
    written = Written()
    try:
        for result in _run_jobs(unit_jobs + jobs, render_count, workers):
            files.update(result.files)
            written.rendered += result.rendered
            written.removed += result.removed
            if result.unit >= 0:
                _write_unit_entries(layout, plan.store_name(result.unit), result.entries)
    finally:
        _STATE.clear()
    for temp, final in renames:
        os.replace(temp, final)
    units = {}
    for index, unit in enumerate(plan.units):
        name = plan.store_name(index)
        units[unit.name] = [plan.unit_fingerprints[index], name, unit.count]
        _symlink(layout.store / name, generation / unit.name)
    _symlink(_assets(layout, assets_dir, plan.assets_hash), generation / "assets" / plan.assets_hash)
    _symlink(thumbs_dir, generation / "thumbs")
    pages = {page.url: _entry(fingerprint, "", page.url, files[page.url])
             for page, fingerprint in zip(plan.pages, plan.fingerprints)}
    write_manifest(layout, number, {"version": MANIFEST_VERSION, "generation": number, "pages": pages,
                                    "units": units, "assets": plan.assets_hash})
    os.replace(generation, layout.generation_dir(number))
    return written
