"""The NAS's side of a Dask cluster: connecting (a scheduler address, or `local` for a LocalCluster),
which workers may take a pass's tasks (their model copy matches: they are granted a Dask resource
named after its checksum), and each worker's throughput for the status page.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from gallery_builder.ml.bundle_checksum import ModelRequirement

CONNECT_TIMEOUT_S = 10.0
logger = logging.getLogger("gallery.cluster")


def worker_label(address: str, info: dict[str, Any]) -> str:
    """A worker's name (LocalCluster's are 0, 1, ...), else its address."""
    name = info.get("name")
    return address if name is None or name == "" else str(name)


class ClusterUnavailable(RuntimeError):
    """The scheduler cannot be reached (the message says where and what to start)."""


@dataclass
class WorkerStats:
    """What one worker did in this run (keyed by its name, which survives a nanny restart)."""

    name: str
    threads: int = 1
    photos: int = 0
    busy_seconds: float = 0.0
    cpu_seconds: float = 0.0
    connected: bool = True
    refused: str | None = None

    def row(self, elapsed: float) -> dict[str, Any]:
        return {"name": self.name, "threads": self.threads, "photos": self.photos, "connected": self.connected,
                "rate": round(self.photos / elapsed, 2) if elapsed > 0 else 0.0, "refused": self.refused,
                "busy_seconds": round(self.busy_seconds, 2), "cpu_seconds": round(self.cpu_seconds, 2)}


async def _grant_if_matching(requirement: ModelRequirement, fallback_models: str, dask_worker: Any = None) -> str | None:
    """Runs on a worker: check its model copy (hashing in a thread, once per file) and, when it matches,
    give it the requirement's resource, one unit per thread. Returns why not, or None."""
    import asyncio

    from gallery_builder.indexing.remote_task import MODELS_ENV
    from gallery_builder.ml.bundle_checksum import refusal

    models_dir = os.environ.get(MODELS_ENV) or fallback_models
    refused = await asyncio.to_thread(refusal, requirement, models_dir)
    if refused:
        logging.getLogger("gallery.worker").warning("refusing %s tasks: %s", requirement.label, refused)
        return refused
    await dask_worker.set_resources(**{requirement.resource: dask_worker.state.nthreads})
    return None


@dataclass
class ClusterSession:
    """One client for one run; created on the first remote pass, closed with the runner."""

    address: str
    client: Any
    local_cluster: Any = None
    log: Callable[[str], None] = print
    stats: dict[str, WorkerStats] = field(default_factory=dict)
    _checked: dict[str, set[str]] = field(default_factory=dict)  # resource -> worker addresses checked

    @classmethod
    def connect(cls, address: str, log: Callable[[str], None] = print, workers: int = 0) -> "ClusterSession":
        from distributed import Client, LocalCluster

        if address == "local":
            cluster = LocalCluster(n_workers=workers or (os.cpu_count() or 1), threads_per_worker=1, processes=True,
                                   dashboard_address=None, env={"GALLERY_ONNX_THREADS": "1"})
            return cls(address, Client(cluster), cluster, log)
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as error:
            raise ClusterUnavailable(
                f"cannot reach the Dask scheduler at {address} ({error}); start it on the NAS with "
                f"`gallery scheduler`, or run without --cluster") from None
        return cls(address, client, None, log)

    def workers(self) -> dict[str, dict[str, Any]]:
        """Connected workers by address (name, nthreads, resources, ...), as the scheduler sees them."""
        return dict(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def grant(self, requirement: ModelRequirement, fallback_models: str) -> int:
        """Check every worker not yet checked for this requirement; returns the threads of the workers
        that may take its tasks now. A refusing worker is reported once per run."""
        workers = self.workers()
        checked = self._checked.setdefault(requirement.resource, set())
        new = [address for address in workers if address not in checked]
        if new:
            answers = self.client.run(_grant_if_matching, requirement, fallback_models, workers=new,
                                      on_error="return")
            for address, answer in answers.items():
                checked.add(address)
                name = worker_label(address, workers[address])
                stats = self.stats.setdefault(name, WorkerStats(name))
                stats.threads = int(workers[address].get("nthreads") or 1)
                if answer is not None:
                    reason = answer if isinstance(answer, str) else f"the check failed: {answer!r}"
                    if stats.refused != reason:
                        self.log(f"worker {name} ({address}) takes no {requirement.label} tasks: {reason}")
                    stats.refused = reason
                else:
                    stats.refused = None
        names = {worker_label(address, info) for address, info in workers.items()}
        for name, stats in self.stats.items():
            stats.connected = name in names
        return sum(int(info.get("nthreads") or 1) for info in workers.values()
                   if (info.get("resources") or {}).get(requirement.resource))

    def revoke(self, requirement: ModelRequirement, address: str) -> None:
        """Stop sending this requirement's tasks to a worker whose copy changed since it was checked."""
        async def take_back(dask_worker: Any = None) -> None:
            await dask_worker.set_resources(**{requirement.resource: 0})

        if address:
            self.client.run(take_back, workers=[address], on_error="return")

    def wait_for_eligible(self, requirement: ModelRequirement, fallback_models: str, seconds: float) -> int:
        """Threads able to take the requirement's tasks, waiting up to `seconds` for one to appear."""
        deadline = time.monotonic() + seconds
        while True:
            threads = self.grant(requirement, fallback_models)
            if threads or time.monotonic() >= deadline:
                return threads
            time.sleep(0.5)  # polling the scheduler for a worker that may join

    def record(self, name: str, photos: int, seconds: float, cpu_seconds: float = 0.0) -> None:
        stats = self.stats.setdefault(name, WorkerStats(name))
        stats.photos += photos
        stats.busy_seconds += seconds
        stats.cpu_seconds += cpu_seconds

    def rows(self, elapsed: float) -> list[dict[str, Any]]:
        return [stats.row(elapsed) for stats in sorted(self.stats.values(), key=lambda item: item.name)]

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.local_cluster is not None:
                self.local_cluster.close()


def connected_workers(address: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The workers a scheduler knows now (for `gallery status`): name, address, threads, memory, tasks."""
    from distributed import Client

    with Client(address, timeout=timeout) as client:
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
        return [{"name": worker_label(address, info), "address": address,
                 "threads": int(info.get("nthreads") or 0), "memory_limit": info.get("memory_limit"),
                 "executing": (info.get("metrics") or {}).get("task_counts", {}).get("executing", 0)}
                for address, info in sorted(workers.items())]


def cluster_status(address: str, progress_path: Any) -> dict[str, Any]:
    """For `gallery status`: the scheduler's workers now, each with what it did in the last cluster run
    (photos, photos per second, from progress.json), or why the scheduler cannot be reached."""
    import json

    try:
        last = json.loads(progress_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        last = {}
    done = {row.get("name"): row for row in last.get("workers") or [] if isinstance(row, dict)}
    status: dict[str, Any] = {"address": address, "workers": [], "error": None}
    if address == "local":
        status["workers"] = list(done.values())
        return status
    try:
        workers = connected_workers(address)
    except (OSError, TimeoutError) as error:
        status["error"] = f"cannot reach the scheduler: {error}"
        return status
    for worker in workers:
        row = done.get(worker["name"], {})
        status["workers"].append({**worker, "photos": row.get("photos", 0), "rate": row.get("rate", 0.0),
                                  "refused": row.get("refused")})
    return status
