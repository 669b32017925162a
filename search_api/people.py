"""The sidecar's people routes: GET /api/people, /api/people/{id} and /api/clusters/{id} (open, read-only:
the live overlay of a person or cluster page); POST /api/people (create), /api/people/{id}/rename,
/hide, /merge; /api/faces/assign, /clear, /reject; /api/clusters/{id}/name, /ignore, /restore (writing
routes behind write_guard), through the decisions' desk (one writer, one republisher).

Answers: 400 for a malformed request, 404 naming an unknown person, cluster or faces, 409 for a taken
name or a rule a write would break, 413 for too many ids; writes that change nothing answer 200 with
no changes.
"""
from __future__ import annotations

from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from gallery_builder.config import Settings
from gallery_builder.db import people as queries
from search_api.decisions import DecisionDesk
from search_api.json_api import (Refused, json_body, json_endpoint, name_of, one_id_of, path_id, photo_ids_of,
                                 require_table)
from search_api.write_guard import writing_route


def _ids(value: Any, name: str) -> list[int]:
    return photo_ids_of(value, name, "ids")


def _one_id(value: Any, name: str) -> int:
    return one_id_of(value, name)  # type: ignore[return-value]


def _require_tables(db: Any) -> None:
    require_table(db, "people", "people")


def _person_or_none(db: Any, person_id: int | None) -> dict[str, Any] | None:
    if person_id is None:
        return None
    try:
        return queries.get_person(db, person_id).to_json()
    except queries.UnknownPerson:
        return None


def _written(db: Any, result: queries.PeopleWrite) -> dict[str, Any]:
    cluster = queries.get_cluster(db, result.cluster_id).to_json() if result.cluster_id is not None else None
    return {"changes": list(result.changes), "faces": list(result.face_ids), "created": result.created,
            "person": _person_or_none(db, result.person_id), "cluster": cluster}



def _reading(question: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    def read(db: Any) -> dict[str, Any]:
        _require_tables(db)
        db.execute("BEGIN")
        try:
            return question(db)
        finally:
            db.execute("COMMIT")
    return read


def people_routes(settings: Settings, desk: DecisionDesk) -> list[Route]:
    """The routes, on the desk the decision routes use."""

    def unknown(error: Exception) -> tuple[dict[str, Any], int]:
        extra = {"unknown": error.ids} if isinstance(error, queries.UnknownFaces) else {}
        return {"error": f"{error}; nothing written", **extra}, 404

    def refused(error: Exception) -> tuple[dict[str, Any], int]:
        assert isinstance(error, queries.PeopleRefused)
        return {"error": f"{error}; nothing written"}, 409 if error.conflict else 400

    def endpoint(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        return json_endpoint(handler, {queries.UnknownPerson: unknown, queries.UnknownCluster: unknown,
                                       queries.UnknownFaces: unknown, queries.PeopleRefused: refused})

    async def write(change: Callable[[Any], queries.PeopleWrite]) -> dict[str, Any]:
        def run(db: Any) -> Any:
            _require_tables(db)
            result = change(db)
            return result.changes, _written(db, result)

        return await run_in_threadpool(desk.write_answer, run)

    async def listing(request: Request) -> dict[str, Any]:
        return await run_in_threadpool(desk.read, _reading(lambda db: {
            "people": [person.to_json() for person in queries.list_people(db)]}))

    async def person(request: Request) -> dict[str, Any]:
        person_id = path_id(request, "person_id")
        return await run_in_threadpool(desk.read, _reading(lambda db: {
            "person": queries.get_person(db, person_id).to_json(),
            "faces": [face.to_json() for face in queries.faces_of(db, person_id=person_id)]}))

    async def cluster(request: Request) -> dict[str, Any]:
        cluster_id = path_id(request, "cluster_id")
        return await run_in_threadpool(desk.read, _reading(lambda db: {
            "cluster": queries.get_cluster(db, cluster_id).to_json(),
            "faces": [face.to_json() for face in queries.faces_of(db, cluster_id=cluster_id)]}))

    async def create(request: Request) -> dict[str, Any]:
        name = name_of(await json_body(request))
        return await write(lambda db: queries.create_person(db, name, "api"))

    async def rename(request: Request) -> dict[str, Any]:
        person_id, name = path_id(request, "person_id"), name_of(await json_body(request))
        return await write(lambda db: queries.rename_person(db, person_id, name, "api"))

    async def hide(request: Request) -> dict[str, Any]:
        person_id, body = path_id(request, "person_id"), await json_body(request)
        hidden = body.get("hidden", True)
        if not isinstance(hidden, bool):
            raise Refused(400, "hidden must be true or false", parameter="hidden")
        return await write(lambda db: queries.set_hidden(db, person_id, hidden, "api"))

    async def merge(request: Request) -> dict[str, Any]:
        person_id, body = path_id(request, "person_id"), await json_body(request)
        others = _ids(body.get("people"), "people")
        return await write(lambda db: queries.merge_people(db, person_id, others, "api"))

    async def assign(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        faces = _ids(body.get("faces"), "faces")
        if ("person" in body) == ("name" in body):
            raise Refused(400, "give person (an id) or name (created when new)", parameter="person")
        if "name" in body:
            name = name_of(body)
            return await write(lambda db: queries.assign_faces_to_name(db, faces, name, "api"))
        person_id = _one_id(body["person"], "person")
        return await write(lambda db: queries.assign_faces(db, faces, person_id, "api"))

    async def clear(request: Request) -> dict[str, Any]:
        faces = _ids((await json_body(request)).get("faces"), "faces")
        return await write(lambda db: queries.clear_faces(db, faces, "api"))

    async def reject(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        faces, person_id = _ids(body.get("faces"), "faces"), _one_id(body.get("person"), "person")
        return await write(lambda db: queries.reject_faces(db, faces, person_id, "api"))

    async def name_cluster(request: Request) -> dict[str, Any]:
        cluster_id, name = path_id(request, "cluster_id"), name_of(await json_body(request))
        return await write(lambda db: queries.name_cluster(db, cluster_id, name, "api"))

    def ignoring(ignored: bool) -> Callable[[Request], Any]:
        async def handler(request: Request) -> dict[str, Any]:
            cluster_id = path_id(request, "cluster_id")
            await json_body(request)
            return await write(lambda db: queries.set_cluster_ignored(db, cluster_id, ignored, "api"))
        return handler

    token = lambda: settings.api_token  # noqa: E731 (read on each request: the settings may be reloaded)
    person_base, cluster_base = "/api/people/{person_id}", "/api/clusters/{cluster_id}"
    return [
        Route("/api/people", endpoint(listing), methods=["GET"]),
        writing_route("/api/people", endpoint(create), token=token),
        Route(person_base, endpoint(person), methods=["GET"]),
        writing_route(f"{person_base}/rename", endpoint(rename), token=token),
        writing_route(f"{person_base}/hide", endpoint(hide), token=token),
        writing_route(f"{person_base}/merge", endpoint(merge), token=token),
        writing_route("/api/faces/assign", endpoint(assign), token=token),
        writing_route("/api/faces/clear", endpoint(clear), token=token),
        writing_route("/api/faces/reject", endpoint(reject), token=token),
        Route(cluster_base, endpoint(cluster), methods=["GET"]),
        writing_route(f"{cluster_base}/name", endpoint(name_cluster), token=token),
        writing_route(f"{cluster_base}/ignore", endpoint(ignoring(True)), token=token),
        writing_route(f"{cluster_base}/restore", endpoint(ignoring(False)), token=token),
    ]
