"""`gallery build`: the static site from the Parquet export and the thumbnail store.

Heavy modules (pyarrow, jinja2) are imported inside the command only.
"""
from __future__ import annotations

from pathlib import Path

import click

from gallery_builder.cli.options import home_option, load_or_explain


@click.command("build")
@home_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to publish the site (a symlink to the current generation; generations go "
                   "beside it in OUT-generations/). Default: <home>/site.")
@click.option("--workers", type=int, default=None, help="Processes that render pages (default: all cores).")
@click.option("--full", is_flag=True, help="Render every page again, even unchanged ones.")
def build_command(home: str, out: Path | None, workers: int | None, full: bool) -> None:
    """Build the static site from <home>/parquet/ and the thumbnail store.

    Renders only pages whose inputs changed, writes them into a new generation and swaps it in
    at once (the previous generation is kept). With nothing changed it publishes nothing. It
    never reads the originals or runs a model. Serve the result with nginx (see
    `gallery nginx-config`) or `gallery serve --with-site`.

    \b
    Example:
      gallery build --home ./gallery-data
      gallery build --home ./gallery-data --out /srv/photos --full
    """
    from gallery_builder.core.disk_space import DiskFull, is_disk_full
    from gallery_builder.site.builder import BuildOptions, build_site, generation_bytes
    from gallery_builder.site.generations import PublishError
    from gallery_builder.site.library import LibraryError

    settings = load_or_explain(home, {"workers": workers})
    options = BuildOptions(parquet_dir=settings.parquet_dir, thumbs_dir=settings.thumbs_dir,
                           out=(out or settings.site_dir).expanduser().absolute(),
                           workers=settings.worker_count(), force=full)
    try:
        report = build_site(options)
    except (LibraryError, PublishError) as error:
        raise click.ClickException(str(error)) from error
    except Exception as error:
        if not is_disk_full(error):
            raise
        raise click.ClickException(str(DiskFull(
            options.out.parent, "publishing the site", generation_bytes(options.out),
            "run `gallery build` again (the previous site keeps serving meanwhile)."))) from None
    click.echo(report.summary())
    if report.published:
        click.echo(f"Site: {options.out}")


def register(group: click.Group) -> None:
    group.add_command(build_command)
