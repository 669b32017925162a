"""`gallery people`: people from the terminal: list, add (by name, reference photos or references.yml),
rename, merge, hide, unhide, split, export, import. One of the two doors that write them (the sidecar's
writing routes are the other); each change is one short transaction.
"""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import click

from gallery_builder.cli.options import home_option, open_index

person_argument = click.argument("person", metavar="PERSON")


@click.group("people")
def people_command() -> None:
    """People: names for faces, from reference photos, named clusters and your corrections.

    PERSON is a person's id or name (any case). Faces are found by the `faces` pass (`gallery index
    PATH --faces`); `gallery faces match` links new faces to the nearest person and `gallery faces
    cluster` groups the unknown ones. A running `gallery watch` republishes the site within seconds;
    otherwise run `gallery export` and `gallery build`.

    \b
    Examples:
      gallery people add "Ana" --photo 2019/ana.jpg --photo library/family/ana/ --home ./gallery-data
      gallery people add --config references.yml --home ./gallery-data
      gallery people list --home ./gallery-data
      gallery people merge "Ana" "Ana (phone)" --home ./gallery-data
      gallery people export people.json --home ./gallery-data
    """


@people_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (id, name, hidden, face_count, photo_count).")
@home_option
def list_command(as_json: bool, home: str) -> None:
    """List every person: id, faces, photos, name (hidden ones are marked).

    \b
    Example:
      gallery people list --home ./gallery-data
    """
    from gallery_builder.db.people import list_people

    with _index(home) as (_, db):
        found = list_people(db)
        if as_json:
            click.echo(json.dumps([person.to_json() for person in found], indent=1))
            return
        if not found:
            click.echo("no people yet: `gallery people add NAME --photo PATH` or name a cluster on the site")
        for person in found:
            mark = "  (hidden)" if person.hidden else ""
            click.echo(f"{person.id:>5}  {person.face_count:>6} face(s)  {person.photo_count:>6} photo(s)  "
                       f"{person.name}{mark}")


@people_command.command("add")
@click.argument("name", required=False)
@click.option("--photo", "photos", multiple=True, metavar="PATH",
              help="A reference photo or folder of this person (repeatable): a photo's only face (or, for a "
                   "photo named here, its largest face) becomes theirs.")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False),
              help="references.yml: each person's name, then their reference photos or folders.")
@home_option
def add_command(name: str | None, photos: tuple[str, ...], config: str | None, home: str) -> None:
    """Add a person (or several from references.yml) with reference photos, then match faces to them.

    A PATH is relative to a root (optionally after the root's label) or absolute. references.yml maps
    each name to a path or a list of paths:

    \b
      Ana:
        - 2019/ana.jpg
        - library/family/ana/
      Bo: 2020/bo-portrait.jpg

    \b
    Examples:
      gallery people add "Ana" --photo 2019/ana.jpg --home ./gallery-data
      gallery people add --config references.yml --home ./gallery-data
    """
    wanted = _references(name, photos, config)
    from gallery_builder.analysis.faces_run import match_people
    from gallery_builder.core.records import RunContext
    from gallery_builder.db.face_facts import photo_ids_under
    from gallery_builder.db.people import add_references, create_person, link_references

    with _index(home) as (settings, db):
        for person_name, paths in wanted.items():
            made = _checked(lambda: create_person(db, person_name, "cli"))
            found = photo_ids_under(db, paths)
            for path, ids in found.items():
                if not ids:
                    click.echo(f"warning: {path}: no indexed photo there", err=True)
            add_references(db, made.person_id, paths)
            explicit = [ids[0] for ids in found.values() if len(ids) == 1]
            linked = link_references(db, made.person_id, [i for ids in found.values() for i in ids], explicit, "cli")
            click.echo(f"{'created' if made.created else 'kept'} {person_name!r} (id {made.person_id}): "
                       f"{len(linked.face_ids)} reference face(s) linked")
        report = match_people(db, RunContext(settings))
        click.echo(f"matching: {report.summary()}")
        _republish_note(settings, home, True)


def _references(name: str | None, photos: tuple[str, ...], config: str | None) -> dict[str, list[str]]:
    if config and (name or photos):
        raise click.UsageError("give NAME with --photo, or --config FILE, not both")
    if not config:
        if not name:
            raise click.UsageError("give a NAME (with --photo PATH for reference photos) or --config FILE")
        return {name: list(photos)}
    import yaml

    try:
        data = yaml.safe_load(open(config, encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise click.ClickException(f"{config}: {error}") from error
    if not isinstance(data, dict):
        raise click.ClickException(f"{config}: expected a mapping of person names to paths")
    wanted = {}
    for person, paths in data.items():
        paths = [paths] if isinstance(paths, str) else paths
        if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
            raise click.ClickException(f"{config}: {person!r} must have a path or a list of paths")
        wanted[str(person)] = paths
    return wanted


@people_command.command("rename")
@person_argument
@click.argument("name")
@home_option
def rename_command(person: str, name: str, home: str) -> None:
    """Rename a person (their id, and so their page address, stays); a taken name: merge instead.

    \b
    Example:
      gallery people rename "Ana" "Ana Lima" --home ./gallery-data
    """
    from gallery_builder.db.people import rename_person

    _write(home, lambda db: rename_person(db, _find(db, person).id, name, "cli"))


@people_command.command("merge")
@click.argument("into", metavar="INTO")
@click.argument("others", metavar="PERSON...", nargs=-1, required=True)
@home_option
def merge_command(into: str, others: tuple[str, ...], home: str) -> None:
    """Merge people into INTO: their faces, references and "not this person" move, they are deleted.

    \b
    Example:
      gallery people merge "Ana" "Ana (phone)" "ana 2" --home ./gallery-data
    """
    from gallery_builder.db.people import merge_people

    _write(home, lambda db: merge_people(db, _find(db, into).id, [_find(db, other).id for other in others], "cli"))


@people_command.command("hide")
@person_argument
@home_option
def hide_command(person: str, home: str) -> None:
    """Hide a person from the people pages (their faces stay theirs; `unhide` shows them again).

    \b
    Example:
      gallery people hide "Mall Santa" --home ./gallery-data
    """
    from gallery_builder.db.people import set_hidden

    _write(home, lambda db: set_hidden(db, _find(db, person).id, True, "cli"))


@people_command.command("unhide")
@person_argument
@home_option
def unhide_command(person: str, home: str) -> None:
    """Show a hidden person again.

    \b
    Example:
      gallery people unhide "Mall Santa" --home ./gallery-data
    """
    from gallery_builder.db.people import set_hidden

    _write(home, lambda db: set_hidden(db, _find(db, person).id, False, "cli"))


@people_command.command("split")
@person_argument
@click.argument("faces", metavar="FACE_ID...", nargs=-1, required=True, type=int)
@click.option("--to", "to_name", metavar="NAME", help="Move the faces to this person (created when new); "
              "without it they leave PERSON and are remembered as not this person.")
@home_option
def split_command(person: str, faces: tuple[int, ...], to_name: str | None, home: str) -> None:
    """Move chosen faces out of a person (face ids are on the photo pages and in faces.parquet).

    \b
    Examples:
      gallery people split "Ana" 812 907 --to "Bia" --home ./gallery-data
      gallery people split "Ana" 455 --home ./gallery-data
    """
    from gallery_builder.db.people import split_person

    _write(home, lambda db: split_person(db, _find(db, person).id, list(faces), to_name, "cli"))


@people_command.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True), default="-")
@home_option
def export_command(file: str, home: str) -> None:
    """Write every face decision as JSON (default: to standard output), keyed by photo and face box so
    `gallery people import` restores it into a rebuilt database.

    \b
    Example:
      gallery people export people.json --home ./gallery-data
    """
    from gallery_builder.db.people_exchange import export_assignments

    with _index(home) as (_, db):
        text = json.dumps(export_assignments(db), indent=1, ensure_ascii=False)
    if file == "-":
        click.echo(text)
        return
    with open(file, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    click.echo(f"wrote {file}")


@people_command.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@home_option
def import_command(file: str, home: str) -> None:
    """Restore an export: people by name, face links, "not this person", ignored and shown clusters.
    Faces are found by their photo's content (or path) and box; run it after the `faces` pass.

    \b
    Example:
      gallery people import people.json --home ./gallery-data
    """
    from gallery_builder.db.people_exchange import import_assignments

    try:
        data = json.load(sys.stdin if file == "-" else open(file, encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise click.ClickException(f"{file}: not JSON ({error})") from error
    with _index(home) as (settings, db):
        try:
            counts = import_assignments(db, data, "cli")
        except ValueError as error:
            raise click.ClickException(f"{file}: {error}") from error
        click.echo(", ".join(f"{value} {key}" for key, value in counts.items()))
        _republish_note(settings, home, True)


@contextmanager
def _index(home: str) -> Iterator[tuple[Any, Any]]:
    settings, db = open_index(home)
    try:
        yield settings, db
    finally:
        db.close()


def _find(db: Any, key: str) -> Any:
    from gallery_builder.db.people import UnknownPerson, find_person

    try:
        return find_person(db, key)
    except UnknownPerson as error:
        _fail(f"{error}; `gallery people list` shows them")


def _checked(write: Callable[[], Any]) -> Any:
    from gallery_builder.db.people import PeopleRefused, UnknownCluster, UnknownFaces, UnknownPerson

    try:
        return write()
    except (PeopleRefused, UnknownPerson, UnknownFaces, UnknownCluster) as error:
        _fail(f"{error}; nothing written")


def _write(home: str, write: Callable[[Any], Any]) -> None:
    """Run one write and print what it changed."""
    with _index(home) as (settings, db):
        result = _checked(lambda: write(db))
        for line in result.changes:
            click.echo(line)
        if not result.changes:
            click.echo("nothing to change: already so")
        _republish_note(settings, home, bool(result.changes))


def _republish_note(settings: Any, home: str, changed: bool) -> None:
    from search_api.republish import watcher_is_running

    if changed and not watcher_is_running(settings.home):
        click.echo(f"note: no `gallery watch` is running: `gallery export --home {home}` and "
                   f"`gallery build --home {home}` republish the site")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def register(group: click.Group) -> None:
    group.add_command(people_command)
