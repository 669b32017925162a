"""Republish the site after a decision is written, without importing the builder: debounced, one
`gallery export` + `gallery build` subprocess pair at a time, unless a watcher is running (then its
tick does it). Requests a successful build covered are cleared from `republish_requests`.
"""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

WATCH_STATUS_FILE = "watch.json"  # gallery_builder.watch.watcher.STATUS_FILE (not imported: the sidecar stays small)
WATCHER_ACTIVE_STATES = ("watching", "indexing")
WATCHER_MAX_AGE = 60.0  # seconds; its heartbeat rewrites watch.json every 10 s

log = logging.getLogger("search_api.republish")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


Launcher = Callable[[Path], Outcome]


def export_and_build(home: Path) -> Outcome:
    """The real republish: `python -m gallery_builder export`, then `build`, as subprocesses."""
    for command in ("export", "build"):
        done = subprocess.run([sys.executable, "-m", "gallery_builder", command, "--home", str(home)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if done.returncode != 0:
            tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])[:500]
            return Outcome(False, f"gallery {command} failed (exit {done.returncode}): {tail}")
    lines = done.stdout.strip().splitlines()
    return Outcome(True, lines[0] if lines else "built")


def watcher_is_running(home: Path, now: Callable[[], float] = time.time, max_age: float = WATCHER_MAX_AGE) -> bool:
    """A watcher wrote a fresh `<home>/watch.json` saying it is watching or indexing."""
    try:
        status = json.loads((home / WATCH_STATUS_FILE).read_text(encoding="utf-8"))
        fresh = now() - float(status.get("updated_at", 0)) <= max_age
        return fresh and status.get("state") in WATCHER_ACTIVE_STATES
    except (OSError, ValueError, TypeError, AttributeError):
        return False


class Republisher:
    """`request()` after each write; `delay` seconds after the last one a worker thread republishes.

    `latest_request()` gives the id of the newest pending request (None: nothing pending) and
    `clear(id)` forgets requests up to it once a republish that started after them succeeded. A
    request during a republish schedules one more after it. While a watcher runs, the worker leaves
    the work to it and looks again every `recheck` seconds while requests are pending.
    """

    def __init__(self, home: Path, latest_request: Callable[[], int | None], clear: Callable[[int], object], *,
                 delay: float = 2.0, recheck: float = 30.0, launcher: Launcher = export_and_build,
                 watcher_running: Callable[[Path], bool] = watcher_is_running) -> None:
        self.home, self.latest_request, self.clear = home, latest_request, clear
        self.delay, self.recheck, self.launcher, self.watcher_running = delay, recheck, launcher, watcher_running
        self._condition = threading.Condition()
        self._due: float | None = None
        self._worker: threading.Thread | None = None
        self.launches = 0
        self.last: Outcome | None = None

    def request(self) -> None:
        with self._condition:
            self._due = time.monotonic() + self.delay
            self._condition.notify_all()
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="republish", daemon=True)
                self._worker.start()

    def wait_idle(self, timeout: float) -> bool:
        """True once no republish is due or running (for tests and shutdown)."""
        with self._condition:
            return self._condition.wait_for(lambda: self._worker is None, timeout)

    def _work(self) -> None:
        while True:
            with self._condition:
                while self._due is not None and time.monotonic() < self._due:
                    self._condition.wait(self._due - time.monotonic())
                if self._due is None:
                    self._worker = None
                    self._condition.notify_all()
                    return
                self._due = None
            try:
                self._republish_once()
            except Exception as error:  # the worker must survive a locked database or a vanished home
                self.last = Outcome(False, f"{type(error).__name__}: {error}")
                log.warning("republishing the site failed: %s", self.last.message)

    def _republish_once(self) -> None:
        through = self.latest_request()
        if through is None:
            return
        if self.watcher_running(self.home):
            with self._condition:
                if self._due is None:
                    self._due = time.monotonic() + self.recheck
            return
        self.launches += 1
        outcome = self.launcher(self.home)
        self.last = outcome
        if outcome.ok:
            self.clear(through)
        else:
            log.warning("republishing the site failed (the next decision retries): %s", outcome.message)
