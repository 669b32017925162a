"""`gallery status` and `gallery errors`: what is indexed, what is pending, what failed and why."""
from __future__ import annotations

import json

import click

from gallery_builder.cli.options import home_option, open_index


@click.command("status")
@home_option
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def status_command(home: str, as_json: bool) -> None:
    """Show what is indexed: photos per root and status, pass coverage, errors by code, skips, and,
    when a cluster is configured (setting `cluster`), its workers and their last run's throughput.

    \b
    Example:
      gallery status --home ./gallery-data
    """
    from gallery_builder.core.records import RunContext
    from gallery_builder.passes.coverage import library_status
    from gallery_builder.db.photos import status_counts

    settings, db = open_index(home)
    figures = library_status(db, RunContext(settings))
    data = status_counts(db, figures["tallies"])
    data["passes"] = figures["passes"]
    data["errors"] = figures["errors"]
    if settings.cluster:
        from gallery_builder.indexing.cluster import cluster_status

        data["cluster"] = cluster_status(settings.cluster, settings.progress_path)
    if as_json:
        click.echo(json.dumps(data, indent=1))
        return
    click.echo(f"home: {settings.home}")
    for root in data["roots"]:
        click.echo(f"root {root['label']}: {root['present'] or 0} present, {root['missing'] or 0} missing"
                   f" ({root['path']}; last scan {root['last_scan_at'] or 'never'})")
    click.echo("photos: " + ", ".join(f"{count} {status}" for status, count in sorted(data["by_status"].items()))
               + " | " + ", ".join(f"{count} {kind}" for kind, count in sorted(data["by_kind"].items())))
    click.echo("passes:")
    from gallery_builder.passes import default_pass_names

    defaults = default_pass_names(settings.default_passes)
    for row in data["passes"]:
        extra = "" if row["pass"] in defaults else f"  (not a default pass: gallery index --{row['pass']})"
        click.echo(f"  {row['pass']:<10} {row['ok']:>7} ok {row['errors']:>6} errors {row['pending']:>7} pending{extra}")
    if data["errors"]:
        click.echo("errors by code:")
        for row in data["errors"]:
            click.echo(f"  {row['pass']:<10} {row['error_code'] or '?':<12} {row['count']}")
    if "cluster" in data:
        _echo_cluster(data["cluster"])
    if data["skipped"]:
        click.echo("skipped on purpose: " + ", ".join(f"{count} {reason}" for reason, count in data["skipped"].items()))


def _echo_cluster(cluster: dict) -> None:
    if cluster["error"]:
        click.echo(f"cluster {cluster['address']}: {cluster['error']}")
        return
    click.echo(f"cluster {cluster['address']}: {len(cluster['workers'])} worker(s)"
               f"{' in the last run' if cluster['address'] == 'local' else ' connected'}")
    for worker in cluster["workers"]:
        line = (f"  {worker['name']:<16} {worker.get('threads', 0):>3} thread(s) {worker.get('photos', 0):>7} photos "
                f"in the last run ({float(worker.get('rate') or 0):.1f}/s)")
        if worker.get("refused"):
            line += f"; takes no tasks: {worker['refused']}"
        click.echo(line)


@click.command("errors")
@home_option
@click.option("--code", help="Only this error code (corrupt, truncated, empty, unsupported, too_large, unreadable, ...).")
@click.option("--limit", type=int, default=None, help="Show at most this many.")
def errors_command(home: str, code: str | None, limit: int | None) -> None:
    """List every file that failed, with the step, error code and reason.

    \b
    Example:
      gallery errors --home ./gallery-data --code corrupt
    """
    from gallery_builder.db.pass_queries import error_records

    _, db = open_index(home)
    rows = error_records(db, limit=limit, code=code)
    for row in rows:
        click.echo(f"{row['root']}/{row['path']}\t{row['pass']}\t{row['error_code']}\t{row['error']}")
    click.echo(f"{len(rows)} error(s)", err=True)


def register(group: click.Group) -> None:
    group.add_command(status_command)
    group.add_command(errors_command)
