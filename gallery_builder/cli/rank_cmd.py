"""`gallery rank status|export|reset|undo-reset|recompute`: the ranking from the terminal. Comparisons
themselves are made in the site (Swiss A/B, Mosaic, Top 50) through the sidecar's writing routes.
"""
from __future__ import annotations

import sys
from typing import Any

import click

from gallery_builder.cli.options import home_option, open_index

scope_option = click.option(
    "--scope", default="all", show_default=True, metavar="SCOPE",
    help="Which photos: all, year:YYYY (capture year), folder:ROOT/PATH (that folder and below), collection:ID, "
         "stack:ID or ids:1,2,3.")


def _scope(text: str) -> Any:
    from gallery_builder.db.ranking import parse_scope

    try:
        return parse_scope(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--scope") from None


@click.group("rank")
def rank_group() -> None:
    """Ratings that emerge from comparing photos (Glicko-2: a rating and a confidence per photo).

    \b
    Examples:
      gallery rank status --scope year:2019 --home ./gallery-data
      gallery rank export --format csv --out top.csv --scope folder:photos/2023 --home ./gallery-data
      gallery rank reset --scope year:2019 --yes --home ./gallery-data
      gallery rank undo-reset --home ./gallery-data
    """


@rank_group.command("status")
@scope_option
@home_option
def status_command(scope: str, home: str) -> None:
    """How much of a scope is ranked, and its current top 10."""
    from gallery_builder.db.ranking import ranking_status, standings

    chosen = _scope(scope)
    _, db = open_index(home)
    try:
        status = ranking_status(db, chosen)
        top = standings(db, chosen, 10)
    finally:
        db.close()
    click.echo(f"scope {status.scope}: {status.photos} photo(s), {status.rated} rated, "
               f"{status.comparisons} comparison(s) counted")
    if status.undone or status.archived:
        click.echo(f"kept but not counted (whole library): {status.undone} undone, {status.archived} archived by resets")
    if not top:
        click.echo("no comparisons yet: compare photos in the site's Swiss A/B or Mosaic pages")
        return
    click.echo("  rank  rating  ±dev  comps  photo")
    for place, row in enumerate(top, 1):
        click.echo(f"  {place:>4}  {row.rating:6.0f}  {row.deviation:4.0f}  {row.comparisons:>5}  "
                   f"{row.photo_id}  {row.label}")


@rank_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write here (default: standard output).")
@scope_option
@home_option
def export_command(fmt: str, out: str | None, scope: str, home: str) -> None:
    """The ranking of a scope, best first: id, path, rating, deviation, confidence, comparisons, wins."""
    from gallery_builder.core.rank_export import export_text
    from gallery_builder.db.ranking import standings

    chosen = _scope(scope)
    _, db = open_index(home)
    try:
        rows = [dict(rank=place, **row.to_json()) for place, row in enumerate(standings(db, chosen), 1)]
    finally:
        db.close()
    text = export_text(chosen.text, rows, fmt)
    if out is None:
        sys.stdout.write(text)
        return
    from pathlib import Path

    from gallery_builder.core.files import write_bytes_atomic

    write_bytes_atomic(Path(out), text.encode("utf-8"))
    click.echo(f"{len(rows)} photo(s) written to {out}", err=True)


@rank_group.command("reset")
@scope_option
@click.option("--yes", is_flag=True, help="Really reset (required).")
@home_option
def reset_command(scope: str, yes: bool, home: str) -> None:
    """Start a scope's ranking afresh: its comparisons are archived (kept), ratings recomputed.

    `gallery rank undo-reset` brings the archived comparisons back.
    """
    from gallery_builder.db.ranking import reset_scope

    chosen = _scope(scope)
    if not yes:
        raise click.UsageError(f"this sets aside every comparison involving a photo of {chosen.text}: add --yes")
    _, db = open_index(home)
    try:
        reset_id, count = reset_scope(db, chosen)
    finally:
        db.close()
    click.echo(f"reset {reset_id}: {count} comparison(s) of {chosen.text} archived; "
               f"`gallery rank undo-reset --home {home}` brings them back")


@rank_group.command("undo-reset")
@click.option("--id", "reset_id", type=int, default=None, help="Which reset (default: the newest not undone).")
@home_option
def undo_reset_command(reset_id: int | None, home: str) -> None:
    """Count again the comparisons a reset archived, and recompute the ratings."""
    from gallery_builder.db.ranking import undo_reset

    _, db = open_index(home)
    try:
        reset = undo_reset(db, reset_id)
    finally:
        db.close()
    if reset is None:
        click.echo("no reset to undo")
        return
    click.echo(f"reset {reset.id} of {reset.scope} undone: {reset.events} comparison(s) count again")


@rank_group.command("recompute")
@home_option
def recompute_command(home: str) -> None:
    """Rebuild every rating from the comparison log (the result equals the recorded ratings)."""
    from gallery_builder.db.ranking import recompute

    _, db = open_index(home)
    try:
        count = recompute(db)
    finally:
        db.close()
    click.echo(f"ratings recomputed from {count} comparison(s)")


def register(group: click.Group) -> None:
    group.add_command(rank_group)
