"""`gallery sample-library`: write the generated demo library the README's main command uses."""
from __future__ import annotations

from pathlib import Path

import click


@click.command("sample-library")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--count", type=int, default=40, show_default=True, help="Photos to write (at least 12).")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed (same seed, same files).")
def sample_library_command(out: Path, count: int, seed: int) -> None:
    """Write a small sample photo library: real EXIF dates, cameras, GPS in six cities, a 5-frame
    burst, an exact duplicate, plus a numbered copy and a macOS ._ file that indexing must skip.

    \b
    Example:
      gallery sample-library ./sample-photos --count 40
      gallery index ./sample-photos --home ./gallery-data
    """
    from gallery_builder.demo.sample_library import write_sample_library

    try:
        truth = write_sample_library(out, count=count, seed=seed)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"wrote {len(truth['photos']) + 1} photos (+2 files to skip) to {out}")


def register(group: click.Group) -> None:
    group.add_command(sample_library_command)
