"""HTTP routes of the sidecar: /api/search, /api/similar/{id}, /api/health, sign-in (search_api/signin.py);
JSON errors for the rest."""
from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from search_api.params import BadParameter, parse_search, parse_similar
from search_api.service import NotFound
from search_api.signin import AUTH_ROUTES

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=NO_STORE)


def _params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getlist(key) for key in request.query_params.keys()}


def error_response(error: Exception) -> JSONResponse:
    if isinstance(error, BadParameter):
        return _json({"error": str(error), "parameter": error.parameter}, 400)
    if isinstance(error, NotFound):
        return _json({"error": str(error)}, 404)
    raise error


async def search(request: Request) -> JSONResponse:
    try:
        parsed = parse_search(_params(request))
        return _json(await run_in_threadpool(request.app.state.service.search, parsed))
    except (BadParameter, NotFound) as error:
        return error_response(error)


async def similar(request: Request) -> JSONResponse:
    try:
        photo_id, parsed = parse_similar(request.path_params["photo_id"], _params(request))
        return _json(await run_in_threadpool(request.app.state.service.similar, photo_id, parsed))
    except (BadParameter, NotFound) as error:
        return error_response(error)


async def health(request: Request) -> JSONResponse:
    return _json(await run_in_threadpool(request.app.state.service.health))


async def unknown_api(request: Request) -> JSONResponse:
    return _json({"error": f"no such API route: {request.url.path}; routes: /api/search, /api/similar/{{id}},"
                           f" /api/health"}, 404)


API_ROUTES = [
    Route("/api/search", search, methods=["GET"]),
    Route("/api/similar/{photo_id}", similar, methods=["GET"]),
    Route("/api/health", health, methods=["GET"]),
    *AUTH_ROUTES,
    Route("/api/{rest:path}", unknown_api),
]
