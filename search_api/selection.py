"""The sidecar's selection download: GET /api/selection/export?format=csv|json with one of
collection=ID, picks=1, rated=N, or a search (q= and the search's filters), and POST with
{"ids": [...], "format": ...} for a grid's multi-selection. Open like every read; the file streams
in chunks (bounded memory for a selection of any size) as an attachment."""
from __future__ import annotations

import re
from typing import Any, AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from gallery_builder.core.selection_files import FORMATS, MEDIA_TYPES, SelectionWriter
from gallery_builder.db import collections as collection_queries
from gallery_builder.db.review import UnknownShoot, selected_ids
from gallery_builder.db.selection import (CHUNK, SELECTION_FIELDS, collection_selection, picked_photo_ids,
                                          rated_photo_ids, selection_rows)
from search_api.decisions import DecisionDesk
from search_api.json_api import Refused, json_answer, json_body, photo_ids_of
from search_api.params import BadParameter, parse_search

SELECTION_KEYS = ("collection", "picks", "rated", "review", "q")
SEARCH_PAGE = 500
MAX_SEARCH_RESULTS = 10_000


def _format(value: str | None) -> str:
    file_format = (value or "csv").lower()
    if file_format not in FORMATS:
        raise Refused(400, f"format must be csv or json, not {file_format[:20]!r}", parameter="format")
    return file_format


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "selection"


def selection_routes(desk: DecisionDesk) -> list[Route]:
    """The download routes, reading through the decisions' desk (its read-only connection)."""

    async def choose(request: Request) -> tuple[list[int], dict[str, Any], str]:
        params = request.query_params
        given = [key for key in SELECTION_KEYS if key in params]
        if len(given) != 1:
            raise Refused(400, "give one of collection=ID, picks=1, rated=N, review=SHOOT_KEY or q=QUERY",
                          parameter="collection")
        key = given[0]
        if key == "collection":
            raw = params["collection"]
            if not raw.isdigit() or len(raw) > 18:
                raise Refused(400, f"a collection id is a whole number, not {raw[:40]!r}", parameter="collection")

            def read(db: Any) -> tuple[list[int], str]:
                found = collection_queries.get_collection(db, int(raw))
                return collection_selection(db, found.id), found.name
            try:
                ids, name = await run_in_threadpool(desk.read, read)
            except collection_queries.UnknownCollection as error:
                raise Refused(404, str(error), unknown_collection=int(raw)) from None
            return ids, {"collection": name, "collection_id": int(raw)}, f"collection-{_slug(name)}"
        if key == "picks":
            return await run_in_threadpool(desk.read, picked_photo_ids), {"flag": "pick"}, "picks"
        if key == "rated":
            raw = params["rated"]
            if raw not in ("1", "2", "3", "4", "5"):
                raise Refused(400, "rated must be 1 to 5 (at least that many stars)", parameter="rated")
            ids = await run_in_threadpool(desk.read, lambda db: rated_photo_ids(db, int(raw)))
            return ids, {"min_stars": int(raw)}, f"rated-{raw}"
        if key == "review":
            shoot = params["review"]
            if not shoot.startswith(("folder:", "day:")) or len(shoot) > 4096:
                raise Refused(400, "review must be a shoot key from /api/review/shoots", parameter="review")
            try:
                ids = await run_in_threadpool(desk.read, lambda db: selected_ids(db, shoot)[0])
            except UnknownShoot as error:
                raise Refused(404, str(error), unknown_shoot=shoot) from None
            return ids, {"review": shoot}, f"review-{_slug(shoot.split(':')[-1])}"
        search = {name: params.getlist(name) for name in params.keys() if name != "format"}
        return await _search_ids(request, search), {"search": params["q"]}, f"search-{_slug(params['q'])}"

    async def _search_ids(request: Request, search: dict[str, list[str]]) -> list[int]:
        ids: list[int] = []
        offset = 0
        while offset < MAX_SEARCH_RESULTS:
            try:
                parsed = parse_search({**search, "limit": [str(SEARCH_PAGE)], "offset": [str(offset)]})
            except BadParameter as error:
                raise Refused(400, str(error), parameter=error.parameter) from None
            body = await run_in_threadpool(request.app.state.service.search, parsed)
            ids.extend(result["id"] for result in body["results"])
            offset += SEARCH_PAGE
            if len(body["results"]) < SEARCH_PAGE or offset >= body["total"]:
                break
        return ids

    def download(ids: list[int], about: dict[str, Any], name: str, file_format: str) -> Response:
        writer = SelectionWriter(file_format, SELECTION_FIELDS, about)

        async def chunks() -> AsyncIterator[str]:
            yield writer.begin()
            for start in range(0, len(ids), CHUNK):
                part = ids[start:start + CHUNK]
                rows = await run_in_threadpool(desk.read, lambda db, part=part: list(selection_rows(db, part)))
                yield writer.rows(rows)
            yield writer.end()

        headers = {"Content-Disposition": f'attachment; filename="{name}.{file_format}"',
                   "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
        return StreamingResponse(chunks(), media_type=MEDIA_TYPES[file_format], headers=headers)

    async def export_get(request: Request) -> Response:
        try:
            file_format = _format(request.query_params.get("format"))
            ids, about, name = await choose(request)
        except Refused as refused:
            return json_answer({"error": str(refused), **refused.extra}, refused.status)
        return download(ids, about, name, file_format)

    async def export_post(request: Request) -> Response:
        try:
            body = await json_body(request)
            file_format = _format(body.get("format"))
            ids = photo_ids_of(body.get("ids"))
        except Refused as refused:
            return json_answer({"error": str(refused), **refused.extra}, refused.status)
        return download(list(dict.fromkeys(ids)), {"photos": len(ids)}, "selection", file_format)

    return [Route("/api/selection/export", export_get, methods=["GET"]),
            Route("/api/selection/export", export_post, methods=["POST"])]
