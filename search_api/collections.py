"""The sidecar's collection routes: GET /api/collections (?photo=ID: those holding the photo) and
/api/collections/{id} (open, read-only);
POST /api/collections (create), /api/collections/{id}/photos ({"add"|"remove": ids}), /rename,
/delete, /cover and /order (writing routes behind write_guard), through the decisions' desk.

Answers: 400 for a malformed request, 404 naming unknown collections or photos, 409 for a name
another collection has, 413 for too many ids; writes that change nothing answer 200 with no changes.
"""
from __future__ import annotations

from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from gallery_builder.config import Settings
from gallery_builder.db import collections as queries
from search_api.decisions import DecisionDesk
from search_api.json_api import (Refused, json_body, json_endpoint, name_of, one_id_of, path_id, photo_ids_of,
                                 require_table)
from search_api.write_guard import writing_route


def _collection_id(request: Request) -> int:
    return path_id(request, "collection_id", "a collection id")


def _one_photo(value: Any, name: str, *, nullable: bool) -> int | None:
    return one_id_of(value, name, "a photo id", nullable=nullable)


def _require_tables(db: Any) -> None:
    require_table(db, "collections", "collections")


def _written(db: Any, result: queries.CollectionWrite) -> dict[str, Any]:
    try:
        collection = queries.get_collection(db, result.collection_id).to_json()
    except queries.UnknownCollection:  # just deleted
        collection = None
    return {"collection": collection, "id": result.collection_id, "created": result.created,
            "changes": list(result.changes), "changed": list(result.photo_ids), "version": result.version}


def collection_routes(settings: Settings, desk: DecisionDesk) -> list[Route]:
    """The routes, on the desk the decision routes use (one writer, one republisher)."""

    def unknown_collection(error: Exception) -> tuple[dict[str, Any], int]:
        assert isinstance(error, queries.UnknownCollection)
        return {"error": f"{error}; nothing written", "unknown_collection": error.key}, 404

    def refused_change(error: Exception) -> tuple[dict[str, Any], int]:
        assert isinstance(error, queries.CollectionRefused)
        extra = {"photos": error.photo_ids} if error.photo_ids else {}
        return {"error": f"{error}; nothing written", **extra}, 409 if error.conflict else 400

    def endpoint(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        return json_endpoint(handler, {queries.UnknownCollection: unknown_collection,
                                       queries.CollectionRefused: refused_change})

    async def write(change: Callable[[Any], queries.CollectionWrite]) -> dict[str, Any]:
        def run(db: Any) -> Any:
            _require_tables(db)
            result = change(db)
            return result.changes, _written(db, result)

        return await run_in_threadpool(desk.write_answer, run)

    async def listing(request: Request) -> dict[str, Any]:
        photo = request.query_params.get("photo")
        if photo is not None and (not photo.isdigit() or len(photo) > 18):
            raise Refused(400, "photo must be a photo id", parameter="photo")

        def read(db: Any) -> dict[str, Any]:
            _require_tables(db)
            db.execute("BEGIN")
            try:
                found = (queries.list_collections(db) if photo is None
                         else queries.collections_of_photo(db, int(photo)))
                return {"version": queries.collections_version(db),
                        "collections": [item.to_json() for item in found]}
            finally:
                db.execute("COMMIT")
        return await run_in_threadpool(desk.read, read)

    async def one(request: Request) -> dict[str, Any]:
        collection_id = _collection_id(request)

        def read(db: Any) -> dict[str, Any]:
            _require_tables(db)
            db.execute("BEGIN")
            try:
                return {"version": queries.collections_version(db),
                        "collection": queries.get_collection(db, collection_id).to_json(),
                        "photos": queries.collection_photo_ids(db, collection_id)}
            finally:
                db.execute("COMMIT")
        return await run_in_threadpool(desk.read, read)

    async def create(request: Request) -> dict[str, Any]:
        name = name_of(await json_body(request))
        return await write(lambda db: queries.create_collection(db, name, "api"))

    async def photos(request: Request) -> dict[str, Any]:
        collection_id, body = _collection_id(request), await json_body(request)
        if ("add" in body) == ("remove" in body):
            raise Refused(400, "give either add or remove: a list of photo ids", parameter="add")
        if "add" in body:
            ids = photo_ids_of(body["add"], "add")
            return await write(lambda db: queries.add_photos(db, collection_id, ids, "api"))
        ids = photo_ids_of(body["remove"], "remove")
        return await write(lambda db: queries.remove_photos(db, collection_id, ids, "api"))

    async def rename(request: Request) -> dict[str, Any]:
        collection_id, name = _collection_id(request), name_of(await json_body(request))
        return await write(lambda db: queries.rename_collection(db, collection_id, name, "api"))

    async def delete(request: Request) -> dict[str, Any]:
        collection_id = _collection_id(request)
        return await write(lambda db: queries.delete_collection(db, collection_id, "api"))

    async def cover(request: Request) -> dict[str, Any]:
        collection_id, body = _collection_id(request), await json_body(request)
        if "photo" not in body:
            raise Refused(400, "photo must be a photo id of the collection, or null for its first photo",
                          parameter="photo")
        photo = _one_photo(body["photo"], "photo", nullable=True)
        return await write(lambda db: queries.set_cover(db, collection_id, photo, "api"))

    async def order(request: Request) -> dict[str, Any]:
        collection_id, body = _collection_id(request), await json_body(request)
        ids = photo_ids_of(body.get("ids"))
        before = _one_photo(body.get("before"), "before", nullable=True)
        return await write(lambda db: queries.move_photos(db, collection_id, ids, before, "api"))

    token = lambda: settings.api_token  # noqa: E731 (read on each request: the settings may be reloaded)
    base = "/api/collections/{collection_id}"
    return [
        Route("/api/collections", endpoint(listing), methods=["GET"]),
        writing_route("/api/collections", endpoint(create), token=token),
        Route(base, endpoint(one), methods=["GET"]),
        writing_route(f"{base}/photos", endpoint(photos), token=token),
        writing_route(f"{base}/rename", endpoint(rename), token=token),
        writing_route(f"{base}/delete", endpoint(delete), token=token),
        writing_route(f"{base}/cover", endpoint(cover), token=token),
        writing_route(f"{base}/order", endpoint(order), token=token),
    ]

