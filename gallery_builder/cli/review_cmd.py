"""`gallery review`: shoot review (culling) from the terminal: list the proposed shoots (most recent
first), propose more, show one, toggle photos, and accept a selection as picks or a collection."""
from __future__ import annotations

import re
import sys
from typing import Any

import click

from gallery_builder.cli.options import home_option, open_index

SHOOT_HELP = ("SHOOT is a folder (`photos/2023/2023-05-14`, the root's label first, or a folder path "
              "unique across roots), a capture day (`2023-05-14`), or a key from `gallery review list`.")


@click.group("review")
def review_group() -> None:
    """Shoot review (culling): each shoot (a folder or a capture day) is grouped by time and look,
    and the best photo of each group is proposed (a trusted ranking rating, else stars, else the
    sharpest of the largest thumbnail; badly exposed frames last). Toggle what you keep, then accept
    the selection as picks or as a collection. Index runs propose the most recent folders by
    themselves (setting review_auto_shoots); the review page of the site does the same as these
    commands. Your toggles are never changed by a new proposal.

    \b
    Examples:
      gallery review list --home ./gallery-data
      gallery review propose --recent 30 --home ./gallery-data
      gallery review show photos/2023/2023-05-14 --home ./gallery-data
      gallery review select photos/2023/2023-05-14 123 124 --home ./gallery-data
      gallery review accept photos/2023/2023-05-14 --as picks --home ./gallery-data
    """


@review_group.command("list")
@click.option("--limit", type=click.IntRange(1, 10_000), default=30, show_default=True)
@home_option
def list_command(limit: int, home: str) -> None:
    """Proposed shoots, most recent first: photos, groups, selected, accepted.

    \b
    Example:
      gallery review list --limit 10 --home ./gallery-data
    """
    from gallery_builder.db.review import list_shoots

    _, db = open_index(home)
    try:
        shoots = list_shoots(db, limit)
        if not shoots:
            click.echo("no shoot proposed yet: `gallery review propose --recent 10` proposes the latest")
            return
        for shoot in shoots:
            accepted = f"  accepted {shoot['accepted_at'][:10]}" if shoot["accepted_at"] else ""
            click.echo(f"{(shoot['last_taken'] or '?')[:10]}  {shoot['label']:<40} {shoot['photo_count']:>5} photos"
                       f" {shoot['group_count']:>4} groups {shoot['selected']:>4} selected{accepted}")
    finally:
        db.close()


@review_group.command("propose")
@click.argument("shoots", nargs=-1)
@click.option("--by", "kind", type=click.Choice(["folder", "day"]), default="folder", show_default=True,
              help="What a shoot is for --recent and --all: a folder or a capture day.")
@click.option("--recent", type=click.IntRange(1, 1_000_000), default=None, metavar="N",
              help="The N most recent shoots.")
@click.option("--all", "everything", is_flag=True, help="Every shoot of the library.")
@click.option("--force", is_flag=True, help="Propose again even when nothing changed.")
@home_option
def propose_command(shoots: tuple[str, ...], kind: str, recent: int | None, everything: bool, force: bool,
                    home: str) -> None:
    """Group shoots by time and look and propose the best of each group.

    Give SHOOTS, or --recent N, or --all. Sharpness and exposure are measured once per thumbnail
    (a few ms each) and cached. Exit status 0 whether or not anything changed.

    \b
    Examples:
      gallery review propose --recent 20 --home ./gallery-data
      gallery review propose --by day --all --home ./gallery-data
      gallery review propose photos/2023/2023-05-14 --force --home ./gallery-data
    """
    from tqdm import tqdm

    from gallery_builder.analysis.review_run import propose_shoots
    from gallery_builder.core.records import RunContext
    from gallery_builder.db.review import shoots_of

    if bool(shoots) + bool(recent) + everything != 1:
        raise click.UsageError("give SHOOTS, --recent N or --all")
    settings, db = open_index(home)
    try:
        keys = [shoot_key(db, shoot) for shoot in shoots] if shoots else \
            [key for key, _ in shoots_of(db, kind)[:recent]] if recent else [key for key, _ in shoots_of(db, kind)]
        with tqdm(total=len(keys), unit="shoot", desc="review", disable=len(keys) < 2, file=sys.stderr) as bar:
            report = propose_shoots(db, RunContext(settings), keys, force=force, progress=bar)
        click.echo(report.summary())
    finally:
        db.close()


@review_group.command("show")
@click.argument("shoot")
@home_option
def show_command(shoot: str, home: str) -> None:
    """A shoot's groups: `*` marks the proposed photo, `[x]` what is selected.

    \b
    Example:
      gallery review show 2023-05-14 --home ./gallery-data
    """
    from gallery_builder.db.review import UnknownShoot, shoot_review

    _, db = open_index(home)
    try:
        try:
            review = shoot_review(db, shoot_key(db, shoot))
        except UnknownShoot as error:
            _fail(str(error))
        head = review["shoot"]
        click.echo(f"{head['label']}: {head['photo_count']} photos in {head['group_count']} groups")
        for group in review["groups"]:
            click.echo(f"group {group['group'] + 1}")
            for photo in group["photos"]:
                click.echo(f"  [{'x' if photo['selected'] else ' '}]{'*' if photo['proposed'] else ' '} "
                           f"{photo['id']:>7}  {photo['path']}")
    finally:
        db.close()


def _toggle(shoot: str, ids: tuple[int, ...], home: str, selected: bool) -> None:
    from gallery_builder.db.decisions import UnknownPhotos
    from gallery_builder.db.review import UnknownShoot, set_selection

    _, db = open_index(home)
    try:
        try:
            changed = set_selection(db, shoot_key(db, shoot), list(ids), selected, "cli")
        except UnknownShoot as error:
            _fail(str(error))
        except UnknownPhotos as error:
            _fail(f"{error} in this shoot; nothing written")
        click.echo(f"{'selected' if selected else 'unselected'}: {changed} photo(s) changed")
    finally:
        db.close()


@review_group.command("select")
@click.argument("shoot")
@click.argument("ids", nargs=-1, type=int, required=True)
@home_option
def select_command(shoot: str, ids: tuple[int, ...], home: str) -> None:
    """Keep these photos of a shoot (photo ids from `gallery review show`).

    \b
    Example:
      gallery review select 2023-05-14 123 124 --home ./gallery-data
    """
    _toggle(shoot, ids, home, True)


@review_group.command("unselect")
@click.argument("shoot")
@click.argument("ids", nargs=-1, type=int, required=True)
@home_option
def unselect_command(shoot: str, ids: tuple[int, ...], home: str) -> None:
    """Leave these photos of a shoot out of the selection.

    \b
    Example:
      gallery review unselect 2023-05-14 125 --home ./gallery-data
    """
    _toggle(shoot, ids, home, False)


@review_group.command("accept")
@click.argument("shoot")
@click.option("--as", "target", type=click.Choice(["picks", "collection"]), default="picks", show_default=True,
              help="Flag the selection pick, or add it to a collection.")
@click.option("--collection", "name", default=None, help="With --as collection: its name (made if new).")
@click.option("--reject-others", is_flag=True, help="With --as picks: flag the photos not selected reject.")
@home_option
def accept_command(shoot: str, target: str, name: str | None, reject_others: bool, home: str) -> None:
    """Turn a shoot's selection into picks or a collection (nothing is ever deleted).

    \b
    Examples:
      gallery review accept 2023-05-14 --as picks --reject-others --home ./gallery-data
      gallery review accept photos/2023/2023-05-14 --as collection --collection "Lisbon best" --home ./gallery-data
    """
    from gallery_builder.db.review import UnknownShoot, accept_selection

    if target == "collection" and not name:
        raise click.UsageError("--as collection needs --collection NAME")
    _, db = open_index(home)
    try:
        try:
            result = accept_selection(db, shoot_key(db, shoot), target, name, reject_others, "cli")
        except UnknownShoot as error:
            _fail(str(error))
        click.echo(result)
    finally:
        db.close()


def shoot_key(db: Any, text: str) -> str:
    """A shoot key from what a person types (see SHOOT_HELP); exit 2 when it names no folder."""
    from gallery_builder.db.decisions import root_paths
    from gallery_builder.db.review import day_key, folder_key

    text = text.strip()
    if text.startswith(("folder:", "day:")):
        return text
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return day_key(text)
    roots = root_paths(db)
    label, _, rest = text.strip("/").partition("/")
    if label in roots:
        return folder_key(roots[label][0], rest)
    matches = [root_id for root_id, _ in roots.values() if db.execute(
        "SELECT 1 FROM photos WHERE root_id = ? AND folder = ? LIMIT 1", (root_id, text.strip("/"))).fetchone()]
    if len(matches) == 1:
        return folder_key(matches[0], text.strip("/"))
    _fail(f"no shoot {text!r}: " + ("it is a folder in several roots; put the root's label first"
                                    if matches else SHOOT_HELP))
    raise AssertionError  # unreachable


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def register(group: click.Group) -> None:
    group.add_command(review_group)
