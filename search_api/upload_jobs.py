"""The sidecar's Google uploads as jobs: each runs the shared upload engine in a thread (holding the
album's lock, shared with the CLI) and keeps its recent events, numbered, for the event streams to
follow; the terminal event is always kept. Memory stays bounded however long the upload."""
from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from gallery_builder.config import Settings

KEPT_EVENTS = 1000   # a stream that falls further behind skips to the oldest kept (progress is cumulative)
KEPT_JOBS = 20       # finished jobs remembered for late listeners
TERMINAL = ("done", "fatal", "cancelled")


@dataclass
class UploadJob:
    """One upload started from a page: its events, its cancel flag and its thread."""

    id: str
    album: str
    total: int
    cancel: threading.Event = field(default_factory=threading.Event)
    events: deque = field(default_factory=lambda: deque(maxlen=KEPT_EVENTS))
    terminal: tuple[int, str, dict[str, Any]] | None = None
    last_progress: dict[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    changed: threading.Condition = field(default_factory=threading.Condition)
    seq: int = 0

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        with self.changed:
            self.seq += 1
            item = (self.seq, kind, data)
            self.events.append(item)
            if kind in TERMINAL:
                self.terminal = item
            if kind in ("start", "progress", *TERMINAL):
                self.last_progress = data
            self.changed.notify_all()

    def after(self, seq: int, timeout: float) -> list[tuple[int, str, dict[str, Any]]]:
        """Events numbered above `seq` (waiting up to `timeout` s for one); the terminal one always."""
        with self.changed:
            self.changed.wait_for(lambda: self.seq > seq, timeout=timeout)
            found = [item for item in self.events if item[0] > seq]
            if self.terminal is not None and self.terminal[0] > seq and self.terminal not in found:
                found.append(self.terminal)
            return found

    @property
    def state(self) -> str:
        return self.terminal[1] if self.terminal else "running"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "album": self.album, "state": self.state, "total": self.total,
                "progress": self.last_progress, "events": f"/api/google/uploads/{self.id}/events"}


class UploadJobs:
    """The sidecar's jobs (one per album at a time: the album lock says so, across processes too)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.jobs: dict[str, UploadJob] = {}
        self.lock = threading.Lock()

    def start(self, request: Any) -> UploadJob:
        """Take the album's lock (AlbumBusy when held) and start the upload in a thread."""
        from gallery_builder.google.album_lock import AlbumLock

        lock = AlbumLock(self.settings.google_dir, request.album)
        lock.__enter__()
        job = UploadJob(secrets.token_urlsafe(9), request.album, len(set(request.photo_ids)))
        with self.lock:
            self._forget_finished()
            self.jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, request, lock), name=f"upload-{job.id}", daemon=True).start()
        return job

    def _run(self, job: UploadJob, request: Any, lock: Any) -> None:
        from gallery_builder.db.connection import connect
        from gallery_builder.google.engine import run_upload
        from gallery_builder.google.errors import GoogleError

        db = None
        try:
            db = connect(self.settings.db_path, migrate=False)
            run_upload(self.settings, db, request, job.emit, job.cancel, take_lock=False)
        except GoogleError as error:  # e.g. the token vanished between the check and the start
            job.emit("fatal", {**job.last_progress, "reason": str(error)})
        except Exception as error:  # never leave a stream without its terminal event
            job.emit("fatal", {**job.last_progress, "reason": f"internal error: {type(error).__name__}: {error}"})
        finally:
            if job.terminal is None:
                job.emit("fatal", {**job.last_progress, "reason": "the upload ended without a result"})
            if db is not None:
                db.close()
            lock.__exit__(None, None, None)

    def get(self, job_id: str) -> UploadJob | None:
        with self.lock:
            return self.jobs.get(job_id)

    def listing(self) -> list[dict[str, Any]]:
        with self.lock:
            return [job.to_json() for job in sorted(self.jobs.values(), key=lambda job: -job.started_at)]

    def _forget_finished(self) -> None:
        finished = sorted((job for job in self.jobs.values() if job.terminal), key=lambda job: job.started_at)
        for job in finished[:max(0, len(finished) - KEPT_JOBS + 1)]:
            del self.jobs[job.id]
