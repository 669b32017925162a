"""`gallery duplicates`: detect, store and print duplicate groups, and "reject the others" (a flag on
every copy but the proposed keeper, written through the same door as `gallery flag`; never a delete).
"""
from __future__ import annotations

import os
import sys
from typing import Any

import click

from gallery_builder.cli.options import home_option, open_index


@click.command("duplicates")
@click.option("--folder", "folder", default=None, metavar="PATH",
              help="Only this folder (absolute, or relative to a root, optionally after the root's label) and "
                   "the groups its photos belong to; default: the whole library.")
@click.option("--reject-others", "reject_group", type=int, default=None, metavar="GROUP_ID",
              help="Flag every photo of this group but its keeper as reject.")
@click.option("--all", "reject_all", is_flag=True, help="With no GROUP_ID: reject the others in every group shown.")
@home_option
def duplicates_command(folder: str | None, reject_group: int | None, reject_all: bool, home: str) -> None:
    """Find exact copies and near duplicates, store them and print each group.

    A group shows each copy's size, resolution, date and folder, and the proposed keeper (the
    largest original, then the earliest date). Exact copies are byte-identical; near duplicates
    are resized, re-encoded, converted, greyscale or turned copies (pHash, and CLIP when vectors
    exist). `--reject-others` flags the other copies reject; no file is ever deleted. Exit 0
    whether or not groups are found.

    \b
    Examples:
      gallery duplicates --home ./gallery-data
      gallery duplicates --folder photos/2023 --home ./gallery-data
      gallery duplicates --reject-others 12 --home ./gallery-data
      gallery duplicates --all --home ./gallery-data
    """
    from gallery_builder.analysis.duplicates import detect_duplicates
    from gallery_builder.core.records import RunContext, Scope
    from gallery_builder.db.duplicates import copies

    if reject_group is not None and reject_all:
        raise click.UsageError("give --reject-others GROUP_ID or --all, not both")
    settings, db = open_index(home)
    try:
        scope = _folder_scope(db, folder) if folder else Scope()
        detection = detect_duplicates(db, scope, RunContext(settings))
        rows = copies(db, scope if folder else None)
        _print_groups(rows)
        click.echo(detection.summary())
        if reject_group is not None or reject_all:
            shown = sorted({row.group_id for row in rows})
            _reject_others(db, [reject_group] if reject_group is not None else shown)
    finally:
        db.close()


def _folder_scope(db: Any, folder: str) -> Any:
    """The Scope of a folder given as an absolute path, `label/relative` or a path relative to a root."""
    from gallery_builder.core.records import Scope
    from gallery_builder.db.decisions import root_paths

    roots = root_paths(db)
    if os.path.isabs(folder) or os.path.isdir(folder):
        target = os.path.realpath(folder)
        for root_id, root_path in roots.values():
            root = os.path.realpath(root_path)
            if target == root or target.startswith(root + os.sep):
                relative = os.path.relpath(target, root).replace(os.sep, "/")
                return Scope(root_ids=(root_id,), folder=None if relative == "." else relative)
    label, _, rest = folder.strip("/").partition("/")
    if label in roots:
        return Scope(root_ids=(roots[label][0],), folder=rest or None)
    if not os.path.isabs(folder):
        return Scope(folder=folder.strip("/"))
    raise click.UsageError(f"{folder} is in no root of this index (roots: {', '.join(sorted(roots)) or 'none'})")


def _print_groups(rows: list[Any]) -> None:
    if not rows:
        click.echo("no duplicates found")
        return
    group_id = None
    for row in rows:
        if row.group_id != group_id:
            group_id = row.group_id
            count = sum(1 for other in rows if other.group_id == group_id)
            label = "exact copies" if row.group_kind == "exact" else "near duplicates"
            click.echo(f"group {group_id}: {count} {label}")
        size = f"{row.width}x{row.height}" if row.width and row.height else "?x?"
        role = "keep" if row.is_keeper else row.kind
        flag = f"  [{row.flag}]" if row.flag else ""
        folder = f"{row.root}/{row.folder}" if row.folder else row.root
        click.echo(f"  {role:<5} {row.photo_id:>7}  {size:>11}  {_megabytes(row.size):>8}  "
                   f"{(row.taken_at or '?')[:19]:<19}  {folder}/  {os.path.basename(row.path)}{flag}")


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


def _reject_others(db: Any, group_ids: list[int]) -> None:
    from gallery_builder.db.decisions import set_flag
    from gallery_builder.db.duplicates import known_group_ids, others_of

    unknown = sorted(set(group_ids) - known_group_ids(db, group_ids))
    if unknown:
        click.echo(f"Error: no duplicate group {', '.join(map(str, unknown))}; nothing written", err=True)
        sys.exit(2)
    others = [photo_id for ids in others_of(db, group_ids).values() for photo_id in ids]
    if not others:
        click.echo("no other copies to reject")
        return
    result = set_flag(db, others, "reject", "cli duplicates")
    click.echo(f"reject the others: {len(result.changes)} photo(s) flagged reject, "
               f"{len(others) - len(result.changes)} already so (decisions version {result.version})")


def register(group: click.Group) -> None:
    group.add_command(duplicates_command)
