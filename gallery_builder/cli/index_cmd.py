"""`gallery index`: scan photo folders, run passes, export Parquet. Pass flags come from the registry."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import click

from gallery_builder.cli.options import (clip_model_option, describe_model_option, home_option,
                                         quality_model_option, settings_and_roots)
from gallery_builder.passes import default_pass_names, registry


def _pass_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --NAME/--no-NAME and --force-NAME for every registered pass (no per-pass code)."""
    for name, the_pass in reversed(list(registry().items())):
        flag = name.replace("_", "-")
        command = click.option(f"--force-{flag}", f"force_{name}", is_flag=True, default=False,
                               help=f"Re-run {name} on every photo in scope, even if up to date.")(command)
        command = click.option(f"--{flag}/--no-{flag}", f"pass_{name}", default=None,
                               help=f"{the_pass.description}"
                                    f"{' (default pass)' if the_pass.default else ''}.")(command)
    return command


def chosen_passes(defaults: list[str], flags: dict[str, Any]) -> tuple[list[str], frozenset[str]]:
    """Defaults from settings, plus passes switched on, minus passes switched off; forced ones run."""
    names = list(defaults)
    force = {name for name in registry() if flags.get(f"force_{name}")}
    for name in registry():
        wanted = flags.get(f"pass_{name}")
        if (wanted or name in force) and name not in names:
            names.append(name)
        elif wanted is False and name in names:
            names.remove(name)
    unknown = [name for name in names if name not in registry()]
    if unknown:
        raise click.UsageError(f"unknown pass(es) in settings: {', '.join(unknown)}; known: {', '.join(registry())}")
    return names, frozenset(force)


@click.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@home_option
@click.option("--workers", type=int, default=None, help="Processes for CPU-bound passes (default: all cores).")
@click.option("--batch-size", type=int, default=None, help="Photos per batch/transaction (default 32).")
@click.option("--accept-empty", is_flag=True, help="Allow a root that is now empty to mark all its photos missing.")
@click.option("--export/--no-export", default=True, show_default=True, help="Write Parquet at the end.")
@click.option("--progress/--no-progress", "show_bar", default=None,
              help="Show progress bars (default: when stderr is a terminal).")
@click.option("--collection", "collection", default=None, metavar="ID",
              help="Only the photos of this collection (id or name): no scan, just the passes (with "
                   "--force-NAME to re-run one) and the export.")
@click.option("--expand-stacks", is_flag=True,
              help="With --collection: also the other photos of the stacks its photos are in.")
@click.option("--cluster", "cluster", default=None, metavar="ADDRESS",
              help="Send the heavy passes (clip) to Dask workers: tcp://HOST:8786 (`gallery scheduler`), or "
                   "`local` for a LocalCluster here; saving stays here. Env: GALLERY_CLUSTER.")
@clip_model_option
@describe_model_option
@quality_model_option
@_pass_flags
def index_command(paths: tuple[Path, ...], home: str, workers: int | None, batch_size: int | None,
                  accept_empty: bool, export: bool, show_bar: bool | None, collection: str | None,
                  expand_stacks: bool, cluster: str | None, clip_model: str | None, describe_model: str | None,
                  quality_model: str | None, **flags: Any) -> None:
    """Index photo folders into <home>/gallery.db, make thumbnails, export Parquet.

    Each PATH becomes a root (remembered in <home>/gallery.toml with a short label); with no PATH,
    every root already known is scanned again. New, changed, moved and missing files are detected;
    only photos that need a pass get it. Safe to interrupt: run it again to resume.

    \b
    Examples:
      gallery index /volume1/photo --home /data
      gallery index ~/Pictures --home ./gallery-data --no-geocode
      gallery index --home ./gallery-data --force-thumbs
      gallery index ~/Pictures --home ./gallery-data --clip --clip-model ViT-B-16__laion400m-e32
      gallery index --home ./gallery-data --describe --tags --describe-model moondream
      gallery index --home ./gallery-data --faces
      gallery index --home ./gallery-data --clip --quality --concepts --describe --critique --verify
      gallery index --home ./gallery-data --collection "Lisbon 2023" --expand-stacks --force-thumbs
      gallery index --home /data --clip --cluster tcp://192.168.1.10:8786
    """
    from gallery_builder.core.disk_space import DiskFull
    from gallery_builder.indexing.run import index_roots

    if expand_stacks and collection is None:
        raise click.UsageError("--expand-stacks goes with --collection ID")
    if collection is not None and paths:
        raise click.UsageError("--collection indexes the photos of a collection: give no PATH with it")
    settings, roots = settings_and_roots(
        home, {"workers": workers, "batch_size": batch_size, "clip_model": clip_model,
               "describe_model": describe_model, "quality_model": quality_model, "cluster": cluster},
              paths, "index")
    names, force = chosen_passes(default_pass_names(settings.default_passes), flags)
    photo_ids = _collection_photo_ids(home, collection, expand_stacks) if collection is not None else None
    where = (f"{len(photo_ids)} photo(s) of collection {collection}" if photo_ids is not None
             else ", ".join(f"{root.label}={root.path}" for root in roots))
    click.echo(f"indexing {where} into {settings.home} (passes: {', '.join(names) or 'none'})")
    try:
        report = index_roots(settings, roots, names, force, accept_empty=accept_empty, export=export,
                             show_bar=show_bar, log=click.echo, photo_ids=photo_ids)
    except DiskFull as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted: finished batches are saved; run the same command to resume", err=True)
        sys.exit(130)
    if report.exported:
        click.echo(f"exported {report.exported.get('photos.parquet', 0)} photos to {settings.parquet_dir}")
    if report.refused:
        for message in report.refused:
            click.echo(f"error: {message}", err=True)
        sys.exit(2)


def _collection_photo_ids(home: str, key: str, expand_stacks: bool) -> list[int]:
    """The photos a collection-scoped run covers; a clear error for an unknown collection."""
    from gallery_builder.cli.options import open_index
    from gallery_builder.db.collections import UnknownCollection, find_collection, photo_ids_to_index

    _, db = open_index(home)
    try:
        return photo_ids_to_index(db, find_collection(db, key).id, expand_stacks)
    except UnknownCollection as error:
        raise click.UsageError(f"{error}; `gallery collection list` shows them") from None
    finally:
        db.close()


def register(group: click.Group) -> None:
    group.add_command(index_command)
