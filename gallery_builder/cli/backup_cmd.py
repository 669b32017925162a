"""`gallery backup`: a consistent copy of gallery.db, safe while the indexer runs."""
from __future__ import annotations

from pathlib import Path

import click

from gallery_builder.cli.options import home_option, open_index


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

    _, db = open_index(home)
    if dest.is_dir():
        dest = dest / f"gallery-{datetime.now():%Y%m%d-%H%M%S}.db"
    backup_to(db, dest)
    click.echo(f"backed up to {dest} ({dest.stat().st_size // 1024} KiB)")


def register(group: click.Group) -> None:
    group.add_command(backup_command)
