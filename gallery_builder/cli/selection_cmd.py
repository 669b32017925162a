"""`gallery export-selection`: a collection, the picks, photos rated at least N stars, a search result
or chosen photos as CSV or JSON (path, date, camera, place, flag, stars, collections)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from gallery_builder.cli.flag_cmd import limit_option, resolve_targets, search_ids
from gallery_builder.cli.options import home_option, open_index


@click.command("export-selection")
@click.argument("targets", nargs=-1)
@click.option("--collection", default=None, metavar="ID|NAME", help="The photos of this collection, in its order.")
@click.option("--picks", is_flag=True, help="Every photo flagged pick.")
@click.option("--rated", type=click.IntRange(1, 5), default=None, metavar="N",
              help="Every photo with at least N stars.")
@click.option("--review", "shoot", default=None, metavar="SHOOT",
              help="The photos kept in a shoot review (a folder, a capture day or a key, as for `gallery review`).")
@click.option("--search", "query", default=None, metavar="QUERY",
              help="The top results of this search (the same search as `gallery search`).")
@limit_option
@click.option("--format", "file_format", type=click.Choice(["csv", "json"]), default=None,
              help="csv or json (default: from the --out suffix, else csv).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write this file (atomically) instead of printing to standard output.")
@home_option
def export_selection_command(targets: tuple[str, ...], collection: str | None, picks: bool, rated: int | None,
                             shoot: str | None, query: str | None, limit: int, file_format: str | None,
                             out: Path | None, home: str) -> None:
    """Export a selection of photos as CSV or JSON: one row per photo with its root, path, capture
    date, camera, place, country, flag, stars and the collections it is in.

    Choose one selection: a collection (--collection), the picks (--picks), photos rated at least N
    stars (--rated N), what a shoot review keeps (--review), a search result (--search), or TARGETS
    (photo ids or paths, as for `gallery flag`). A collection keeps its manual order; picks and
    ratings come by capture time; a review in its shoot's order; a search by relevance. The same files download from a collection's page (the sidecar's
    /api/selection/export). Exit status 2 when the selection names something unknown.

    \b
    Examples:
      gallery export-selection --collection "Best of 2023" --out best-2023.csv --home ./gallery-data
      gallery export-selection --picks --format json --home ./gallery-data > picks.json
      gallery export-selection --rated 4 --out four-stars.json --home ./gallery-data
      gallery export-selection --review photos/2023/2023-05-14 --out kept.csv --home ./gallery-data
      gallery export-selection --search "beach 2021" --limit 50 --home ./gallery-data
    """
    from gallery_builder.core.files import temp_path_for
    from gallery_builder.core.selection_files import selection_text
    from gallery_builder.db.collections import UnknownCollection, find_collection
    from gallery_builder.db.selection import (SELECTION_FIELDS, collection_selection, picked_photo_ids,
                                              rated_photo_ids, selection_rows)

    chosen = [name for name, given in (("--collection", collection), ("--picks", picks), ("--rated", rated),
                                       ("--review", shoot), ("--search", query), ("TARGETS", targets)) if given]
    if len(chosen) != 1:
        raise click.UsageError("choose one selection: --collection, --picks, --rated N, --review SHOOT, --search QUERY or "
                               "photo ids/paths" + (f" (not {' and '.join(chosen)})" if chosen else ""))
    file_format = file_format or (out.suffix.lstrip(".").lower() if out and out.suffix.lower() in (".csv", ".json")
                                  else "csv")
    settings, db = open_index(home)
    try:
        if collection:
            try:
                found = find_collection(db, collection)
            except UnknownCollection as error:
                _fail(str(error))
            ids, about = collection_selection(db, found.id), {"collection": found.name, "collection_id": found.id}
        elif picks:
            ids, about = picked_photo_ids(db), {"flag": "pick"}
        elif rated:
            ids, about = rated_photo_ids(db, rated), {"min_stars": rated}
        elif shoot:
            from gallery_builder.cli.review_cmd import shoot_key
            from gallery_builder.db.review import UnknownShoot, selected_ids

            key = shoot_key(db, shoot)
            try:
                ids = selected_ids(db, key)[0]
            except UnknownShoot as error:
                _fail(str(error))
            about = {"review": key}
        elif query:
            ids, about = search_ids(home, query, limit), {"search": query, "limit": limit}
        else:
            ids, unknown = resolve_targets(db, targets)
            if unknown:
                _fail("unknown target(s):\n" + "\n".join(f"  {item}" for item in unknown))
            about = {"photos": len(ids)}
        written = [0]

        def counted():
            for row in selection_rows(db, ids):
                written[0] += 1
                yield row

        rows = counted()
        chunks = selection_text(rows, file_format, SELECTION_FIELDS, about)
        if out is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
            return
        temp = temp_path_for(out)
        try:
            with open(temp, "w", encoding="utf-8", newline="") as stream:
                for chunk in chunks:
                    stream.write(chunk)
            temp.replace(out)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        click.echo(f"wrote {written[0]} photo(s) to {out} ({file_format})", err=True)
    finally:
        db.close()


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def register(group: click.Group) -> None:
    group.add_command(export_selection_command)
