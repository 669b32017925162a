"""One indexing run: scan roots, run passes over what changed, export Parquet.

The CLI (`gallery index`) and watch mode both call `index_roots`; it prints one line per step
through `log` and keeps `<home>/progress.json` current.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from gallery_builder.config import Root, Settings
from gallery_builder.db.connection import connect
from gallery_builder.core.records import RunContext, Scope
from gallery_builder.indexing.progress import Progress
from gallery_builder.indexing.runner import PassRunner, RunReport
from gallery_builder.indexing.scan import RootUnavailable, ScanReport, Scanner


@dataclass
class IndexReport:
    scans: list[ScanReport] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    passes: RunReport | None = None
    exported: dict[str, int] = field(default_factory=dict)


def run_context(settings: Settings) -> RunContext:
    return RunContext(settings)


def index_roots(settings: Settings, roots: Sequence[Root], pass_names: Sequence[str],
                force: frozenset[str] = frozenset(), *, accept_empty: bool = False, export: bool = True,
                show_bar: bool | None = None, log: Callable[[str], None] = print,
                db: Any = None, hold: dict[str, frozenset[str]] | None = None,
                checkpoint: Callable[[Any], None] | None = None, checkpoint_every: int = 0) -> IndexReport:
    """Scan each root, run the passes over those roots, then export. Refused roots are reported.

    `hold` maps a root label to relative paths still being written: left alone by this scan.
    `checkpoint(db)`, with `checkpoint_every` > 0, runs the passes over chunks of that many photos
    and is called after each chunk but the last (watch mode exports and publishes the site there,
    so a first run over a large library shows photos long before it ends)."""
    own_db = db is None
    db = db if db is not None else connect(settings.db_path)
    progress = Progress(settings.progress_path, show_bar=show_bar, passes=list(pass_names))
    report = IndexReport()
    try:
        root_ids = _scan_all(db, settings, roots, accept_empty, progress, report, log, hold or {})
        if root_ids:
            runner = PassRunner(db, run_context(settings), workers=settings.worker_count(),
                                batch_size=settings.batch_size, progress=progress, log=log)
            scope = Scope(root_ids=tuple(root_ids))
            if checkpoint is not None and checkpoint_every > 0:
                report.passes = _run_in_chunks(db, runner, pass_names, scope, force, checkpoint, checkpoint_every)
            else:
                report.passes = runner.run(list(pass_names), scope, force)
            log(report.passes.summary())
        if export:
            report.exported = export_now(db, settings, progress)
        progress.finish("done")
    except KeyboardInterrupt:
        progress.finish("interrupted")
        raise
    except Exception:
        progress.finish("failed")
        raise
    finally:
        if own_db:
            db.close()
    return report


def _scan_all(db: Any, settings: Settings, roots: Sequence[Root], accept_empty: bool, progress: Progress,
              report: IndexReport, log: Callable[[str], None], hold: dict[str, frozenset[str]]) -> list[int]:
    from gallery_builder.db.photos import root_ids_by_label

    for root in roots:
        progress.start("scan", 0, f"scan {root.label}")
        scanner = Scanner(db, root, settings.ignore, accept_empty=accept_empty,
                          progress=_ScanProgress(progress, root.label), hold=hold.get(root.label, frozenset()))
        try:
            scan = scanner.scan()
        except RootUnavailable as error:
            report.refused.append(str(error))
            log(f"refused: {error}")
            continue
        report.scans.append(scan)
        log(scan.summary())
    ids = root_ids_by_label(db)
    scanned = {scan.root for scan in report.scans}
    return [ids[label] for label in scanned if label in ids]


def _run_in_chunks(db: Any, runner: PassRunner, pass_names: Sequence[str], scope: Scope,
                   force: frozenset[str], checkpoint: Callable[[Any], None], size: int) -> RunReport:
    """All passes over one chunk of photos at a time, oldest ids first; checkpoint between chunks."""
    from gallery_builder.db.pass_queries import photos_pending
    from gallery_builder.passes import in_dependency_order

    wanted: set[int] = set()
    for the_pass in in_dependency_order(list(pass_names)):
        wanted.update(photos_pending(db, the_pass.name, the_pass.version, (), scope, the_pass.name in force))
    ids = sorted(wanted)
    chunks = [ids[start:start + size] for start in range(0, len(ids), size)] or [[]]
    total = RunReport()
    for number, chunk in enumerate(chunks, start=1):
        part = runner.run(list(pass_names), Scope(photo_ids=tuple(chunk)) if chunk else scope, force)
        total = _merged(total, part)
        if number < len(chunks):
            checkpoint(db)
    return total


def _merged(total: RunReport, part: RunReport) -> RunReport:
    by_name = {report.name: report for report in total.passes}
    for report in part.passes:
        kept = by_name.get(report.name)
        if kept is None:
            total.passes.append(report)
            by_name[report.name] = report
        else:
            kept.done, kept.errors = kept.done + report.done, kept.errors + report.errors
            kept.seconds += report.seconds
            kept.skipped_reason = kept.skipped_reason or report.skipped_reason
    return total


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
    from gallery_builder.export.parquet import export_all

    if progress:
        progress.start("export", 1)
    counts = export_all(db, settings.parquet_dir)
    if progress:
        progress.advance(1)
    return counts
