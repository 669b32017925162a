"""`gallery stack`: detect and print stacks (bursts, brackets, sequences), and a person's stack edits
(top, remove, add, merge, split), each edit one short transaction that later re-stacking replays.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from gallery_builder.cli.options import home_option, open_index


@click.group("stack", invoke_without_command=True)
@click.option("--folder", "folder", default=None, metavar="PATH",
              help="Only this folder (absolute, or relative to a root, optionally after the root's label) "
                   "and its subfolders; their time neighbours elsewhere are re-stacked with them.")
@click.option("--collection", default=None, metavar="ID|NAME",
              help="Only the photos of this collection (their time neighbours are re-stacked with them).")
@click.option("--dry-run", is_flag=True, help="Print the stacks that would be stored; write nothing.")
@home_option
@click.pass_context
def stack_command(ctx: click.Context, folder: str | None, collection: str | None, dry_run: bool, home: str) -> None:
    """Find stacks (bursts, brackets, tripod sequences) and print them.

    Frames of one camera chain when they are close in time and look alike: bursts (gaps up to
    stack_gap_seconds, spanning up to stack_span_seconds) and near-identical sequences (gaps up to
    stack_sequence_gap_seconds). Without --folder or --collection the whole library is re-stacked. A person's edits
    (the subcommands) are always kept. Exit status 0 whether or not stacks are found.

    \b
    Examples:
      gallery stack --home ./gallery-data
      gallery stack --folder photos/2023/2023-05-14 --dry-run --home ./gallery-data
      gallery stack --collection "Iceland 2019" --home ./gallery-data
      gallery stack top 1234 --home ./gallery-data
    """
    if ctx.invoked_subcommand is not None:
        return
    from gallery_builder.analysis.stack_run import restack
    from gallery_builder.core.records import RunContext

    if folder and collection:
        raise click.UsageError("give --folder or --collection, not both")
    settings, db = open_index(home)
    try:
        scope = _folder_scope(db, folder) if folder else _collection_scope(db, collection) if collection else None
        if collection and not scope.photo_ids:
            click.echo(f"the collection {collection!r} has no photos: nothing to stack")
            return
        report = restack(db, RunContext(settings), scope, everything=scope is None, dry_run=dry_run)
        _print_report(db, report, dry_run)
    finally:
        db.close()


def _collection_scope(db: Any, key: str) -> Any:
    """A Scope of a collection's photos (by id or name); exit 2 when there is no such collection."""
    from gallery_builder.core.records import Scope
    from gallery_builder.db.collections import UnknownCollection, find_collection, photo_ids_to_index

    try:
        found = find_collection(db, key)
    except UnknownCollection as error:
        _fail(str(error))
    return Scope(photo_ids=tuple(photo_ids_to_index(db, found.id)))


def _folder_scope(db: Any, folder: str) -> Any:
    """A Scope for a folder given absolute or root-relative (optionally `label/...`)."""
    from gallery_builder.core.records import Scope
    from gallery_builder.db.decisions import root_paths

    roots = root_paths(db)
    raw = Path(folder).expanduser()
    if raw.is_absolute():
        resolved = raw.resolve()
        for label, (root_id, root_path) in roots.items():
            base = Path(root_path).resolve()
            if resolved == base or base in resolved.parents:
                relative = resolved.relative_to(base).as_posix()
                return Scope(root_ids=(root_id,), folder="" if relative == "." else relative)
        _fail(f"{folder} is in no root: {', '.join(path for _, path in roots.values()) or 'no roots yet'}")
    parts = folder.strip("/").split("/", 1)
    if parts[0] in roots:
        return Scope(root_ids=(roots[parts[0]][0],), folder=parts[1] if len(parts) > 1 else "")
    return Scope(folder=folder.strip("/"))


def _print_report(db: Any, report: Any, dry_run: bool) -> None:
    from gallery_builder.db.stacks import photo_labels, stack_listings

    if dry_run:
        labels = photo_labels(db, [stack.top for stack in report.stacks])
        click.echo(f"dry run: {len(report.stacks)} stack(s) would be stored; nothing written")
        for stack in report.stacks:
            click.echo(f"  {stack.kind:<8} {len(stack.members):>3} photos  top {stack.top}  {labels.get(stack.top, '?')}")
        return
    listings = stack_listings(db, [photo_id for stack in report.stacks for photo_id in stack.members])
    click.echo(f"stacks: {report.summary()}")
    for item in listings:
        click.echo(f"  stack {item.stack_id:>6}  {item.kind:<8} {item.size:>3} photos  {item.first_taken_at} .. "
                   f"{item.last_taken_at}  top {item.top_photo_id}  {item.top_label}")


def _edit(home: str, action: str, photo_ids: list[int], what: str) -> None:
    from gallery_builder.analysis.stack_run import edit_stacks
    from gallery_builder.core.records import RunContext
    from gallery_builder.db.stacks import photo_exists, stack_listings

    settings, db = open_index(home)
    try:
        unknown = [photo_id for photo_id in photo_ids if not photo_exists(db, photo_id)]
        if unknown:
            _fail(f"no photo with id {', '.join(map(str, unknown))}; nothing written")
        edit_stacks(db, RunContext(settings), action, photo_ids, "cli")
        click.echo(what)
        for item in stack_listings(db, photo_ids):
            click.echo(f"  stack {item.stack_id:>6}  {item.kind:<8} {item.size:>3} photos  top {item.top_photo_id}  "
                       f"{item.top_label}")
    finally:
        db.close()


def _members_of(home: str, stack_id: int) -> list[int]:
    from gallery_builder.db.stacks import stack_member_ids

    _, db = open_index(home)
    try:
        members = stack_member_ids(db, stack_id)
    finally:
        db.close()
    if not members:
        _fail(f"no stack with id {stack_id}; nothing written")
    return members


def _stacked(home: str, photo_id: int) -> None:
    from gallery_builder.db.stacks import stack_of_photo

    _, db = open_index(home)
    try:
        if stack_of_photo(db, photo_id) is None:
            _fail(f"photo {photo_id} is in no stack; nothing written")
    finally:
        db.close()


@stack_command.command("top")
@click.argument("photo_id", type=int)
@home_option
def top_command(photo_id: int, home: str) -> None:
    """Make PHOTO_ID the top (cover) photo of its stack."""
    _stacked(home, photo_id)
    _edit(home, "set_top", [photo_id], f"photo {photo_id} is now the top of its stack")


@stack_command.command("remove")
@click.argument("photo_id", type=int)
@home_option
def remove_command(photo_id: int, home: str) -> None:
    """Take PHOTO_ID out of its stack (re-stacking will not put it back)."""
    _stacked(home, photo_id)
    _edit(home, "remove", [photo_id], f"photo {photo_id} left its stack")


@stack_command.command("add")
@click.argument("photo_id", type=int)
@click.argument("stack_id", type=int)
@home_option
def add_command(photo_id: int, stack_id: int, home: str) -> None:
    """Put PHOTO_ID into stack STACK_ID."""
    members = _members_of(home, stack_id)
    _edit(home, "add", [photo_id, members[0]], f"photo {photo_id} joined stack {stack_id}")


@stack_command.command("merge")
@click.argument("stack_id", type=int)
@click.argument("other_stack_id", type=int)
@home_option
def merge_command(stack_id: int, other_stack_id: int, home: str) -> None:
    """Make one stack of STACK_ID and OTHER_STACK_ID."""
    first, second = _members_of(home, stack_id), _members_of(home, other_stack_id)
    _edit(home, "merge", [first[0], second[0]], f"stacks {stack_id} and {other_stack_id} merged")


@stack_command.command("split")
@click.argument("stack_id", type=int)
@home_option
def split_command(stack_id: int, home: str) -> None:
    """Not a stack: every photo of STACK_ID stands alone again (re-stacking will not regroup them)."""
    members = _members_of(home, stack_id)
    _edit(home, "not_a_stack", members, f"stack {stack_id} split into {len(members)} single photos")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def register(main: click.Group) -> None:
    main.add_command(stack_command)
