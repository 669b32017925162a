"""`gallery serve` (the search sidecar, optionally with the site) and `gallery search` (the same search, in a terminal).

Everything beyond click is imported inside the commands: the sidecar process must never load
torch, open_clip, insightface, Pillow, jinja2 or pyarrow.
"""
from __future__ import annotations

import json
from typing import Any

import click

from gallery_builder.cli.options import clip_model_option, home_option

hemisphere_option = click.option(
    "--hemisphere", type=click.Choice(["auto", "north", "south"]), default=None,
    help="Which months 'summer', 'winter' etc. mean; auto: from the library's median GPS latitude "
         "(default from settings: hemisphere, env GALLERY_HEMISPHERE).")


def _settings(home: str, clip_model: str | None, hemisphere: str | None) -> Any:
    from gallery_builder.config import SettingsError, load_settings

    try:
        return load_settings(home, {"clip_model": clip_model, "hemisphere": hemisphere})
    except SettingsError as error:
        raise click.ClickException(str(error)) from error


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

    settings = _settings(home, clip_model, hemisphere)
    try:
        serve(settings, host or settings.sidecar_host,
              settings.sidecar_port if port is None else port, with_site=with_site,
              hemisphere=settings.hemisphere, announce=lambda line: click.echo(line))
    except PortInUse as error:
        raise click.ClickException(f"{error} (is another `gallery serve` running? try --port)") from error


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@home_option
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="How many results.")
@click.option("--offset", type=click.IntRange(0, 10_000), default=0, help="Skip this many results (paging).")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON the HTTP API returns.")
@clip_model_option
@hemisphere_option
def search_command(query: tuple[str, ...], home: str, limit: int, offset: int, as_json: bool,
                   clip_model: str | None, hemisphere: str) -> None:
    """Search the library in plain words from the terminal (the sidecar's code, no server).

    Dates ("last summer", "May 2023"), places, cameras, file names (DSC06241) and filters
    (color:red, year:2021) are understood; the rest is matched by CLIP. See docs/search.md.

    \b
    Examples:
      gallery search "red car 2023" --home ./gallery-data
      gallery search grandma in Lisbon last summer --home ./gallery-data --limit 5
      gallery search DSC06241 --home ./gallery-data --json
    """
    from search_api.params import BadParameter, parse_search
    from search_api.service import SearchService

    settings = _settings(home, clip_model, hemisphere)
    try:
        request = parse_search({"q": [" ".join(query)], "limit": [str(limit)], "offset": [str(offset)]})
    except BadParameter as error:
        raise click.UsageError(error.message) from error
    service = SearchService(settings, hemisphere=settings.hemisphere)
    try:
        body = service.search(request)
    finally:
        service.close()
    if as_json:
        click.echo(json.dumps(body, indent=1, ensure_ascii=False))
        return
    _print_results(body)


def _print_results(body: dict[str, Any]) -> None:
    click.echo(f"{body['parsed']['description']} — {body['total']} found ({body['mode']}, {body['took_ms']} ms)")
    for note in body["notes"]:
        click.echo(f"note: {note}")
    if body["model"]["message"] and body["mode"] != "clip":
        click.echo(f"note: {body['model']['message']}")
    for index, result in enumerate(body["results"], start=body["offset"] + 1):
        score = f"{result['score']:.3f}" if result["score"] is not None else "  -  "
        when = (result["taken_at"] or "")[:10] or "no date"
        where = f"  {result['place']}" if result["place"] else ""
        click.echo(f"{index:>4}. {score}  {when:<10}  {result['root']}/{result['path']}{where}")


def register(group: click.Group) -> None:
    group.add_command(serve_command)
    group.add_command(search_command)
