"""`gallery search`: the sidecar's search, run in a terminal (same parser, filters and JSON).

Everything beyond click is imported inside the command: it never loads Pillow, pyarrow or torch.
"""
from __future__ import annotations

import json

import click

from gallery_builder.cli.options import clip_model_option, hemisphere_option, home_option, search_settings


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

    settings = search_settings(home, clip_model, hemisphere)
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
    group.add_command(search_command)
