"""The gate in front of the sidecar's writing routes (culling toggles, upload streams).

A writing route answers only when (1) writing is enabled: a password is set (`gallery passwd`)
or a token is configured (`api_token`, env GALLERY_API_TOKEN); (2) the request is same-origin
(its `Origin`, when sent, is the sidecar's own origin, and `Sec-Fetch-Site`, when sent, is
`same-origin` or `none`); and (3) it carries a valid session cookie (a browser that signed in,
see search_api/auth.py) or the token in the `X-Gallery-Token` header or the `gallery_token`
cookie (scripts). The session checker is found on `request.app.state.auth`. Every refusal is
JSON naming the rule.
"""
from __future__ import annotations

import hmac
from typing import Awaitable, Callable, Protocol, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN_HEADER = "X-Gallery-Token"
TOKEN_COOKIE = "gallery_token"
WRITING_OFF = "writing is off: run `gallery passwd --home DIR` on the NAS to set a password, then sign in at /signin"
SCRIPTS_HINT = " (scripts: set api_token in gallery.toml or GALLERY_API_TOKEN)"
Endpoint = Callable[[Request], Awaitable[Response]]


class SessionChecker(Protocol):
    """What the guard asks of the sign-in sessions (search_api.auth.SessionKeeper)."""

    def writing_enabled(self) -> bool: ...

    def is_signed_in(self, request: Request) -> bool: ...

    def how_to_enable(self) -> str: ...


def _refuse(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=403, headers={"Cache-Control": "no-store"})


def request_scheme(request: Request) -> str:
    """http or https as the browser sees it (nginx in front says so in X-Forwarded-Proto)."""
    forwarded = request.headers.get("x-forwarded-proto")
    return forwarded.split(",")[0].strip().lower() if forwarded else request.url.scheme


def _own_origin(request: Request) -> str:
    return f"{request_scheme(request)}://{request.headers.get('host', '')}"


def cross_site_refusal(request: Request) -> JSONResponse | None:
    """The 403 answer for a request another site made the browser send; None when same-origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin != _own_origin(request):
        return _refuse(f"cross-site request refused (Origin {origin!r})")
    if request.headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
        return _refuse("cross-site request refused (Sec-Fetch-Site)")
    return None


def session_checker(request: Request) -> SessionChecker | None:
    return getattr(request.app.state, "auth", None)


def refusal(request: Request, token: str) -> JSONResponse | None:
    """None when the request may write; else the 403 answer saying why not."""
    sessions = session_checker(request)
    password_set = sessions is not None and sessions.writing_enabled()
    if not token and not password_set:
        return _refuse((sessions.how_to_enable() if sessions is not None else WRITING_OFF) + SCRIPTS_HINT)
    cross_site = cross_site_refusal(request)
    if cross_site is not None:
        return cross_site
    if token:
        offered = request.headers.get(TOKEN_HEADER) or request.cookies.get(TOKEN_COOKIE) or ""
        if hmac.compare_digest(offered.encode(), token.encode()):
            return None
    if password_set and sessions.is_signed_in(request):
        return None
    if password_set:
        return _refuse("not signed in: sign in at /signin" + (f" (or send the {TOKEN_HEADER} header)" if token else ""))
    return _refuse(f"missing or wrong token ({TOKEN_HEADER} header or {TOKEN_COOKIE} cookie)")


def writing_route(path: str, endpoint: Endpoint, token: Callable[[], str],
                  methods: Sequence[str] = ("POST",)) -> Route:
    """A route whose endpoint runs only when `refusal` lets the request through."""

    async def guarded(request: Request) -> Response:
        refused = refusal(request, token())
        return refused if refused is not None else await endpoint(request)

    return Route(path, guarded, methods=list(methods))
