"""Runs passes: streams batches, fans CPU-bound `run` out to a process pool, commits per batch.

Progress survives Ctrl-C and kill -9 because every batch is its own transaction and `pending`
asks the database what is left. A photo that fails gets an error record; a batch whose code
raises, or whose worker process dies (a decoder crash), is retried photo by photo so that only the
guilty file is marked. With `cluster` set, the passes that declare `remote` send `run` to Dask
workers (`remote_runner`); everything else, and every save, stays here.
"""
from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from gallery_builder.core.disk_space import is_disk_full
from gallery_builder.db.connection import transaction
from gallery_builder.db.pass_queries import record_pass_results
from gallery_builder.passes import in_dependency_order
from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext, Scope
from gallery_builder.passes.base import Pass, goes_remote, recorded_version
from gallery_builder.indexing.progress import Progress


@dataclass
class PassReport:
    name: str
    done: int = 0
    errors: int = 0
    skipped_reason: str | None = None
    seconds: float = 0.0


@dataclass
class RunReport:
    passes: list[PassReport] = field(default_factory=list)

    def merge(self, part: "RunReport") -> None:
        """Add another run's counts (watch mode runs the passes chunk by chunk)."""
        by_name = {report.name: report for report in self.passes}
        for report in part.passes:
            kept = by_name.get(report.name)
            if kept is None:
                self.passes.append(report)
                by_name[report.name] = report
            else:
                kept.done, kept.errors = kept.done + report.done, kept.errors + report.errors
                kept.seconds += report.seconds
                kept.skipped_reason = kept.skipped_reason or report.skipped_reason

    def summary(self) -> str:
        parts = []
        for report in self.passes:
            if report.skipped_reason:
                parts.append(f"{report.name}: skipped ({report.skipped_reason})")
            else:
                rate = f", {report.done / report.seconds:.1f}/s" if report.done and report.seconds else ""
                parts.append(f"{report.name}: {report.done} done, {report.errors} errors ({report.seconds:.1f} s{rate})")
        return "; ".join(parts)


def _run_batch(the_pass: str | Pass, batch: Sequence[PhotoInput], context: RunContext) -> list[PhotoResult]:
    """Worker entry point. Registered passes travel by name (their objects need not pickle);
    passes injected into the runner (tests, plugins) travel as picklable objects."""
    if isinstance(the_pass, str):
        from gallery_builder.passes import get_pass

        the_pass = get_pass(the_pass)
    return _run_guarded(the_pass, batch, context)


def _run_guarded(the_pass: Pass, batch: Sequence[PhotoInput], context: RunContext) -> list[PhotoResult]:
    try:
        return list(the_pass.run(batch, context))
    except Exception as error:
        if is_disk_full(error):  # no photo is to blame: the run stops and a re-run retries them all
            raise
        if len(batch) == 1:
            return [PhotoResult(batch[0].photo_id, error_code="internal",
                                error=f"{the_pass.name} failed: {traceback.format_exc(limit=3)[-600:]}")]
        results: list[PhotoResult] = []
        for item in batch:
            results.extend(_run_guarded(the_pass, [item], context))
        return results


class PassRunner:
    """Runs a list of passes over a scope with one shared worker pool."""

    def __init__(self, db: Any, context: RunContext, *, workers: int, batch_size: int | None = None,
                 progress: Progress | None = None, log: Callable[[str], None] = print,
                 passes: dict[str, Pass] | None = None, cluster: str = "") -> None:
        self.db, self.context, self.workers = db, context, workers
        self.cluster, self._cluster_session = cluster, None
        self.passes = passes
        self.batch_size, self.progress, self.log = batch_size, progress or Progress(None, show_bar=False), log
        self._pool: ProcessPoolExecutor | None = None

    def run(self, names: Sequence[str], scope: Scope, force: frozenset[str] = frozenset()) -> RunReport:
        report = RunReport()
        ordered = in_dependency_order(list(names), self.passes)
        self._start_warm_ups(ordered, scope)
        try:
            for the_pass in ordered:
                report.passes.append(self._run_pass(the_pass, scope, the_pass.name in force))
        finally:
            self.close()
        return report

    def _start_warm_ups(self, passes: list[Pass], scope: Scope) -> None:
        """Let later passes load their tables/models while earlier ones keep the workers busy
        (only when some photo in scope needs them, or will once their required passes have run:
        a run with nothing to do loads nothing). Each pass answers for itself through `pending`."""
        by_name = {the_pass.name: the_pass for the_pass in passes}
        for the_pass in passes[1:]:
            warm_up = getattr(the_pass, "warm_up", None)
            if warm_up is None or the_pass.check_ready(self.context) is not None:
                continue
            askers = [the_pass] + [by_name[name] for name in the_pass.requires if name in by_name]
            if any(asker.pending(self.db, scope, self.context) for asker in askers):
                threading.Thread(target=self._quietly, args=(warm_up,), daemon=True,
                                 name=f"warm-up-{the_pass.name}").start()

    def _quietly(self, warm_up: Callable[[RunContext], None]) -> None:
        try:
            warm_up(self.context)
        except Exception:  # the pass itself will meet (and record) the same problem when it runs
            pass

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._cluster_session is not None:
            self._cluster_session.close()
            self._cluster_session = None

    def _pool_or_none(self, the_pass: Pass) -> ProcessPoolExecutor | None:
        if not the_pass.cpu_bound or self.workers <= 1:
            return None
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def _run_pass(self, the_pass: Pass, scope: Scope, force: bool) -> PassReport:
        report = PassReport(the_pass.name)
        not_ready = the_pass.check_ready(self.context)
        if not_ready:
            report.skipped_reason = not_ready
            self.log(f"{the_pass.name}: skipped: {not_ready}")
            self.progress.note(f"{the_pass.name} skipped: {not_ready}")
            return report
        started = time.perf_counter()
        ids = the_pass.pending(self.db, scope, self.context, force)
        self.progress.start("pass", len(ids), the_pass.name)
        remote = bool(self.cluster) and goes_remote(the_pass, self.context)
        pool = None if remote else self._pool_or_none(the_pass)
        size = self.batch_size or the_pass.batch_size
        if pool is not None:  # at least 4 batches per worker, so no worker idles long at the end
            size = max(1, min(size, -(-len(ids) // (self.workers * 4))))
        batches = [ids[start:start + size] for start in range(0, len(ids), size)]
        if remote:
            skipped = self._run_on_cluster(the_pass, ids, size, report)
            if skipped:
                report.skipped_reason = skipped
                self.log(f"{the_pass.name}: skipped: {skipped}")
                self.progress.note(f"{the_pass.name} skipped: {skipped}")
        elif pool is None:
            for batch_ids in batches:
                inputs = the_pass.inputs(self.db, batch_ids, self.context)
                self._save(the_pass, inputs, _run_guarded(the_pass, inputs, self.context), report)
        else:
            self._run_in_pool(the_pass, batches, report)
        self.progress.close_bar()
        report.seconds = time.perf_counter() - started
        return report

    def _run_on_cluster(self, the_pass: Pass, ids: list[int], size: int, report: PassReport) -> str | None:
        """`run` on the cluster's workers, saves here; returns why the pass could not go there."""
        from gallery_builder.indexing.cluster import ClusterSession, ClusterUnavailable
        from gallery_builder.indexing.remote_runner import RemotePass

        if not ids:
            return None
        if self._cluster_session is None:
            try:
                self._cluster_session = ClusterSession.connect(self.cluster, self.log, self.workers)
            except ClusterUnavailable as error:
                return str(error)
        remote = RemotePass(self._cluster_session, the_pass, self.db, self.context,
                            save=lambda inputs, results: self._save(the_pass, inputs, results, report),
                            progress=self.progress, log=self.log, wait_seconds=self.context.settings.cluster_wait)
        return remote.run(ids, size)

    def _run_in_pool(self, the_pass: Pass, batches: list[list[int]], report: PassReport) -> None:
        in_flight: list[tuple[list[PhotoInput], Future]] = []
        queue = list(reversed(batches))
        limit = self.workers * 2
        while queue or in_flight:
            while queue and len(in_flight) < limit:
                inputs = the_pass.inputs(self.db, queue.pop(), self.context)
                in_flight.append((inputs, self._submit(the_pass, inputs)))
            inputs, future = in_flight.pop(0)
            try:
                results = future.result()
            except BrokenProcessPool:
                results = self._isolate_crash(the_pass, inputs)
                in_flight = [(pending, self._submit(the_pass, pending)) for pending, _ in in_flight]
            self._save(the_pass, inputs, results, report)

    def _submit(self, the_pass: Pass, inputs: list[PhotoInput]) -> Future:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool.submit(_run_batch, self._shipped(the_pass), inputs, self.context)

    def _shipped(self, the_pass: Pass) -> str | Pass:
        return the_pass if self.passes is not None else the_pass.name

    def _isolate_crash(self, the_pass: Pass, inputs: list[PhotoInput]) -> list[PhotoResult]:
        """A worker died: run each photo alone in a fresh process; the one that kills it is marked."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        results = []
        for item in inputs:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as single:
                try:
                    results.extend(single.submit(_run_batch, self._shipped(the_pass), [item],
                                                 self.context).result())
                except BrokenProcessPool:
                    results.append(PhotoResult(item.photo_id, error_code="corrupt",
                                               error="the decoder crashed on this file"))
        return results

    def _save(self, the_pass: Pass, inputs: list[PhotoInput], results: list[PhotoResult],
              report: PassReport) -> None:
        hashes = {item.photo_id: item.content_hash for item in inputs}
        with transaction(self.db):
            the_pass.save(self.db, [result for result in results if result.ok])
            record_pass_results(self.db, the_pass.name, recorded_version(the_pass, self.context), results, hashes,
                                the_pass.marks_photo_error)
        errors = sum(not result.ok for result in results)
        report.done += len(results)
        report.errors += errors
        self.progress.advance(len(results), errors)
