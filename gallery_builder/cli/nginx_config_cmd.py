"""`gallery nginx-config`: the nginx config that serves the site, thumbnails, originals and the sidecar."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from gallery_builder.cli.options import home_option, load_or_explain

_SIDECAR = re.compile(r"^(https?://)?[A-Za-z0-9.\-\[\]:]+$")
_LISTEN = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)?:?\d{1,5}$")


def _originals(values: tuple[str, ...], settings: Any) -> Any:
    from gallery_builder.config import Root

    roots = {root.label: root for root in settings.roots}
    for value in values:
        label, separator, path = value.partition("=")
        if not separator or not label or not path:
            raise click.BadParameter(f"{value!r}: expected LABEL=PATH", param_hint="--original")
        roots[label] = Root(label=label, path=Path(path))
    return settings.with_roots(tuple(roots.values()))


def _listen(listen: str | None, bind: str | None, port: int | None, settings: Any) -> str:
    if listen:
        if not _LISTEN.match(listen):
            raise click.BadParameter(f"{listen!r}: expected PORT or ADDRESS:PORT", param_hint="--listen")
        return listen
    chosen = port if port is not None else int(settings.site_port)
    return f"{bind}:{chosen}" if bind else str(chosen)


@click.command("nginx-config")
@home_option
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port nginx listens on (default: settings site_port, 8080; env GALLERY_SITE_PORT).")
@click.option("--bind", default=None, help="Address to listen on (default: all addresses).")
@click.option("--listen", default=None, help="ADDRESS:PORT in one (overrides --port and --bind).")
@click.option("--sidecar", default=None,
              help="Search sidecar for /api/ as URL or HOST:PORT (default http://<sidecar_host>:<sidecar_port>).")
@click.option("--original", "originals", multiple=True, metavar="LABEL=PATH",
              help="Serve root LABEL's originals from PATH (as nginx sees it, e.g. in a container); repeatable.")
@click.option("--basic-auth", "auth_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Require a password: an htpasswd FILE (`htpasswd -c FILE USER`). Off by default.")
@click.option("--server-only", is_flag=True, help="Write only the server block (for /etc/nginx/conf.d/).")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The published site nginx serves (default <home>/site; as given to `gallery build --out`).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the config to FILE (default: print it). Its folder also holds nginx's pid, logs and temp files.")
def nginx_config_command(home: str, port: int | None, bind: str | None, listen: str | None, sidecar: str | None,
                         originals: tuple[str, ...], auth_file: Path | None, server_only: bool,
                         site_dir: Path | None, out: Path | None) -> None:
    """Render the nginx config that serves the site, thumbnails, originals and the sidecar.

    One /originals/<label>/ per root in gallery.toml (media files only; hidden, system, ignored
    and .nogallery folders are never served), long caching for thumbnails and assets, no-cache
    for pages and JSON, pre-compressed files, and /api/ proxied without buffering.

    \b
    Example:
      gallery nginx-config --home ./gallery-data --port 8080 --out ./gallery-data/nginx/nginx.conf
      nginx -p ./gallery-data/nginx -c ./gallery-data/nginx/nginx.conf
    """
    from gallery_builder.site.nginx import NginxConfigError, render_nginx_config

    settings = _originals(originals, load_or_explain(home))
    if sidecar and not _SIDECAR.match(sidecar):
        raise click.BadParameter(f"{sidecar!r}: expected http://HOST:PORT or HOST:PORT", param_hint="--sidecar")
    if sidecar and not sidecar.startswith(("http://", "https://")):
        sidecar = "http://" + sidecar
    runtime_dir = out.expanduser().absolute().parent if out else None
    try:
        text = render_nginx_config(settings, listen=_listen(listen, bind, port, settings), sidecar=sidecar or "",
                                   site_dir=site_dir, auth_file=auth_file, server_only=server_only,
                                   runtime_dir=runtime_dir)
    except NginxConfigError as error:
        raise click.ClickException(str(error)) from error
    if out is None:
        sys.stdout.write(text)
        return
    out = out.expanduser().absolute()
    for folder in ("temp",) if not server_only else ():
        (out.parent / folder).mkdir(parents=True, exist_ok=True)
    temp = out.with_name(out.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(out)
    click.echo(f"Wrote {out}" + ("" if server_only else f"; start: nginx -p {out.parent} -c {out}"), err=True)


def register(group: click.Group) -> None:
    group.add_command(nginx_config_command)
