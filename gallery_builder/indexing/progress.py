"""The live progress of a run: a terminal bar (tqdm) and an atomic JSON file the status page polls.

`<home>/progress.json` keys (all optional except state/updated_at):
  state        "running" | "done" | "interrupted" | "failed"
  stage        "scan" | "pass" | "export" | "build"
  pass         the pass running now (stage "pass"); passes: every pass of this run, in order
  pass_index   0-based index of `pass` in `passes`
  done, total  photos finished / to do in the current stage
  errors       photos that failed in the current stage
  rate         photos per second over the current stage
  eta_seconds  estimated seconds left in the current stage (null when unknown)
  started_at, updated_at   ISO 8601 UTC; pid   the indexer's process id
  label        what the scan stage works on (e.g. "hash photos")
  message      a line for humans (e.g. why a pass was skipped)
  cluster      the Dask scheduler of a run with --cluster; workers   its workers in this run: name,
               threads, photos, rate (photos per second over the pass), connected, refused (why it
               takes none of the pass's tasks, e.g. a missing model)
"""
from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gallery_builder.core.disk_space import is_disk_full
from gallery_builder.core.files import write_json_atomic

WRITE_INTERVAL_S = 0.5


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Progress:
    """Drives one stage at a time: `start(stage, total)`, `advance(n, errors)`, `finish()`."""

    def __init__(self, path: Path | None, *, show_bar: bool | None = None, passes: list[str] | None = None) -> None:
        self.path = path
        self.show_bar = sys.stderr.isatty() if show_bar is None else show_bar
        self.state: dict[str, Any] = {"state": "running", "pid": os.getpid(), "started_at": _now(),
                                      "passes": passes or []}
        self._bar: Any = None
        self._stage_started = time.monotonic()
        self._last_write = 0.0

    def start(self, stage: str, total: int, name: str | None = None) -> None:
        self.close_bar()
        self.state.update(stage=stage, done=0, total=total, errors=0, rate=0.0, eta_seconds=None,
                          message=None)
        if name is not None and stage != "pass":
            self.state["label"] = name
        elif name is not None:
            self.state["pass"] = name
            if name in self.state["passes"]:
                self.state["pass_index"] = self.state["passes"].index(name)
        self._stage_started = time.monotonic()
        if total > 0 and stage != "export" and (self.show_bar or os.environ.get("GALLERY_PROGRESS") == "1"):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=name or stage, unit="photo", file=sys.stderr,
                             dynamic_ncols=True, smoothing=0.1, leave=True)
        self.write(force=True)

    def advance(self, count: int, errors: int = 0) -> None:
        self.state["done"] += count
        self.state["errors"] += errors
        elapsed = max(time.monotonic() - self._stage_started, 1e-6)
        rate = self.state["done"] / elapsed
        left = self.state["total"] - self.state["done"]
        self.state["rate"] = round(rate, 2)
        self.state["eta_seconds"] = round(left / rate, 1) if rate > 0 else None
        if self._bar is not None:
            self._bar.update(count)
            if errors:
                self._bar.set_postfix(errors=self.state["errors"])
        self.write()

    def restart_clock(self) -> None:
        """Rate and ETA from now on, for a stage that waited before its first photo (cluster workers)."""
        self._stage_started = time.monotonic()
        if self._bar is not None and self.state.get("done") == 0:
            self._bar.reset(total=self.state["total"])

    def set_workers(self, cluster: str, rows: list[dict[str, Any]]) -> None:
        self.state["cluster"] = cluster
        self.state["workers"] = rows
        self.write(force=True)

    def note(self, message: str) -> None:
        self.state["message"] = message
        self.write(force=True)

    def finish(self, state: str = "done") -> None:
        self.close_bar()
        self.state["state"] = state
        self.write(force=True)

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def write(self, force: bool = False) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if not force and now - self._last_write < WRITE_INTERVAL_S:
            return
        self._last_write = now
        self.state["updated_at"] = _now()
        try:
            write_json_atomic(self.path, self.state)
        except OSError as error:  # the progress file is a courtesy: a full disk must not stop the run here
            if not is_disk_full(error):
                raise
