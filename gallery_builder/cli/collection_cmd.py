"""`gallery collection`: collections (albums) from the terminal: list, show, create, rename, delete,
add, remove, cover, move. One of the two doors that write them (the sidecar's writing routes are the
other); each change is one short transaction.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import click

from gallery_builder.cli.flag_cmd import limit_option, resolve_targets, search_ids, search_option
from gallery_builder.cli.options import home_option, open_index

collection_argument = click.argument("collection", metavar="ID")


@click.group("collection")
def collection_command() -> None:
    """Collections (albums): a name, photos in your own order, and a cover.

    ID is a collection's id or its name (any case). Photo TARGETS are photo ids, paths relative to a
    root (optionally after the root's label: `photos/2023/IMG_1.JPG`) or absolute paths; `add` and
    `remove` also take `--search QUERY`. If any target is unknown, nothing is written and the
    unknown ones are listed (exit status 2). Adding a photo twice, or removing one that is not in
    the collection, changes nothing. Deleting a collection never deletes a photo. A running
    `gallery watch` republishes the site within seconds; otherwise run `gallery export` and
    `gallery build`.

    \b
    Examples:
      gallery collection create "Lisbon 2023" --home ./gallery-data
      gallery collection add "Lisbon 2023" 12 15 2023/2023-05-14/DSC06241.JPG --home ./gallery-data
      gallery collection add 3 --search "tram lisbon" --limit 30 --home ./gallery-data
      gallery collection move 3 15 --before 12 --home ./gallery-data
      gallery collection cover 3 15 --home ./gallery-data
      gallery collection show 3 --home ./gallery-data
      gallery collection delete 3 --yes --home ./gallery-data
    """


@collection_command.command("list")
@home_option
def list_command(home: str) -> None:
    """List every collection: id, photo count, name.

    \b
    Example:
      gallery collection list --home ./gallery-data
    """
    from gallery_builder.db.collections import list_collections

    with _index(home) as (_, db):
        found = list_collections(db)
        if not found:
            click.echo("no collections yet: `gallery collection create NAME` makes one")
        for item in found:
            click.echo(f"{item.id:>5}  {item.photo_count:>6} photo(s)  {item.name}")


@collection_command.command("show")
@collection_argument
@home_option
def show_command(collection: str, home: str) -> None:
    """Print a collection and its photos in their order (the cover is marked with *).

    \b
    Example:
      gallery collection show "Lisbon 2023" --home ./gallery-data
    """
    from gallery_builder.db.collections import collection_photo_ids
    from gallery_builder.db.decisions import photo_labels

    with _index(home) as (_, db):
        item = _find(db, collection)
        ids = collection_photo_ids(db, item.id)
        labels = photo_labels(db, ids)
        click.echo(f"collection {item.id}: {item.name} ({item.photo_count} photo(s), updated {item.updated_at})")
        for position, photo_id in enumerate(ids, start=1):
            mark = "*" if photo_id == item.cover_photo_id else " "
            click.echo(f"{mark}{position:>5}  {photo_id:>6}  {labels.get(photo_id, '?')}")


@collection_command.command("create")
@click.argument("name")
@home_option
def create_command(name: str, home: str) -> None:
    """Create an empty collection named NAME (names are unique in any case; an existing one is kept).

    \b
    Example:
      gallery collection create "Best of 2023" --home ./gallery-data
    """
    from gallery_builder.db.collections import create_collection

    _write(home, None, lambda db, _: create_collection(db, name, "cli"))


@collection_command.command("rename")
@collection_argument
@click.argument("name")
@home_option
def rename_command(collection: str, name: str, home: str) -> None:
    """Rename a collection (its id, and so its page address, stays).

    \b
    Example:
      gallery collection rename 3 "Lisbon, May 2023" --home ./gallery-data
    """
    from gallery_builder.db.collections import rename_collection

    _write(home, collection, lambda db, item: rename_collection(db, item.id, name, "cli"))


@collection_command.command("delete")
@collection_argument
@click.option("--yes", is_flag=True, help="Really delete it (its photos stay in the library).")
@home_option
def delete_command(collection: str, yes: bool, home: str) -> None:
    """Delete a collection and its order; its photos stay in the library.

    \b
    Example:
      gallery collection delete 3 --yes --home ./gallery-data
    """
    from gallery_builder.db.collections import delete_collection

    if not yes:
        raise click.UsageError("deleting a collection needs --yes (its photos stay in the library)")
    _write(home, collection, lambda db, item: delete_collection(db, item.id, "cli"))


@collection_command.command("add")
@collection_argument
@click.argument("targets", nargs=-1)
@search_option
@limit_option
@home_option
def add_command(collection: str, targets: tuple[str, ...], query: str | None, limit: int, home: str) -> None:
    """Add photos at the end of a collection, in the order given (photos already in it stay put).

    \b
    Examples:
      gallery collection add 3 12 15 photos/2023/2023-05-14/DSC06241.JPG --home ./gallery-data
      gallery collection add "Lisbon 2023" --search "tram" --limit 50 --home ./gallery-data
    """
    from gallery_builder.db.collections import add_photos

    _write_photos(home, collection, targets, query, limit, lambda db, item, ids: add_photos(db, item.id, ids, "cli"))


@collection_command.command("remove")
@collection_argument
@click.argument("targets", nargs=-1)
@search_option
@limit_option
@home_option
def remove_command(collection: str, targets: tuple[str, ...], query: str | None, limit: int, home: str) -> None:
    """Take photos out of a collection (they stay in the library).

    \b
    Example:
      gallery collection remove 3 15 2023/2023-05-14/DSC06241.JPG --home ./gallery-data
    """
    from gallery_builder.db.collections import remove_photos

    _write_photos(home, collection, targets, query, limit,
                  lambda db, item, ids: remove_photos(db, item.id, ids, "cli"))


@collection_command.command("cover")
@collection_argument
@click.argument("photo", required=False)
@home_option
def cover_command(collection: str, photo: str | None, home: str) -> None:
    """Make PHOTO (one of the collection's photos) its cover; with no PHOTO, the first photo again.

    \b
    Examples:
      gallery collection cover 3 15 --home ./gallery-data
      gallery collection cover 3 --home ./gallery-data
    """
    from gallery_builder.db.collections import set_cover

    _write_photos(home, collection, (photo,) if photo else (), None, 1,
                  lambda db, item, ids: set_cover(db, item.id, ids[0] if ids else None, "cli"), allow_none=True)


@collection_command.command("move")
@collection_argument
@click.argument("photos", nargs=-1, required=True)
@click.option("--before", "before", default=None, metavar="PHOTO",
              help="Put them just before this photo of the collection (default: at the end).")
@home_option
def move_command(collection: str, photos: tuple[str, ...], before: str | None, home: str) -> None:
    """Move photos of a collection, in the order given, before another of its photos or to the end.

    \b
    Examples:
      gallery collection move 3 15 --before 12 --home ./gallery-data
      gallery collection move 3 20 21 22 --home ./gallery-data
    """
    from gallery_builder.db.collections import move_photos

    def move(db: Any, item: Any, ids: list[int]) -> Any:
        anchor = ids[-1] if before else None
        return move_photos(db, item.id, ids[:-1] if before else ids, anchor, "cli")

    _write_photos(home, collection, (*photos, *((before,) if before else ())), None, 1, move)


class _index:
    """`with _index(home) as (settings, db):` an open index, closed afterwards."""

    def __init__(self, home: str) -> None:
        self.home = home

    def __enter__(self) -> tuple[Any, Any]:
        self.settings, self.db = open_index(self.home)
        return self.settings, self.db

    def __exit__(self, *_: object) -> None:
        self.db.close()


def _find(db: Any, key: str) -> Any:
    from gallery_builder.db.collections import UnknownCollection, find_collection

    try:
        return find_collection(db, key)
    except UnknownCollection as error:
        _fail(f"{error}; `gallery collection list` shows them")


def _write_photos(home: str, collection: str, targets: tuple[str, ...], query: str | None, limit: int,
                  write: Callable[[Any, Any, list[int]], Any], allow_none: bool = False) -> None:
    if not targets and not query and not allow_none:
        raise click.UsageError("give photo ids, paths or --search QUERY")

    def resolved(db: Any, item: Any) -> Any:
        ids, unknown = resolve_targets(db, targets)
        if unknown:
            _fail("unknown target(s), nothing written:\n" + "\n".join(f"  {entry}" for entry in unknown))
        if query:
            ids += search_ids(home, query, limit)
            if not ids:
                click.echo(f"the search {query!r} found no photo: nothing to do")
                sys.exit(0)
        return write(db, item, ids)

    _write(home, collection, resolved)


def _write(home: str, collection: str | None, write: Callable[[Any, Any], Any]) -> None:
    from gallery_builder.db.collections import CollectionRefused, UnknownCollection, get_collection
    from gallery_builder.db.decisions import UnknownPhotos
    from search_api.republish import watcher_is_running

    with _index(home) as (settings, db):
        item = _find(db, collection) if collection is not None else None
        try:
            result = write(db, item)
        except (UnknownPhotos, UnknownCollection, CollectionRefused) as error:
            _fail(f"{error}; nothing written")
        if result.created or result.changes:
            for line in result.changes:
                click.echo(line)
        else:
            click.echo("nothing to change: already so")
        still = [entry for entry in [_safe(get_collection, db, result.collection_id)] if entry is not None]
        for entry in still:
            click.echo(f"collection {entry.id}: {entry.name} ({entry.photo_count} photo(s)); "
                       f"collections version {result.version}")
        if result.changes and not watcher_is_running(settings.home):
            click.echo(f"note: no `gallery watch` is running: `gallery export --home {home}` and "
                       f"`gallery build --home {home}` republish the site")


def _safe(question: Callable[..., Any], *args: Any) -> Any:
    from gallery_builder.db.collections import UnknownCollection

    try:
        return question(*args)
    except UnknownCollection:  # it was just deleted
        return None


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def register(group: click.Group) -> None:
    group.add_command(collection_command)
