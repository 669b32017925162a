"""`gallery purge`: forget photos marked missing and delete thumbnails no other photo uses."""
from __future__ import annotations

import json

import click

from gallery_builder.cli.options import home_option, open_index


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

    settings, db = open_index(home)
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


def register(group: click.Group) -> None:
    group.add_command(purge_command)
