"""`gallery serve`: the search sidecar (and, for a machine without nginx, the site).

Everything beyond click is imported inside the commands: the sidecar process must never load
torch, open_clip, insightface, Pillow, jinja2 or pyarrow.
"""
from __future__ import annotations

import json
from typing import Any

import click

from gallery_builder.cli.options import clip_model_option, hemisphere_option, home_option, search_settings

@click.command("serve")
@home_option
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1; settings: sidecar_host, env GALLERY_HOST).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default 8765; settings: sidecar_port, env GALLERY_PORT; 0 picks a free one).")
@click.option("--with-site", is_flag=True,
              help="Also serve <home>/site at /, thumbnails at /thumbs/, originals read-only at "
                   "/originals/<root label>/ and progress.json (for a machine without nginx).")
@clip_model_option
@hemisphere_option
def serve_command(home: str, host: str | None, port: int | None, with_site: bool, clip_model: str | None,
                  hemisphere: str) -> None:
    """Run the search sidecar: /api/search, /api/similar/ID and /api/health over HTTP.

    Bound to 127.0.0.1 unless --host says otherwise. It reads gallery.db read-only while the
    indexer writes, notices new vectors, and keeps its query cache in <home>/search-cache.db.
    Without a CLIP model it still answers date, place, camera and file-name searches.

    \b
    Examples:
      gallery serve --home ./gallery-data
      gallery serve --home ./gallery-data --with-site --port 8080
    """
    from search_api.server import PortInUse, serve

    settings = search_settings(home, clip_model, hemisphere)
    try:
        serve(settings, host or settings.sidecar_host,
              settings.sidecar_port if port is None else port, with_site=with_site,
              hemisphere=settings.hemisphere, announce=lambda line: click.echo(line))
    except PortInUse as error:
        raise click.ClickException(f"{error} (is another `gallery serve` running? try --port)") from error


def register(group: click.Group) -> None:
    group.add_command(serve_command)
