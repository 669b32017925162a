"""`gallery faces`: match faces to people, cluster the unknown ones, list clusters, name, ignore and
restore a cluster, and assign, clear or reject single faces. Each change is one short transaction.
"""
from __future__ import annotations

import click

from gallery_builder.cli.options import home_option
from gallery_builder.cli.people_cmd import _find, _index, _republish_note, _write

faces_argument = click.argument("faces", metavar="FACE_ID...", nargs=-1, required=True, type=int)
cluster_argument = click.argument("cluster", metavar="CLUSTER", type=int)


@click.group("faces")
def faces_command() -> None:
    """Faces found by the `faces` pass: link them to people and group the unknown ones.

    FACE_IDs are shown on the photo pages and in faces.parquet; CLUSTER is an unknown cluster's id
    (`gallery faces clusters`). The index's analysis stage matches and clusters new faces by itself;
    these commands redo it on demand or correct single faces.

    \b
    Examples:
      gallery faces match --temporal --home ./gallery-data
      gallery faces cluster --home ./gallery-data
      gallery faces clusters --home ./gallery-data
      gallery faces name 12 "Grandma" --home ./gallery-data
      gallery faces reject 812 --person "Grandma" --home ./gallery-data
    """


@faces_command.command("match")
@click.option("--temporal", is_flag=True, help="Also link, at the backend's looser distance, faces in photos "
              "taken within face_session_minutes of a photo the person is in.")
@click.option("--collection", "collection", metavar="ID", help="Only faces in this collection's photos (id or name).")
@click.option("--dry-run", is_flag=True, help="Say what would be linked; write nothing.")
@home_option
def match_command(temporal: bool, collection: str | None, dry_run: bool, home: str) -> None:
    """Link every unlinked face to the nearest person within the backend's distance (never a person it
    was rejected from; never two faces of one photo to one person).

    \b
    Examples:
      gallery faces match --home ./gallery-data
      gallery faces match --temporal --collection "Lisbon 2023" --home ./gallery-data
    """
    from gallery_builder.analysis.faces_run import match_people
    from gallery_builder.core.records import RunContext

    with _index(home) as (settings, db):
        photo_ids = None
        if collection is not None:
            from gallery_builder.db.collections import UnknownCollection, find_collection, photo_ids_to_index

            try:
                photo_ids = photo_ids_to_index(db, find_collection(db, collection).id)
            except UnknownCollection as error:
                raise click.ClickException(f"{error}; `gallery collection list` shows them") from error
        report = match_people(db, RunContext(settings), temporal=temporal, photo_ids=photo_ids, dry_run=dry_run)
        click.echo(("would link: " if dry_run else "") + report.summary())
        _republish_note(settings, home, bool(report.matched) and not dry_run)


@faces_command.command("cluster")
@click.option("--incremental", is_flag=True, help="Only add unclustered faces to the clusters (what the index "
              "does); default: re-cluster every face, keeping the ids of shown and ignored clusters.")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@home_option
def cluster_command(incremental: bool, dry_run: bool, home: str) -> None:
    """Group faces into clusters: a face with at least face_min_faces faces (itself included) within the
    backend's distance is a core; cores close together form a cluster; other faces join their nearest
    core; the rest stay "other faces". Shown and ignored clusters keep their ids and their faces.
    Exits 0 whether or not clusters form.

    \b
    Examples:
      gallery faces cluster --home ./gallery-data
      gallery faces cluster --dry-run --home ./gallery-data
    """
    from gallery_builder.analysis.faces_run import cluster_people
    from gallery_builder.core.records import RunContext
    from gallery_builder.db.face_facts import faces_present

    with _index(home) as (settings, db):
        if not faces_present(db):
            click.echo("no faces yet: run `gallery index PATH --faces` first; nothing to cluster")
            return
        from tqdm import tqdm

        from gallery_builder.analysis.faces_run import CLUSTER_STAGES
        from gallery_builder.db.face_facts import face_backends

        stages = len(CLUSTER_STAGES) * len(face_backends(db))
        with tqdm(total=stages, desc="cluster", unit="stage", leave=False) as bar:
            def step(stage: str) -> None:
                bar.set_postfix_str(stage)
                bar.update(1)

            report = cluster_people(db, RunContext(settings), full=not incremental, dry_run=dry_run, step=step)
        click.echo(f"{report.clusters} cluster(s)" + (f"; {report.summary()}" if report.counts else ""))
        _republish_note(settings, home, bool(report.counts) and not dry_run)


@faces_command.command("clusters")
@click.option("--ignored", is_flag=True, help="List ignored clusters too.")
@click.option("--limit", default=30, show_default=True, help="How many (largest first).")
@home_option
def clusters_command(ignored: bool, limit: int, home: str) -> None:
    """List unknown clusters, largest first (listing one marks it shown: its id then never changes).

    \b
    Example:
      gallery faces clusters --limit 10 --home ./gallery-data
    """
    from gallery_builder.db.people import list_clusters, mark_clusters_shown

    with _index(home) as (_, db):
        found = list_clusters(db, include_ignored=ignored)[:limit]
        if not found:
            click.echo("no clusters: `gallery faces cluster` forms them")
        for cluster in found:
            flags = " (ignored)" if cluster.ignored else ""
            click.echo(f"{cluster.id:>6}  {cluster.face_count:>5} face(s)  {cluster.named:>5} named{flags}")
        mark_clusters_shown(db, [cluster.id for cluster in found])


@faces_command.command("name")
@cluster_argument
@click.argument("name")
@home_option
def name_command(cluster: int, name: str, home: str) -> None:
    """Name an unknown cluster: its faces become that person (created when new).

    \b
    Example:
      gallery faces name 12 "Grandma" --home ./gallery-data
    """
    from gallery_builder.db.people import name_cluster

    _write(home, lambda db: name_cluster(db, cluster, name, "cli"))


@faces_command.command("ignore")
@cluster_argument
@home_option
def ignore_command(cluster: int, home: str) -> None:
    """Ignore a cluster (strangers in the background): it leaves "Who is this?", for good.

    \b
    Example:
      gallery faces ignore 31 --home ./gallery-data
    """
    from gallery_builder.db.people import set_cluster_ignored

    _write(home, lambda db: set_cluster_ignored(db, cluster, True, "cli"))


@faces_command.command("restore")
@cluster_argument
@home_option
def restore_command(cluster: int, home: str) -> None:
    """Restore an ignored cluster.

    \b
    Example:
      gallery faces restore 31 --home ./gallery-data
    """
    from gallery_builder.db.people import set_cluster_ignored

    _write(home, lambda db: set_cluster_ignored(db, cluster, False, "cli"))


@faces_command.command("assign")
@faces_argument
@click.option("--person", "person", required=True, metavar="NAME", help="The person (created when new).")
@home_option
def assign_command(faces: tuple[int, ...], person: str, home: str) -> None:
    """Say who these faces are (your word: matching and clustering never change it).

    \b
    Example:
      gallery faces assign 812 907 --person "Ana" --home ./gallery-data
    """
    from gallery_builder.db.people import assign_faces_to_name

    _write(home, lambda db: assign_faces_to_name(db, list(faces), person, "cli"))


@faces_command.command("clear")
@faces_argument
@home_option
def clear_command(faces: tuple[int, ...], home: str) -> None:
    """Unlink faces from their person and keep them unknown (matching leaves them alone).

    \b
    Example:
      gallery faces clear 812 --home ./gallery-data
    """
    from gallery_builder.db.people import clear_faces

    _write(home, lambda db: clear_faces(db, list(faces), "cli"))


@faces_command.command("reject")
@faces_argument
@click.option("--person", "person", required=True, metavar="PERSON", help="The person these faces are not.")
@home_option
def reject_command(faces: tuple[int, ...], person: str, home: str) -> None:
    """"Not this person": the faces leave PERSON and are never linked to them again.

    \b
    Example:
      gallery faces reject 812 --person "Ana" --home ./gallery-data
    """
    from gallery_builder.db.people import reject_faces

    _write(home, lambda db: reject_faces(db, list(faces), _find(db, person).id, "cli"))


def register(group: click.Group) -> None:
    group.add_command(faces_command)
