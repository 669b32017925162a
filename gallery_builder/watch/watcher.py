"""Watch mode: keep the index and the site current from file-system events (DESIGN.md, `[watch]`).

At start every present root is scanned (this catches up after a crash), then each settled batch of
changes rescans the affected roots, runs the passes, exports Parquet and rebuilds the site (the
builder renders only pages whose fingerprint changed). A root that vanishes is paused, never
emptied, and rescanned when it comes back. One log line per batch; `<home>/watch.json` holds the
live state (state, roots, pending, last_batch, updated_at by a heartbeat thread, tick_at by the
main loop) for health checks and the status page. Decisions written meanwhile (republish requests)
are exported and rebuilt by an idle tick, so the sidecar leaves that to a running watcher.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from gallery_builder.config import Root, Settings
from gallery_builder.core.disk_space import DiskFull
from gallery_builder.indexing.run import RunPlan, run_index
from gallery_builder.indexing.scan import display_path
from gallery_builder.watch.events import Batch, ChangeHandler, ChangeScope, PendingChanges
from gallery_builder.watch.roots import ObserverPool, OverflowAlarm, root_presence

STATUS_FILE = "watch.json"
Rebuild = Callable[[Settings, ChangeScope], Any]


@dataclass(frozen=True)
class WatchOptions:
    """Timings of watch mode, in seconds (rescan in hours; 0 turns the periodic rescan off)."""

    settle: float = 5.0
    poll: float | None = None
    rescan_hours: float = 24.0
    max_wait: float = 120.0
    tick: float = 1.0
    retry_after: float = 60.0
    limit_check_every: float = 60.0
    heartbeat_every: float = 10.0
    republish_settle: float = 2.0


@dataclass
class RootState:
    root: Root
    state: str = "paused"          # "watching" | "paused"
    identity: tuple[int, int] | None = None
    mode: str = ""
    reason: str = ""


@dataclass
class BatchOutcome:
    number: int
    roots: tuple[str, ...]
    changes: int
    seconds: float
    line: str
    ok: bool = True
    refused: list[str] = field(default_factory=list)


def stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


class Watcher:
    """Supervises roots and observers, turns settled changes into index + export + rebuild batches."""

    def __init__(self, settings: Settings, roots: Sequence[Root], pass_names: Sequence[str], rebuild: Rebuild,
                 options: WatchOptions = WatchOptions(), *, log: Callable[[str], None] = print,
                 pool: Callable[[Any], ObserverPool] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.pass_names, self.rebuild, self.options = settings, list(pass_names), rebuild, options
        self.clock, self._log = clock, log
        self.states = {root.label: RootState(root) for root in roots}
        self.pending = PendingChanges(clock)
        self.handler = ChangeHandler(roots, self.pending, settings.ignore)
        self.pool = pool(self.handler) if pool else ObserverPool(self.handler, poll_seconds=options.poll,
                                                                 log=self.log)
        self.alarm = OverflowAlarm(self.on_overflow)
        self.batches: list[BatchOutcome] = []
        self.status: dict[str, Any] = {"state": "starting", "pid": os.getpid()}
        self._status_lock = threading.Lock()
        self._write_lock = threading.Lock()   # the heartbeat thread writes the same file
        self._hold_until = 0.0
        self._status_unwritable = False
        self._next_rescan = self._next_limit_check = 0.0
        self._requests_db: Any = None
        self._newest_request: tuple[int, float] | None = None  # (id, when first seen)

    def log(self, message: str) -> None:
        self._log(f"{stamp()} {message}")

    def start(self) -> None:
        """Watch every present root and queue a full scan of each (the catch-up after any stop)."""
        now = self.clock()
        self.alarm.install()
        for state in self.states.values():
            presence = root_presence(state.root.path)
            if presence.identity is None:
                self._pause(state, presence.reason)
            else:
                self._resume(state, presence.identity, "first scan")
        hours = self.options.rescan_hours
        self._next_rescan = now + hours * 3600 if hours > 0 else float("inf")
        self._next_limit_check = now + self.options.limit_check_every
        self.set_status(state="watching")
        if not self.settings.site_dir.exists():
            self.publish_empty_site()

    def publish_empty_site(self) -> None:
        """A first install: publish the site before the first (long) indexing run, so its status
        page can show that run's progress instead of the browser showing nothing for hours."""
        from gallery_builder.indexing.run import RunPlan, run_index

        try:
            plan = RunPlan(roots=(), pass_names=(), publish_always=True,
                           publish=lambda: self.rebuild(self.settings, ChangeScope(roots=(), full=True)))
            state = run_index(self.settings, plan, show_bar=False, log=lambda line: None)
            self.log(f"no site yet: published one before the first scan (site: {state.published})")
        except Exception as error:  # the first batch builds it anyway
            self.log(f"no site yet, and publishing one failed: {type(error).__name__}: {error}")

    def run(self, stop: threading.Event) -> None:
        """start(), then tick until `stop` is set; observers are stopped and the state file says so."""
        beat = threading.Thread(target=self._heartbeat, args=(stop,), name="watch-heartbeat", daemon=True)
        try:
            self.start()
            beat.start()
            while not stop.is_set():
                self.tick()
                stop.wait(self.options.tick)
        finally:
            self.close()

    def close(self) -> None:
        """Stop every observer and say so in the state file."""
        self.pool.stop()
        self.alarm.remove()
        if self._requests_db is not None:
            self._requests_db.close()
        self.set_status(state="stopped")

    def on_overflow(self) -> None:
        """The kernel dropped events: only a full rescan of every watched root is sure to see them."""
        self.log("inotify event queue overflowed (changes were lost): full rescan queued")
        for state in self.watching():
            self.pending.mark_full(state.root.label)

    def tick(self) -> BatchOutcome | None:
        """One supervisor step: roots, periodic rescan, settle review, at most one batch."""
        now = self.clock()
        self._check_roots(check_limits=now >= self._next_limit_check)
        if now >= self._next_limit_check:
            self._next_limit_check = now + self.options.limit_check_every
        if now >= self._next_rescan:
            self._next_rescan = now + self.options.rescan_hours * 3600
            self.log("periodic full rescan (catches events the file system did not report)")
            for state in self.watching():
                self.pending.mark_full(state.root.label)
        self.pending.review({state.root.label: str(state.root.path) for state in self.watching()})
        self.set_status(pending=self.pending.count(), tick_at=time.time())
        if now < self._hold_until:
            return None
        batch = self.pending.take_batch(self.options.settle, self.options.max_wait)
        if batch:
            return self.run_batch(batch)
        self.republish_if_requested(now)
        return None

    def republish_if_requested(self, now: float) -> None:
        """Decisions (CLI, sidecar) leave republish requests: once the newest has waited
        `republish_settle` seconds, export and rebuild, then clear the requests that covered."""
        from gallery_builder.db.connection import connect
        from gallery_builder.db.decisions import clear_republish_requests, pending_republish_requests

        if self._requests_db is None and self.settings.db_path.exists():
            self._requests_db = connect(self.settings.db_path)
        pending = pending_republish_requests(self._requests_db) if self._requests_db is not None else []
        if not pending:
            return
        if self._newest_request is None or self._newest_request[0] != pending[-1].id:
            self._newest_request = (pending[-1].id, now)
        if now - self._newest_request[1] < self.options.republish_settle:
            return
        plan = RunPlan(roots=(), pass_names=(), publish_always=True,
                       publish=lambda: self.rebuild(self.settings, ChangeScope(roots=())))
        try:
            state = run_index(self.settings, plan, show_bar=False, log=lambda line: None)
        except Exception as error:  # kept pending: retried after the pause, like a failed batch
            self._hold_until = self.clock() + self.options.retry_after
            self.log(f"republishing decisions failed: {type(error).__name__}: {error}; "
                     f"retrying in {self.options.retry_after:g} s")
            return
        clear_republish_requests(self._requests_db, pending[-1].id)
        self.log(f"decisions changed ({len(pending)} write(s)): site republished (site: {state.published})")

    def watching(self) -> list[RootState]:
        return [state for state in self.states.values() if state.state == "watching"]

    def _check_roots(self, check_limits: bool) -> None:
        for state in self.states.values():
            presence = root_presence(state.root.path)
            if presence.identity is None:
                if state.state == "watching":
                    self._pause(state, presence.reason)
                continue
            if state.state == "paused":
                self._resume(state, presence.identity, "it is back")
            elif presence.identity != state.identity:
                self._resume(state, presence.identity, "it was mounted again")
            else:
                reason = self.pool.needs_restart(state.root.label, check_limits=check_limits)
                if reason:
                    self._resume(state, presence.identity, reason)

    def _pause(self, state: RootState, reason: str) -> None:
        was = state.state
        self.pool.unwatch(state.root.label)
        self.pending.drop_root(state.root.label)
        state.state, state.identity, state.mode, state.reason = "paused", None, "", reason
        if was == "watching" or not self.batches:
            self.log(f"root {state.root.label!r} paused: {reason}; its photos stay on the site, "
                     "it is rescanned when it comes back")
        self._publish_roots()

    def _resume(self, state: RootState, identity: tuple[int, int], why: str) -> None:
        try:
            state.mode = self.pool.watch(state.root)
        except OSError as error:  # e.g. permission denied on the root: retried on the next tick
            if state.reason != f"cannot watch it: {error}":
                self._pause(state, f"cannot watch it: {error}")
            state.state = "paused"
            return
        state.state, state.identity, state.reason = "watching", identity, ""
        self.pending.mark_full(state.root.label)
        self.log(f"root {state.root.label!r} ({state.root.path}): watching ({state.mode}); "
                 f"full scan queued: {why}")
        self._publish_roots()

    def run_batch(self, batch: Batch) -> BatchOutcome | None:
        started = self.clock()
        number = len(self.batches) + 1
        roots = [self.states[label].root for label in batch.roots if self.states[label].state == "watching"]
        if not roots:
            return None
        self.set_status(state="indexing")
        try:
            report = run_index(self.settings, self.plan_for(batch, roots), show_bar=False,
                               log=lambda line: None, notify=self.log)
            built = report.published or "unchanged"
        except Exception as error:  # a locked database, a full disk: keep the previous site, retry later
            for root in roots:
                self.pending.mark_full(root.label)
            self._hold_until = self.clock() + self.options.retry_after
            reason = (f"{error.summary}; free some space" if isinstance(error, DiskFull)
                      else f"{type(error).__name__}: " + " ".join(str(error).split())[:300])
            line = (f"batch {number} failed after {self.clock() - started:.1f} s: {reason}; "
                    f"the previous site keeps serving; retrying in {self.options.retry_after:g} s")
            outcome = BatchOutcome(number, batch.roots, batch.changes, self.clock() - started, line, ok=False)
        else:
            seconds = self.clock() - started
            line = describe_batch(number, batch, report, built, seconds)
            outcome = BatchOutcome(number, batch.roots, batch.changes, seconds, line, refused=report.refused)
        self.batches.append(outcome)
        self.log(outcome.line)
        self.set_status(state="watching", last_batch={"number": number, "ok": outcome.ok, "line": line,
                                                      "at": stamp(), "roots": list(batch.roots)})
        return outcome

    def plan_for(self, batch: Batch, roots: Sequence[Root]) -> RunPlan:
        """The batch as a run: scan its roots (paths still changing held back), the passes, export,
        and publish when something changed (always after a full scan: the site may be missing);
        a long batch publishes every `publish_every` photos on the way."""
        hold = {label: frozenset(display_path(os.fsencode(path)) for path in paths)
                for label, paths in batch.excluded.items()}
        return RunPlan(roots=tuple(roots), pass_names=tuple(self.pass_names), hold=hold,
                       publish=lambda: self.rebuild(self.settings, batch.scope), publish_always=batch.scope.full,
                       publish_every=self.settings.publish_every)

    def set_status(self, **values: Any) -> None:
        with self._status_lock:
            self.status.update(values)
        if set(values) - {"pending", "tick_at"}:  # these change every tick: the heartbeat writes them
            self.write_status()

    def _publish_roots(self) -> None:
        self.set_status(roots={label: {"state": state.state, "path": str(state.root.path), "mode": state.mode,
                                       "reason": state.reason} for label, state in self.states.items()})

    def write_status(self) -> None:
        """Write watch.json; with the disk full the watcher keeps running and says so once."""
        from gallery_builder.core.disk_space import is_disk_full
        from gallery_builder.core.files import write_json_atomic

        with self._write_lock:
            with self._status_lock:
                self.status["updated_at"] = time.time()
                snapshot = dict(self.status)
            try:
                write_json_atomic(self.settings.home / STATUS_FILE, snapshot)
            except OSError as error:
                if not is_disk_full(error):
                    raise
                if not self._status_unwritable:
                    self.log(f"cannot write {STATUS_FILE}: the disk is full; the watcher keeps going")
                self._status_unwritable = True
            else:
                self._status_unwritable = False

    def _heartbeat(self, stop: threading.Event) -> None:
        while not stop.wait(self.options.heartbeat_every):
            self.write_status()


def describe_batch(number: int, batch: Batch, report: Any, built: Any, seconds: float) -> str:
    """The one log line of a batch: what the scan found, what the passes did, what the site did."""
    parts = [scan.summary() for scan in report.scans]
    parts += [f"refused: {message}" for message in report.refused]
    if report.passes is not None and report.passes.passes:
        parts.append(report.passes.summary())
    if built is not None:
        parts.append(f"site: {built}")
    held = sum(len(paths) for paths in batch.excluded.values())
    if held:
        parts.append(f"{held} path(s) still changing, left for the next batch")
    kind = "full scan" if batch.scope.full else f"{batch.changes} change(s)"
    return f"batch {number} ({kind}, {seconds:.1f} s): " + " | ".join(parts or ["nothing to do"])


def site_rebuilder() -> Rebuild:
    """The real rebuild: the site builder's normal incremental build (only changed pages render)."""

    def rebuild(settings: Settings, scope: ChangeScope) -> str:
        from gallery_builder.site.builder import BuildOptions, build_site

        report = build_site(BuildOptions(parquet_dir=settings.parquet_dir, thumbs_dir=settings.thumbs_dir,
                                         out=settings.site_dir, workers=settings.worker_count()))
        return report.summary().rstrip(".")

    return rebuild
