"""`gallery status`, `errors`, `export`, `purge`, `backup`: looking after the index."""
from __future__ import annotations

import json
from pathlib import Path

import click

from gallery_builder.cli.options import home_option


def _open(home: str):
    from gallery_builder.config import SettingsError, load_settings
    from gallery_builder.db.connection import connect

    try:
        settings = load_settings(home)
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    if not settings.db_path.exists():
        raise click.ClickException(f"no index at {settings.db_path}: run `gallery index PATH --home {home}` first")
    return settings, connect(settings.db_path)


@click.command("status")
@home_option
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def status_command(home: str, as_json: bool) -> None:
    """Show what is indexed: photos per root and status, pass coverage, errors by code, skips.

    \b
    Example:
      gallery status --home ./gallery-data
    """
    from gallery_builder.db.export_queries import coverage_rows
    from gallery_builder.db.pass_queries import errors_by_code
    from gallery_builder.db.photos import status_counts

    settings, db = _open(home)
    data = status_counts(db)
    data["passes"] = coverage_rows(db)
    data["errors"] = errors_by_code(db)
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
    if data["skipped"]:
        click.echo("skipped on purpose: " + ", ".join(f"{count} {reason}" for reason, count in data["skipped"].items()))


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

    _, db = _open(home)
    rows = error_records(db, limit=limit, code=code)
    for row in rows:
        click.echo(f"{row['root']}/{row['path']}\t{row['pass']}\t{row['error_code']}\t{row['error']}")
    click.echo(f"{len(rows)} error(s)", err=True)


@click.command("export")
@home_option
def export_command(home: str) -> None:
    """Write the Parquet files (photos, roots, pass coverage, errors, skipped) into <home>/parquet/.

    \b
    Example:
      gallery export --home ./gallery-data
      duckdb -c "SELECT country, count(*) FROM './gallery-data/parquet/photos.parquet' GROUP BY 1"
    """
    from gallery_builder.export.parquet import export_all

    settings, db = _open(home)
    counts = export_all(db, settings.parquet_dir)
    click.echo(", ".join(f"{name}: {count} rows" for name, count in counts.items()))


@click.command("purge")
@home_option
@click.option("--root", "labels", multiple=True, help="Only photos of this root label (repeatable).")
@click.option("--dry-run", is_flag=True, help="Say what would be removed, remove nothing.")
def purge_command(home: str, labels: tuple[str, ...], dry_run: bool) -> None:
    """Forget photos marked missing and delete thumbnails no other photo uses.

    Missing photos are never dropped by a scan (an unmounted share must not lose its faces, tags
    and albums); this is the one command that drops them.

    \b
    Example:
      gallery purge --home ./gallery-data --dry-run
    """
    from gallery_builder.db.connection import transaction
    from gallery_builder.db.photos import delete_photos, missing_photos, root_ids_by_label, thumb_key_in_use
    from gallery_builder.core.thumb_layout import thumb_files

    settings, db = _open(home)
    ids = root_ids_by_label(db)
    unknown = [label for label in labels if label not in ids]
    if unknown:
        raise click.ClickException(f"unknown root label(s): {', '.join(unknown)}; known: {', '.join(ids)}")
    rows = missing_photos(db, tuple(ids[label] for label in labels))
    click.echo(f"{len(rows)} missing photo(s){' would be' if dry_run else ''} purged")
    if dry_run or not rows:
        return
    with transaction(db):
        delete_photos(db, [row["id"] for row in rows])
    removed = 0
    for row in rows:
        if row["thumb_key"] and not thumb_key_in_use(db, row["thumb_key"]):
            for relative in thumb_files(row["thumb_key"], json.loads(row["widths"])):
                target = settings.thumbs_dir / relative
                if target.exists():
                    target.unlink()
                    removed += 1
    click.echo(f"removed {removed} thumbnail file(s)")


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@home_option
def backup_command(dest: Path, home: str) -> None:
    """Copy gallery.db consistently to DEST (safe while the indexer runs: SQLite backup API).

    DEST may be a file or an existing folder (then gallery-YYYYmmdd-HHMMSS.db is written in it).

    \b
    Example:
      gallery backup /volume1/backup/ --home /data
    """
    from datetime import datetime

    from gallery_builder.db.migrate import backup_to

    _, db = _open(home)
    if dest.is_dir():
        dest = dest / f"gallery-{datetime.now():%Y%m%d-%H%M%S}.db"
    backup_to(db, dest)
    click.echo(f"backed up to {dest} ({dest.stat().st_size // 1024} KiB)")


def register(group: click.Group) -> None:
    for command in (status_command, errors_command, export_command, purge_command, backup_command):
        group.add_command(command)
