"""Run the sidecar on uvicorn: bind first (so a busy port is a clear error), print the URL, serve."""
from __future__ import annotations

import socket
from typing import Callable

from gallery_builder.config import Settings


class PortInUse(OSError):
    """The address cannot be bound; the message names it."""


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when it is given,
    # and without it every keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise PortInUse(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings, host: str, port: int, *, with_site: bool = False, model_name: str | None = None,
          hemisphere: str = "auto", announce: Callable[[str], None] = print) -> None:
    import uvicorn

    from search_api.app import create_app

    sock = bind(host, port)
    actual_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{actual_port}"
    app = create_app(settings, with_site=with_site, model_name=model_name, hemisphere=hemisphere)
    announce(f"gallery: serving {'the site at ' + base + '/ and ' if with_site else ''}"
             f"the search API at {base}/api/ (health: {base}/api/health); Ctrl-C stops")
    config = uvicorn.Config(app, log_level="warning", server_header=False, access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
