"""The gate in front of the sidecar's writing routes (culling toggles, upload streams).

A writing route answers only when (1) a token is configured (`api_token`, env GALLERY_API_TOKEN),
(2) the request is same-origin (its `Origin`, when sent, is the sidecar's own origin, and
`Sec-Fetch-Site`, when sent, is `same-origin` or `none`), and (3) it carries that token in the
`X-Gallery-Token` header or the `gallery_token` cookie. Every refusal is JSON naming the rule.
"""
from __future__ import annotations

import hmac
from typing import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN_HEADER = "X-Gallery-Token"
TOKEN_COOKIE = "gallery_token"
Endpoint = Callable[[Request], Awaitable[Response]]


def _refuse(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=403, headers={"Cache-Control": "no-store"})


def _own_origin(request: Request) -> str:
    forwarded = request.headers.get("x-forwarded-proto")
    scheme = forwarded.split(",")[0].strip() if forwarded else request.url.scheme
    return f"{scheme}://{request.headers.get('host', '')}"


def refusal(request: Request, token: str) -> JSONResponse | None:
    """None when the request may write; else the 403 answer saying why not."""
    if not token:
        return _refuse("writing routes are off: set api_token in gallery.toml (or GALLERY_API_TOKEN)")
    origin = request.headers.get("origin")
    if origin is not None and origin != _own_origin(request):
        return _refuse(f"cross-site request refused (Origin {origin!r})")
    if request.headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
        return _refuse("cross-site request refused (Sec-Fetch-Site)")
    offered = request.headers.get(TOKEN_HEADER) or request.cookies.get(TOKEN_COOKIE) or ""
    if not hmac.compare_digest(offered.encode(), token.encode()):
        return _refuse(f"missing or wrong token ({TOKEN_HEADER} header or {TOKEN_COOKIE} cookie)")
    return None


def writing_route(path: str, endpoint: Endpoint, token: Callable[[], str],
                  methods: Sequence[str] = ("POST",)) -> Route:
    """A route whose endpoint runs only when `refusal` lets the request through."""

    async def guarded(request: Request) -> Response:
        refused = refusal(request, token())
        return refused if refused is not None else await endpoint(request)

    return Route(path, guarded, methods=list(methods))
