"""How `gallery scheduler` and `gallery worker` start Dask's own scheduler and nanny-managed worker:
their command lines, the worker's environment (its models folder, ONNX threads) and the one report
of which model bundles a worker holds.
"""
from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from gallery_builder.indexing.remote_task import MODELS_ENV


@dataclass(frozen=True)
class Tls:
    """Dask's TLS files (all three, or none: plain TCP on a trusted LAN)."""

    ca_file: str | None = None
    cert: str | None = None
    key: str | None = None

    def arguments(self) -> list[str]:
        given = {"--tls-ca-file": self.ca_file, "--tls-cert": self.cert, "--tls-key": self.key}
        if any(given.values()) and not all(given.values()):
            raise ValueError("TLS needs all three of --tls-ca-file, --tls-cert and --tls-key")
        return [part for flag, value in given.items() if value for part in (flag, value)]


def scheduler_argv(host: str, port: int, tls: Tls, dashboard: str | None) -> list[str]:
    argv = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", host, "--port", str(port)]
    if tls.arguments():
        argv += ["--protocol", "tls", *tls.arguments()]
    argv += ["--dashboard", "--dashboard-address", dashboard] if dashboard else ["--no-dashboard"]
    return argv


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def worker_argv(scheduler: str, threads: int, name: str, memory_limit: str, tls: Tls) -> list[str]:
    """`dask worker` under its nanny: restarted if it dies, reconnecting after a laptop's sleep."""
    return [sys.executable, "-m", "distributed.cli.dask_worker", scheduler, "--nthreads", str(threads),
            "--nworkers", "1", "--nanny", "--name", name, "--memory-limit", memory_limit, "--no-dashboard",
            *tls.arguments()]


def worker_environment(models_dir: Path, threads: int, environ: dict[str, str]) -> dict[str, str]:
    """The worker's models folder, and ONNX threads shared out between its task threads."""
    env = dict(environ)
    env[MODELS_ENV] = str(models_dir.resolve())
    env.setdefault("GALLERY_ONNX_THREADS", str(max(1, (os.cpu_count() or 1) // max(1, threads))))
    return env


def installed_bundles(models_dir: Path) -> list[str]:
    """`family/name` of every bundle folder under the models folder (clip/ViT-B-32__..., faces/...)."""
    if not models_dir.is_dir():
        return []
    return [f"{family.name}/{bundle.name}" for family in sorted(models_dir.iterdir())
            if family.is_dir() and not family.name.startswith(".")
            for bundle in sorted(family.iterdir()) if bundle.is_dir() and not bundle.name.startswith(".")]


def models_report(models_dir: Path) -> str:
    """One line saying what this worker can take; the NAS checks each pass's files and checksum."""
    bundles = installed_bundles(models_dir)
    if not bundles:
        return (f"no model bundle in {models_dir}: this worker takes no clip (or other model) tasks. Copy the "
                f"NAS's models folder here first (e.g. rsync -a NAS:/data/models/ {models_dir}/); "
                f"a worker never downloads models")
    return f"models in {models_dir}: {', '.join(bundles)} (the NAS checks each against its own copy)"
