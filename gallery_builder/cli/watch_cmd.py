"""`gallery watch`: keep the index and the site current; `gallery watch-status`: its health check."""
from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import click

from gallery_builder.cli.options import home_option, settings_and_roots


@click.command("watch")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@home_option
@click.option("--poll", type=click.FloatRange(min=0), default=0, metavar="SECONDS",
              help="Poll every SECONDS instead of using inotify (NFS/SMB mounts, inotify limit reached); "
                   "0 means inotify (the default), falling back to polling by itself where inotify cannot work.")
@click.option("--settle", type=click.FloatRange(min=0.2), default=5.0, show_default=True, metavar="SECONDS",
              help="A file counts once its size and mtime have been stable this long (copies in progress wait).")
@click.option("--rescan-hours", type=click.FloatRange(min=0), default=None, metavar="H",
              help="Hours between full rescans that catch missed events; 0 turns them off "
                   "(default: setting rescan_hours, 24).")
@click.option("--workers", type=int, default=None, help="Processes for CPU-bound passes (default: all cores).")
def watch_command(paths: tuple[Path, ...], home: str, poll: float | None, settle: float,
                  rescan_hours: float | None, workers: int | None) -> None:
    """Watch photo folders and keep <home>/site current, with no command to type.

    Scans every root once at start (catching up after a crash or a stop), then on each settled
    batch of changes rescans the affected roots, runs the default passes (setting
    default_passes), exports Parquet and rebuilds only the pages that changed. A file still
    being copied waits until its size and mtime are stable. A root that disappears (an
    unmounted share) is paused, never emptied, and rescanned when it comes back. With no PATH,
    every root in <home>/gallery.toml is watched. Stop with Ctrl-C or SIGTERM.

    \b
    Examples:
      gallery watch /volume1/photo --home /data
      gallery watch /mnt/nas-photos --home /data --poll 60     # an NFS/SMB mount
    """
    from gallery_builder.cli.index_cmd import chosen_passes
    from gallery_builder.passes import default_pass_names

    settings, roots = settings_and_roots(home, {"workers": workers, "rescan_hours": rescan_hours}, paths, "watch")
    names, _ = chosen_passes(default_pass_names(settings.default_passes), {})
    _run(settings, roots, names, poll or None, settle)


def _run(settings, roots, names, poll: float | None, settle: float) -> None:
    import threading

    from gallery_builder.watch.watcher import WatchOptions, Watcher, site_rebuilder

    options = WatchOptions(settle=settle, poll=poll, rescan_hours=settings.rescan_hours)
    click.echo(f"watching {', '.join(f'{root.label}={root.path}' for root in roots)} into {settings.home} "
               f"(passes: {', '.join(names) or 'none'}; settle {settle:g} s; "
               f"full rescan every {options.rescan_hours:g} h)")
    stop = threading.Event()

    def on_signal(number: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    watcher = Watcher(settings, roots, names, site_rebuilder(), options, log=lambda line: click.echo(line))
    try:
        watcher.run(stop)
    except KeyboardInterrupt:
        stop.set()
        click.echo("stopped: finished batches are saved; the next start catches up by scanning", err=True)
        sys.exit(130)


@click.command("watch-status")
@home_option
@click.option("--max-age", type=float, default=120.0, show_default=True, metavar="SECONDS",
              help="Unhealthy when the watcher has not written its state for this long.")
@click.option("--json", "as_json", is_flag=True, help="Print the state file as JSON.")
def watch_status_command(home: str, max_age: float, as_json: bool) -> None:
    """Show the watcher's state (<home>/watch.json); exit 1 when it is stopped or silent.

    Used as the container health check of the watcher service.

    \b
    Example:
      gallery watch-status --home /data --max-age 120
    """
    from gallery_builder.config import load_settings
    from gallery_builder.watch.watcher import STATUS_FILE

    path = load_settings(home).home / STATUS_FILE
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        click.echo(f"unhealthy: no watcher state at {path} (is `gallery watch` running?)", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(status, indent=1))
    age = time.time() - float(status.get("updated_at", 0))
    for label, root in sorted(status.get("roots", {}).items()):
        detail = root.get("mode") or root.get("reason")
        click.echo(f"root {label}: {root.get('state')} ({detail})")
    if status.get("last_batch"):
        click.echo(f"last batch: {status['last_batch'].get('at')} {status['last_batch'].get('line')}")
    if status.get("state") == "stopped" or age > max_age:
        click.echo(f"unhealthy: watcher {status.get('state')}, state written {age:.0f} s ago", err=True)
        sys.exit(1)
    stuck = time.time() - float(status.get("tick_at", time.time()))
    if status.get("state") == "watching" and stuck > max_age:  # a batch may run for hours; idle must tick
        click.echo(f"unhealthy: the watcher's loop has not run for {stuck:.0f} s", err=True)
        sys.exit(1)
    click.echo(f"healthy: {status.get('state')}, {status.get('pending', 0)} change(s) pending, "
               f"state written {age:.0f} s ago")


def register(group: click.Group) -> None:
    group.add_command(watch_command)
    group.add_command(watch_status_command)
