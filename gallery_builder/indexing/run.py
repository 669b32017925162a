"""One indexing run as named stages over a typed run state: scan -> passes -> analysis -> export ->
publish.

`gallery index` and `gallery watch` both describe what they want as a `RunPlan` and call
`run_index`; watch adds chunking (`publish_every`) and scheduling, never its own wiring of export
and build. Each stage logs one line through `log` and keeps `<home>/progress.json` current.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from gallery_builder.config import Root, Settings
from gallery_builder.core.disk_space import DiskFull, is_disk_full
from gallery_builder.core.records import RunContext, Scope
from gallery_builder.db.connection import connect
from gallery_builder.indexing.progress import Progress
from gallery_builder.indexing.runner import PassRunner, RunReport
from gallery_builder.indexing.scan import RootUnavailable, ScanReport, Scanner
from gallery_builder.ml.vector_store import update_vector_index

STAGES: tuple[str, ...] = ("scan", "passes", "analysis", "export", "publish")
Publish = Callable[[], str]
CHOSEN_CHUNK = 10_000  # photos per pass run when a run covers chosen photos (a Scope's SQL has one ? each)


@dataclass(frozen=True)
class RunPlan:
    """What one run should do.

    `hold` maps a root label to relative paths still being written: left alone by this scan.
    `publish` (watch mode: the site's incremental build) runs after the export when something
    changed, or always with `publish_always` (a full rescan: the site may be missing).
    `publish_every` > 0 runs the passes over chunks of that many photos and exports and publishes
    after each chunk but the last, so a first run over a large library shows photos long before it
    ends. `photo_ids` (a collection's photos) skips the scan and runs the passes and analyses over
    just those photos."""

    roots: tuple[Root, ...]
    pass_names: tuple[str, ...]
    force: frozenset[str] = frozenset()
    accept_empty: bool = False
    hold: Mapping[str, frozenset[str]] = field(default_factory=dict)
    export: bool = True
    publish: Publish | None = None
    publish_always: bool = False
    publish_every: int = 0
    photo_ids: tuple[int, ...] | None = None


@dataclass
class RunState:
    """What a run did, stage by stage (the typed report both the CLI and watch mode print)."""

    stage: str = "scan"
    scans: list[ScanReport] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    root_ids: list[int] = field(default_factory=list)
    passes: RunReport | None = None
    analyses: list[str] = field(default_factory=list)
    exported: dict[str, int] = field(default_factory=dict)
    published: str | None = None

    def changed_anything(self) -> bool:
        """Did the scan find a change, or did a pass do any work (so the site may need publishing)?"""
        found = any(scan.counts[key] for scan in self.scans
                    for key in ("new", "changed", "moved", "returned", "missing", "errors"))
        worked = self.passes is not None and any(item.done or item.errors for item in self.passes.passes)
        return found or worked


def run_context(settings: Settings) -> RunContext:
    return RunContext(settings)


def run_index(settings: Settings, plan: RunPlan, *, db: Any = None, show_bar: bool | None = None,
              log: Callable[[str], None] = print, notify: Callable[[str], None] | None = None) -> RunState:
    """Run every stage of `plan`; refused roots are reported in the state, not raised.

    `log` gets one line per stage; `notify` (default: `log`) the events a watcher shows even when
    it keeps stage lines to itself (the site published part-way through a long run)."""
    own_db = db is None
    progress = Progress(settings.progress_path, show_bar=show_bar, passes=list(plan.pass_names))
    try:
        db = db if db is not None else connect(settings.db_path)   # creating it may meet a full disk too
        run = _Run(settings, plan, db, progress, log, notify or log)
        run.scan()
        run.run_passes()
        run.analyse()
        run.export()
        run.publish()
        progress.finish("done")
    except KeyboardInterrupt:
        progress.finish("interrupted")
        raise
    except Exception as error:
        progress.finish("failed")
        if is_disk_full(error):
            raise DiskFull(settings.home, "indexing", _bytes_still_needed(db),
                           "run it again: it resumes where it stopped (nothing done so far is lost).") from None
        raise
    finally:
        if own_db and db is not None:
            db.close()
    return run.state


def _bytes_still_needed(db: Any) -> int | None:
    """Thumbnails still to write, at a typical size each, plus room for the database to grow."""
    from gallery_builder.core.thumb_layout import TYPICAL_BYTES_PER_PHOTO
    from gallery_builder.db.photos import count_without_thumbnails

    try:
        return count_without_thumbnails(db) * TYPICAL_BYTES_PER_PHOTO + 50_000_000
    except Exception:  # the database itself may be what cannot be read right now
        return None


def index_roots(settings: Settings, roots: Sequence[Root], pass_names: Sequence[str],
                force: frozenset[str] = frozenset(), *, accept_empty: bool = False, export: bool = True,
                show_bar: bool | None = None, log: Callable[[str], None] = print, db: Any = None,
                photo_ids: Sequence[int] | None = None) -> RunState:
    """Scan, passes, analysis and export of `roots`, without publishing (`gallery index`); with
    `photo_ids`, no scan: the passes and analyses of just those photos, then the export."""
    plan = RunPlan(roots=tuple(roots), pass_names=tuple(pass_names), force=force, accept_empty=accept_empty,
                   export=export, photo_ids=tuple(photo_ids) if photo_ids is not None else None)
    return run_index(settings, plan, db=db, show_bar=show_bar, log=log)


class _Run:
    """The stages of one run, sharing the database, the progress file and the state."""

    def __init__(self, settings: Settings, plan: RunPlan, db: Any, progress: Progress,
                 log: Callable[[str], None], notify: Callable[[str], None]) -> None:
        self.settings, self.plan, self.db, self.progress, self.log = settings, plan, db, progress, log
        self.notify = notify
        self.context = run_context(settings)
        self.state = RunState()

    def scan(self) -> None:
        from gallery_builder.db.photos import root_ids_by_label

        self.state.stage = "scan"
        if self.plan.photo_ids is not None:
            self.log(f"scan skipped: {len(self.plan.photo_ids)} chosen photo(s)")
            return
        for root in self.plan.roots:
            self.progress.start("scan", 0, f"scan {root.label}")
            scanner = Scanner(self.db, root, self.settings.ignore, accept_empty=self.plan.accept_empty,
                              progress=_ScanProgress(self.progress, root.label),
                              hold=self.plan.hold.get(root.label, frozenset()))
            try:
                report = scanner.scan()
            except RootUnavailable as error:
                self.state.refused.append(str(error))
                self.log(f"refused: {error}")
                continue
            self.state.scans.append(report)
            self.log(report.summary())
        ids = root_ids_by_label(self.db)
        self.state.root_ids = [ids[report.root] for report in self.state.scans if report.root in ids]

    def run_passes(self) -> None:
        self.state.stage = "passes"
        if not self.state.root_ids and not self.plan.photo_ids:
            return
        runner = PassRunner(self.db, self.context, workers=self.settings.worker_count(),
                            batch_size=self.settings.batch_size, progress=self.progress, log=self.log,
                            cluster=self.settings.cluster)
        scope = self._scope()
        if self.plan.photo_ids:
            self.state.passes = self._run_chosen(runner)
        elif self.plan.publish_every > 0 and self.plan.publish is not None:
            self.state.passes = self._run_in_chunks(runner, scope)
        else:
            self.state.passes = runner.run(list(self.plan.pass_names), scope, self.plan.force)
        self.log(self.state.passes.summary())
        update_vector_index(self.db, self.settings.db_path, self.settings.clip_model, log=self.log)

    def _scope(self) -> Scope:
        if self.plan.photo_ids is not None:
            return Scope(photo_ids=self.plan.photo_ids)
        return Scope(root_ids=tuple(self.state.root_ids))

    def _chosen_scopes(self) -> list[Scope]:
        """Chosen photos in chunks that keep each scope's SQL under SQLite's variable limit."""
        ids = self.plan.photo_ids or ()
        return [Scope(photo_ids=ids[start:start + CHOSEN_CHUNK]) for start in range(0, len(ids), CHOSEN_CHUNK)]

    def _run_chosen(self, runner: PassRunner) -> RunReport:
        total = RunReport()
        for scope in self._chosen_scopes():
            total.merge(runner.run(list(self.plan.pass_names), scope, self.plan.force))
        return total

    def _run_in_chunks(self, runner: PassRunner, scope: Scope) -> RunReport:
        """All passes over one chunk of photos at a time, oldest ids first; export and publish between
        chunks. The chunks hold every photo that some pass of the run says is pending for it."""
        from gallery_builder.passes import in_dependency_order

        wanted: set[int] = set()
        for the_pass in in_dependency_order(list(self.plan.pass_names)):
            if the_pass.check_ready(self.context) is None:
                wanted.update(the_pass.pending(self.db, scope, self.context, the_pass.name in self.plan.force))
        ids = sorted(wanted)
        size = self.plan.publish_every
        chunks = [ids[start:start + size] for start in range(0, len(ids), size)] or [[]]
        total = RunReport()
        for number, chunk in enumerate(chunks, start=1):
            part = runner.run(list(self.plan.pass_names), Scope(photo_ids=tuple(chunk)) if chunk else scope,
                              self.plan.force)
            total.merge(part)
            if number < len(chunks):
                self.export()
                self.publish(forced=True)
                self.notify(f"published what is indexed so far (site: {self.state.published}); indexing goes on")
        return total

    def analyse(self) -> None:
        from gallery_builder.analysis import ANALYSES

        self.state.stage = "analysis"
        if not self.state.root_ids and not self.plan.photo_ids:
            return
        for scope in self._chosen_scopes() if self.plan.photo_ids else [self._scope()]:
            for analysis in ANALYSES:
                line = analysis.run(self.db, scope, self.context)
                self.state.analyses.append(f"{analysis.name}: {line}")
                self.log(f"{analysis.name}: {line}")

    def export(self) -> None:
        if not self.plan.export:
            return
        self.state.stage = "export"
        self.state.exported = export_now(self.db, self.settings, self.progress)

    def publish(self, forced: bool = False) -> None:
        if self.plan.publish is None:
            return
        if not (forced or self.plan.publish_always or self.state.changed_anything()):
            return
        self.state.stage = "publish"
        self.progress.start("build", 0, "publish the site")
        self.state.published = self.plan.publish()


class _ScanProgress:
    """Turns the scanner's (stage, done, total) callbacks into a bar for hashing new/changed files."""

    def __init__(self, progress: Progress, label: str) -> None:
        self.progress, self.label, self.started = progress, label, False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.started:
            self.progress.start("scan", total, f"hash {self.label}")
            self.started = True
        self.progress.advance(done - self.progress.state["done"])


def export_now(db: Any, settings: Settings, progress: Progress | None = None) -> dict[str, int]:
    """The export stage on its own (also used to publish an empty site before a first scan)."""
    from gallery_builder.export.parquet import export_all

    if progress:
        progress.start("export", 1)
    counts = export_all(db, settings)
    if progress:
        progress.advance(1)
    return counts
