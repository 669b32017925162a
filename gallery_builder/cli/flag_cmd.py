"""`gallery flag` and `gallery rate`: a person's decisions from the terminal (one of the two doors
that write them; the sidecar's writing routes are the other). Targets are ids, paths or a search.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from gallery_builder.cli.options import home_option, open_index, search_settings

targets_argument = click.argument("targets", nargs=-1)
search_option = click.option(
    "--search", "query", default=None, metavar="QUERY",
    help="Also target the top results of this search (the same search as `gallery search`).")
limit_option = click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True,
                            help="How many search results --search targets (a CLIP search ranks every photo).")


@click.command("flag")
@click.argument("flag", type=click.Choice(["pick", "reject", "none"]))
@targets_argument
@search_option
@limit_option
@home_option
def flag_command(flag: str, targets: tuple[str, ...], query: str | None, limit: int, home: str) -> None:
    """Flag photos as pick or reject, or clear their flag (none).

    TARGETS are photo ids, paths relative to a root (`2023/IMG_1.JPG`, or with the root's label
    first: `photos/2023/IMG_1.JPG`) or absolute paths. If any target is unknown, nothing is written
    and the unknown ones are listed (exit status 2). Prints what changed; setting a flag a photo
    already has changes nothing. A running `gallery watch` republishes the site within seconds;
    otherwise run `gallery export` and `gallery build`.

    \b
    Examples:
      gallery flag pick 12 15 2023/2023-05-14/DSC06241.JPG --home ./gallery-data
      gallery flag reject /photos/2021/blurry.jpg --home ./gallery-data
      gallery flag none --search "red car 2023" --limit 5 --home ./gallery-data
    """
    from gallery_builder.db.decisions import set_flag

    value = None if flag == "none" else flag
    _decide(home, targets, query, limit, lambda db, ids: set_flag(db, ids, value, "cli"), f"flag {flag}")


@click.command("rate")
@click.argument("stars", type=click.IntRange(0, 5), metavar="0-5")
@targets_argument
@search_option
@limit_option
@home_option
def rate_command(stars: int, targets: tuple[str, ...], query: str | None, limit: int, home: str) -> None:
    """Give photos 0 to 5 stars (0 clears the rating).

    TARGETS are photo ids, paths relative to a root (optionally after the root's label) or
    absolute paths; unknown targets are listed and nothing is written (exit status 2).

    \b
    Examples:
      gallery rate 5 12 15 --home ./gallery-data
      gallery rate 3 photos/2023/2023-07-20/IMG_1234.JPG --home ./gallery-data
      gallery rate 0 --search "beach 2021" --limit 10 --home ./gallery-data
    """
    from gallery_builder.db.decisions import set_stars

    _decide(home, targets, query, limit, lambda db, ids: set_stars(db, ids, stars, "cli"), f"{stars} star(s)")


def _decide(home: str, targets: tuple[str, ...], query: str | None, limit: int,
            write: Callable[[Any, list[int]], Any], what: str) -> None:
    from gallery_builder.db.decisions import UnknownPhotos, photo_labels
    from search_api.republish import watcher_is_running

    if not targets and not query:
        raise click.UsageError("give photo ids, paths or --search QUERY")
    settings, db = open_index(home)
    try:
        ids, unknown = resolve_targets(db, targets)
        if query:
            ids += search_ids(home, query, limit)
        if unknown:
            _fail("unknown target(s), nothing written:\n" + "\n".join(f"  {item}" for item in unknown))
        if not ids:
            click.echo(f"the search {query!r} found no photo: nothing to do")
            return
        try:
            result = write(db, ids)
        except UnknownPhotos as error:
            _fail(f"{error}; nothing written")
        labels = photo_labels(db, result.changed_ids)
        unchanged = len(set(ids)) - len(result.changes)
        click.echo(f"{what}: {len(result.changes)} photo(s) changed, {unchanged} already so "
                   f"(decisions version {result.version})")
        for change in result.changes:
            before = "none" if change.before is None else change.before
            after = "none" if change.after is None else change.after
            click.echo(f"  {change.photo_id:>6}  {labels.get(change.photo_id, '?')}  {before} -> {after}")
        if result.changes and not watcher_is_running(settings.home):
            click.echo(f"note: no `gallery watch` is running: `gallery export --home {home}` and "
                       f"`gallery build --home {home}` republish the site")
    finally:
        db.close()


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def resolve_targets(db: Any, targets: tuple[str, ...]) -> tuple[list[int], list[str]]:
    """(photo ids, targets that name no photo) for ids, root-relative and absolute paths."""
    from gallery_builder.db.decisions import photo_ids_at, photo_ids_with_path, root_paths, unknown_photo_ids

    roots = root_paths(db)
    ids: list[int] = []
    unknown: list[str] = []
    for target in targets:
        if target.isdigit():
            photo_id = int(target)
            (unknown.append(f"{target} (no photo with this id)") if unknown_photo_ids(db, [photo_id])
             else ids.append(photo_id))
            continue
        found = _by_absolute_path(db, roots, target) if os.path.isabs(target) or os.path.exists(target) else None
        if found is None:
            label, _, rest = target.partition("/")
            if label in roots and rest:
                found = photo_ids_at(db, roots[label][0], [os.fsencode(rest)]).get(os.fsencode(rest))
        if found is None and not os.path.isabs(target):
            matches = photo_ids_with_path(db, os.fsencode(target.strip("/")))
            if len(matches) > 1:
                unknown.append(f"{target} (in several roots: use "
                               f"{' or '.join(f'{label}/{target}' for label, _ in matches)})")
                continue
            found = matches[0][1] if matches else None
        if found is None:
            unknown.append(f"{target} (no photo at this path)")
        else:
            ids.append(found)
    return ids, unknown


def _by_absolute_path(db: Any, roots: dict[str, tuple[int, str]], target: str) -> int | None:
    from gallery_builder.db.decisions import photo_ids_at

    for candidate in dict.fromkeys((os.path.abspath(target), str(Path(target).resolve()))):
        for root_id, root_path in roots.values():
            root = os.path.abspath(root_path)
            if os.path.commonpath([root, candidate]) != root or candidate == root:
                continue
            relative = os.fsencode(os.path.relpath(candidate, root).replace(os.sep, "/"))
            found = photo_ids_at(db, root_id, [relative]).get(relative)
            if found is not None:
                return found
    return None


def search_ids(home: str, query: str, limit: int) -> list[int]:
    """The top `limit` results of the sidecar's own search, run in this process."""
    from search_api.params import BadParameter, parse_search
    from search_api.service import SearchService

    try:
        request = parse_search({"q": [query], "limit": [str(limit)]})
    except BadParameter as error:
        raise click.UsageError(error.message) from error
    settings = search_settings(home, None, None)
    service = SearchService(settings, hemisphere=settings.hemisphere)
    try:
        body = service.search(request)
    finally:
        service.close()
    for note in body["notes"]:
        click.echo(f"note: {note}")
    return [result["id"] for result in body["results"]]


def register(group: click.Group) -> None:
    group.add_command(flag_command)
    group.add_command(rate_command)
