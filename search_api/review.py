"""The sidecar's shoot review routes: GET /api/review/shoots (proposed shoots, most recent first) and
/api/review/shoot?key=... (its groups, proposals and selection, with thumbnail URLs), both open;
POST /api/review/select {"key", "ids", "selected"} and /api/review/accept {"key", "as": "picks" |
"collection", "name", "reject_others"}, writing routes behind write_guard. Proposals are made by the
indexer (`gallery review propose`): the sidecar never decodes a thumbnail."""
from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from gallery_builder.config import Settings
from gallery_builder.core.thumb_layout import SLOT_BY_WIDTH
from gallery_builder.core.urls import thumb_url
from gallery_builder.db import review as queries
from search_api.decisions import DecisionDesk
from search_api.json_api import Refused, json_body, json_endpoint, photo_ids_of, require_table
from search_api.write_guard import writing_route


def _key(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("folder:", "day:")) or len(value) > 4096:
        raise Refused(400, "key must be a shoot key from /api/review/shoots", parameter="key")
    return value


def _with_urls(review: dict[str, Any]) -> dict[str, Any]:
    for group in review["groups"]:
        for photo in group["photos"]:
            widths = sorted(width for width in photo.pop("widths") if width in SLOT_BY_WIDTH)
            key = photo.pop("thumb_key")
            photo["thumb"] = "/" + thumb_url(key, widths[0]) if key and widths else None
            photo["large"] = "/" + thumb_url(key, widths[-1]) if key and widths else None
    return review


def review_routes(settings: Settings, desk: DecisionDesk) -> list[Route]:
    def unknown_shoot(error: Exception) -> tuple[dict[str, Any], int]:
        return {"error": str(error), "unknown_shoot": getattr(error, "key", None)}, 404

    def endpoint(handler: Any) -> Any:
        return json_endpoint(handler, {queries.UnknownShoot: unknown_shoot})

    def _tables(db: Any) -> None:
        require_table(db, "review_shoots", "shoot review")

    async def shoots(request: Request) -> dict[str, Any]:
        raw_limit, raw_offset = request.query_params.get("limit", "50"), request.query_params.get("offset", "0")
        if not raw_limit.isdigit() or not raw_offset.isdigit() or not 1 <= int(raw_limit) <= 500:
            raise Refused(400, "limit is 1 to 500 and offset a whole number", parameter="limit")

        def read(db: Any) -> dict[str, Any]:
            _tables(db)
            return {"shoots": queries.list_shoots(db, int(raw_limit), int(raw_offset))}
        return await run_in_threadpool(desk.read, read)

    async def shoot(request: Request) -> dict[str, Any]:
        key = _key(request.query_params.get("key"))

        def read(db: Any) -> dict[str, Any]:
            _tables(db)
            return _with_urls(queries.shoot_review(db, key))
        return await run_in_threadpool(desk.read, read)

    async def select(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        key, ids, selected = _key(body.get("key")), photo_ids_of(body.get("ids")), body.get("selected")
        if not isinstance(selected, bool):
            raise Refused(400, "selected must be true or false", parameter="selected")

        def write(db: Any) -> tuple[tuple[bool, ...], dict[str, Any]]:
            _tables(db)
            changed = queries.set_selection(db, key, ids, selected, "api")
            return (), {"key": key, "changed": changed}   # a toggle changes no page: nothing to republish
        return await run_in_threadpool(desk.write_answer, write)

    async def accept(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        key, target = _key(body.get("key")), body.get("as")
        if target not in ("picks", "collection"):
            raise Refused(400, "as must be picks or collection", parameter="as")
        name = body.get("name")
        if target == "collection" and (not isinstance(name, str) or not name.strip()):
            raise Refused(400, "a collection needs a name", parameter="name")
        reject_others = body.get("reject_others", False) is True

        def write(db: Any) -> tuple[tuple[bool, ...], dict[str, Any]]:
            _tables(db)
            message = queries.accept_selection(db, key, target, name, reject_others, "api")
            return (True,), {"key": key, "message": message}   # flags or a collection changed
        return await run_in_threadpool(desk.write_answer, write)

    token = lambda: settings.api_token  # noqa: E731 (read on each request)
    return [
        Route("/api/review/shoots", endpoint(shoots), methods=["GET"]),
        Route("/api/review/shoot", endpoint(shoot), methods=["GET"]),
        writing_route("/api/review/select", endpoint(select), token=token),
        writing_route("/api/review/accept", endpoint(accept), token=token),
    ]
