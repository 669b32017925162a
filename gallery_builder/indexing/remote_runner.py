"""A remote-capable pass's batches on a Dask cluster: inputs gathered here, `run` on the workers that
hold the same model, each batch saved here (the only SQLite writer) as its future completes.

Dask re-runs the tasks of a worker that dies; a batch that keeps killing workers is split and the
photo that does it is marked, as the local runner does. Every photo is saved at most once per run
even if a batch comes back twice. Ctrl-C cancels the futures still out; saved batches stay saved.
"""
from __future__ import annotations

import time
import uuid
from collections import deque
from typing import Any, Callable, Sequence

from gallery_builder.core.records import PhotoInput, PhotoResult, RunContext
from gallery_builder.indexing.cluster import ClusterSession
from gallery_builder.indexing.progress import Progress
from gallery_builder.indexing.remote_task import run_remote_batch, ship_inputs
from gallery_builder.ml.bundle_checksum import ModelRefused
from gallery_builder.passes.base import Pass

Save = Callable[[list[PhotoInput], list[PhotoResult]], None]
REGRANT_INTERVAL_S = 2.0
MAX_REFUSALS = 3


class RemotePass:
    """One pass over one list of photo ids on the cluster."""

    def __init__(self, session: ClusterSession, the_pass: Pass, db: Any, context: RunContext, *, save: Save,
                 progress: Progress, log: Callable[[str], None], wait_seconds: float) -> None:
        self.session, self.the_pass, self.db, self.context = session, the_pass, db, context
        self.save, self.progress, self.log, self.wait_seconds = save, progress, log, wait_seconds
        model_requirement = getattr(the_pass, "model_requirement", None)
        self.requirement = model_requirement(context) if model_requirement else None
        remote_settings = getattr(the_pass, "remote_settings", None)
        self.settings = remote_settings(context) if remote_settings else context.settings
        self.resources = {self.requirement.resource: 1} if self.requirement else None
        self.in_flight: dict[Any, tuple[list[PhotoInput], int]] = {}  # future -> (inputs, refusals)
        self.saved: set[int] = set()
        self.started = time.monotonic()

    def run(self, ids: Sequence[int], batch_size: int) -> str | None:
        """Run every batch; returns why the pass was skipped (no worker may take it), else None."""
        threads = self._eligible_threads(wait=True)
        if not threads:
            return self._nobody_message()
        self.progress.restart_clock()  # connecting and checking models is not the photos' time
        # at least 8 batches per worker thread: the last batch of a slow model is what the others wait for
        size = max(1, min(batch_size, -(-len(ids) // (threads * 8))))
        queue = deque(list(ids[start:start + size]) for start in range(0, len(ids), size))
        last_grant = time.monotonic()
        try:
            while queue or self.in_flight:
                limit = max(2, 2 * threads)
                while queue and len(self.in_flight) < limit:
                    self._submit(self.the_pass.inputs(self.db, queue.popleft(), self.context))
                for future in self._completed():
                    self._collect(future)
                if time.monotonic() - last_grant > REGRANT_INTERVAL_S:  # workers that joined or came back
                    threads, last_grant = max(1, self._eligible_threads(wait=False)), time.monotonic()
                    self._publish_workers()
        except BaseException:
            self.session.client.cancel(list(self.in_flight), force=True)
            self.in_flight.clear()
            raise
        finally:
            self._publish_workers()
        return None

    def _eligible_threads(self, wait: bool) -> int:
        if self.requirement is None:
            workers = self.session.workers()
            if not workers and wait:
                try:
                    self.session.client.wait_for_workers(1, timeout=self.wait_seconds)
                except TimeoutError:
                    return 0
                workers = self.session.workers()
            return sum(int(info.get("nthreads") or 1) for info in workers.values())
        fallback = self.context.models_dir
        if wait:
            return self.session.wait_for_eligible(self.requirement, fallback, self.wait_seconds)
        return self.session.grant(self.requirement, fallback)

    def _nobody_message(self) -> str:
        label = self.requirement.label if self.requirement else "any task"
        refusals = [f"{stats.name}: {stats.refused}" for stats in self.session.stats.values() if stats.refused]
        return (f"no worker of {self.session.address} can take {label} after {self.wait_seconds:g} s"
                + (f" ({'; '.join(refusals)})" if refusals else " (none connected: start one with "
                                                                 "`gallery worker --scheduler ...`)"))

    def _submit(self, inputs: list[PhotoInput], refusals: int = 0) -> None:
        shipped = ship_inputs(inputs, getattr(self.the_pass, "remote_files", ()))
        key = f"gallery-{self.the_pass.name}-{inputs[0].photo_id}-{uuid.uuid4().hex[:8]}"
        future = self.session.client.submit(run_remote_batch, self.the_pass.name, shipped, self.settings,
                                            self.requirement, key=key, pure=False, resources=self.resources)
        self.in_flight[future] = (inputs, refusals)

    def _completed(self) -> list[Any]:
        from distributed import wait

        try:
            done, _ = wait(list(self.in_flight), timeout=1.0, return_when="FIRST_COMPLETED")
        except TimeoutError:  # nothing finished within the second: look at the workers, then wait again
            return []
        return list(done)

    def _collect(self, future: Any) -> None:
        from distributed import KilledWorker

        inputs, refusals = self.in_flight.pop(future)
        if future.status == "finished":
            batch = future.result()
            self.session.record(batch.worker, len(batch.results), batch.seconds, batch.cpu_seconds)
            self._save_once(inputs, batch.results)
            return
        if future.status == "cancelled":  # the scheduler restarted or lost it: pure work, send it again
            self._submit(inputs, refusals)
            return
        error = future.exception()
        if isinstance(error, ModelRefused) and refusals < MAX_REFUSALS:
            self.log(f"{self.the_pass.name}: {error}; sending its photos elsewhere")
            if self.requirement is not None:
                self.session.revoke(self.requirement, error.worker)
            self._submit(inputs, refusals + 1)
        elif isinstance(error, KilledWorker) and len(inputs) > 1:
            for item in inputs:  # find the photo that kills workers; the others are saved
                self._submit([item], refusals)
        elif isinstance(error, KilledWorker):
            self._save_once(inputs, [PhotoResult(inputs[0].photo_id, error_code="corrupt",
                                                 error="workers died running this file (a crash decoding it?)")])
        else:
            raise RuntimeError(f"{self.the_pass.name}: a worker failed: {error!r}") from error

    def _save_once(self, inputs: list[PhotoInput], results: list[PhotoResult]) -> None:
        fresh = [result for result in results if result.photo_id not in self.saved]
        if fresh:
            self.save(inputs, fresh)
            self.saved.update(result.photo_id for result in fresh)

    def _publish_workers(self) -> None:
        self.progress.set_workers(self.session.address, self.session.rows(time.monotonic() - self.started))
