"""HTTP routes of sign-in: GET /signin (a small page, no script), GET /api/session,
POST /api/signin (form or JSON; same-origin, rate-limited) and POST /api/signout."""
from __future__ import annotations

import html
import json
from string import Template
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from gallery_builder.core.passwords import verify_password
from search_api.auth import SessionKeeper, client_address, retry_after
from search_api.write_guard import cross_site_refusal

MAX_BODY = 4096
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
PAGE_HEADERS = {**NO_STORE, "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                           "frame-ancestors 'none'; base-uri 'none'"}
PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Sign in · gallery</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;min-height:100vh;display:flex;align-items:center;
justify-content:center;background:#f3f3f3;color:#222}
main{background:#fff;padding:1.5rem;border-radius:8px;box-shadow:0 1px 4px #0003;width:min(22rem,92vw);
box-sizing:border-box}
h1{font-size:1.3rem;margin:0 0 1rem}
input[type=password]{display:block;width:100%;box-sizing:border-box;font-size:1.1rem;padding:.5rem;margin:.3rem 0 1rem}
button{font-size:1rem;padding:.5rem 1.2rem}
.message{color:#a00;font-weight:600}
code{background:#eee;padding:0 .2em;word-break:break-all}
@media (prefers-color-scheme:dark){body{background:#111;color:#ddd}main{background:#222}code{background:#333}
.message{color:#f88}}
</style></head>
<body><main><h1>Sign in to write</h1>
$message$content
<p><a href="$back">Back to the photos</a></p>
</main></body></html>
""")
FORM = Template("""<form method="post" action="/api/signin">
<input type="hidden" name="next" value="$next">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
<p>Anyone who reaches the site can look; signing in lets this browser flag, star and cull.</p>""")
SIGNED_IN = Template("""<p>This browser is signed in: it may flag, star and cull.</p>
<form method="post" action="/api/signout">
<input type="hidden" name="next" value="$next">
<button type="submit">Sign out</button>
</form>""")


def safe_next(value: str | None) -> str:
    """`value` when it is a path on this site (not `//host`, no scheme, no control characters); else /."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(character < " " or character == "\x7f" for character in value):
        return "/"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc else value


def _keeper(request: Request) -> SessionKeeper:
    return request.app.state.auth


def _page(request: Request, next_path: str, message: str = "", status: int = 200,
          headers: dict[str, str] | None = None) -> HTMLResponse:
    keeper, escaped_next = _keeper(request), html.escape(next_path)
    if not keeper.writing_enabled():
        content = f"<p>{html.escape(keeper.how_to_enable())}</p>"
    elif keeper.is_signed_in(request):
        content = SIGNED_IN.substitute(next=escaped_next)
    else:
        content = FORM.substitute(next=escaped_next)
    body = PAGE.substitute(message=f'<p class="message" role="alert">{html.escape(message)}</p>' if message else "",
                           content=content, back=escaped_next)
    return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


async def _fields(request: Request) -> dict[str, str]:
    """The posted fields (JSON object or urlencoded form); ValueError when too large or malformed."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ValueError("request body too large")
    if _is_json(request):
        data: Any = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return {key: value for key, value in data.items() if isinstance(value, str)}
    return {key: values[0] for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}


def _refused(request: Request, next_path: str, status: int, message: str,
             headers: dict[str, str] | None = None) -> Response:
    if _is_json(request):
        return JSONResponse({"error": message}, status_code=status, headers={**NO_STORE, **(headers or {})})
    return _page(request, next_path, message, status, headers)


async def signin_page(request: Request) -> Response:
    return _page(request, safe_next(request.query_params.get("next")))


async def session_state(request: Request) -> JSONResponse:
    keeper = _keeper(request)
    enabled = keeper.writing_enabled()
    return JSONResponse({"signed_in": enabled and keeper.is_signed_in(request), "writing_enabled": enabled,
                         "how_to_enable": None if enabled else keeper.how_to_enable(), "signin_url": "/signin"},
                        headers=NO_STORE)


async def signin(request: Request) -> Response:
    keeper = _keeper(request)
    refused = cross_site_refusal(request)
    if refused is not None:
        return refused
    next_path = safe_next(request.query_params.get("next"))
    try:
        fields = await _fields(request)
    except (ValueError, UnicodeDecodeError) as error:
        return _refused(request, next_path, 400, f"cannot read the sign-in form: {error}")
    next_path = safe_next(fields.get("next") or next_path)
    credentials = keeper.credentials()
    if credentials is None:
        return _refused(request, next_path, 403, keeper.how_to_enable())
    client = client_address(request)
    wait = keeper.limiter.acquire(client)
    if wait is not None:
        return _refused(request, next_path, 429, f"too many sign-in attempts: try again in {retry_after(wait)} s",
                        {"Retry-After": retry_after(wait)})
    if not await run_in_threadpool(verify_password, credentials, fields.get("password", "")):
        return _refused(request, next_path, 401, "wrong password")
    keeper.limiter.forgive(client)
    response: Response = (JSONResponse({"signed_in": True, "next": next_path}, headers=NO_STORE) if _is_json(request)
                          else RedirectResponse(next_path, status_code=303, headers=NO_STORE))
    keeper.set_cookie(response, request)
    return response


async def signout(request: Request) -> Response:
    refused = cross_site_refusal(request)
    if refused is not None:
        return refused
    try:
        next_path = safe_next((await _fields(request)).get("next") or request.query_params.get("next"))
    except (ValueError, UnicodeDecodeError):
        next_path = "/"
    _keeper(request).end_session(request)
    response: Response = (JSONResponse({"signed_in": False}, headers=NO_STORE) if _is_json(request)
                          else RedirectResponse(next_path, status_code=303, headers=NO_STORE))
    SessionKeeper.clear_cookie(response, request)
    return response


AUTH_ROUTES = [
    Route("/signin", signin_page, methods=["GET", "HEAD"]),
    Route("/api/session", session_state, methods=["GET"]),
    Route("/api/signin", signin, methods=["POST"]),
    Route("/api/signout", signout, methods=["POST"]),
]
