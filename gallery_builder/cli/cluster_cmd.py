"""`gallery scheduler` and `gallery worker`: Dask's scheduler on the NAS and a worker on a faster
machine, for `gallery index --cluster` (README: "Faster machines (Dask workers)")."""
from __future__ import annotations

import os
from pathlib import Path

import click


def _tls_options(command):
    for flag, what in (("--tls-key", "private key"), ("--tls-cert", "certificate"), ("--tls-ca-file", "CA certificate")):
        command = click.option(flag, type=click.Path(exists=True, dir_okay=False), default=None,
                               help=f"TLS {what} (PEM); give all three to encrypt and authenticate.")(command)
    return command


@click.command("scheduler")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind: the NAS's LAN address (e.g. 192.168.1.10) so workers can reach it. "
                   "Never expose it to the internet: anyone who reaches it can run code on the workers.")
@click.option("--port", type=int, default=8786, show_default=True, help="Port workers and `index` connect to.")
@click.option("--dashboard", "dashboard", default=None, metavar="HOST:PORT",
              help="Also serve Dask's dashboard there (needs bokeh); off by default.")
@_tls_options
def scheduler_command(host: str, port: int, dashboard: str | None, tls_ca_file: str | None, tls_cert: str | None,
                      tls_key: str | None) -> None:
    """Run a Dask scheduler for remote workers (the heavy passes of `gallery index --cluster`).

    The NAS stays the only writer of the database: workers only compute. Bind it to the LAN, never to
    the internet; with --tls-* (all three) connections are encrypted and need a certificate of your CA.

    \b
    Example:
      gallery scheduler --host 192.168.1.10 --port 8786
      gallery index --home /data --clip --cluster tcp://192.168.1.10:8786
    """
    from gallery_builder.indexing.cluster_services import Tls, scheduler_argv

    try:
        argv = scheduler_argv(host, port, Tls(tls_ca_file, tls_cert, tls_key), dashboard)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"scheduler on {'tls' if tls_cert else 'tcp'}://{host}:{port} (LAN only)", err=True)
    os.execv(argv[0], argv)


@click.command("worker")
@click.option("--scheduler", "scheduler", required=True, envvar="GALLERY_SCHEDULER", metavar="ADDRESS",
              help="The NAS's scheduler, e.g. tcp://192.168.1.10:8786. Env: GALLERY_SCHEDULER.")
@click.option("--models", "models", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Model bundles folder, a copy of the NAS's <home>/models (default: settings' models, "
                   "env GALLERY_MODELS, else ./gallery-data/models). Nothing is ever downloaded.")
@click.option("--threads", type=int, default=1, show_default=True,
              help="Tasks run at once; ONNX Runtime shares the cores between them.")
@click.option("--name", default=None, help="A unique name shown on the status page (default: HOST-PID).")
@click.option("--memory-limit", default="auto", show_default=True, help="Dask's memory limit for the worker.")
@_tls_options
def worker_command(scheduler: str, models: Path | None, threads: int, name: str | None, memory_limit: str,
                   tls_ca_file: str | None, tls_cert: str | None, tls_key: str | None) -> None:
    """Run a Dask worker (under its nanny) that computes heavy passes for a NAS.

    It takes the tasks of a pass (clip, faces, quality) only when its copy of the pass's model has the
    same checksum as the NAS's; with no model it says so once and takes none. It restarts if it crashes and
    reconnects after sleep; its unfinished tasks are re-run elsewhere meanwhile.

    \b
    Example:
      rsync -a nas:/volume1/gallery-data/models/ ~/gallery-models/
      gallery worker --scheduler tcp://192.168.1.10:8786 --models ~/gallery-models --threads 2
    """
    from gallery_builder.cli.options import load_or_explain
    from gallery_builder.indexing.cluster_services import (
        Tls, default_worker_name, models_report, worker_argv, worker_environment)

    if threads < 1:
        raise click.UsageError("--threads must be at least 1")
    models_dir = models or load_or_explain(os.environ.get("GALLERY_HOME", "./gallery-data")).models_dir
    try:
        argv = worker_argv(scheduler, threads, name or default_worker_name(), memory_limit,
                           Tls(tls_ca_file, tls_cert, tls_key))
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(models_report(Path(models_dir)), err=True)
    os.execve(argv[0], argv, worker_environment(Path(models_dir), threads, dict(os.environ)))


def register(group: click.Group) -> None:
    group.add_command(scheduler_command)
    group.add_command(worker_command)
