"""The sidecar's stack and duplicate routes (writing routes behind write_guard, on the decisions'
desk): POST /api/stacks/edit ({"action": "set_top"|"remove", "photo": id} or {"action":
"not_a_stack", "stack": id}) and POST /api/duplicates/reject-others ({"groups": [ids]}: the other
copies of each group are flagged reject, never deleted). 404 names an unknown photo, stack or group.
"""
from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from gallery_builder.config import Settings
from gallery_builder.db import decisions as decision_queries
from gallery_builder.db import duplicates as duplicate_queries
from gallery_builder.db import stacks as stack_queries
from search_api.decisions import DecisionDesk
from search_api.json_api import MAX_IDS, Refused, json_body, json_endpoint
from search_api.write_guard import writing_route


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Refused(400, f"{name} must be a whole number (an id)", parameter=name)
    return value


def _not_stacked(error: Exception) -> tuple[dict[str, Any], int]:
    return {"error": f"{error}; nothing written"}, 404


def curation_routes(settings: Settings, desk: DecisionDesk) -> list[Route]:
    """The routes, on the desk the decision routes use (one writer, one republisher)."""

    async def edit_stack(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        action = body.get("action")
        if action not in stack_queries.BROWSER_EDITS:
            raise Refused(400, f"action must be one of {', '.join(stack_queries.BROWSER_EDITS)}", parameter="action")
        if action == "not_a_stack" and "stack" in body:
            photo, stack = None, _whole(body.get("stack"), "stack")
        else:
            photo, stack = _whole(body.get("photo"), "photo"), None
        result = await run_in_threadpool(
            desk.write, lambda db: stack_queries.edit_stack_now(db, action, photo, stack, "api"))  # type: ignore[arg-type]
        return result.to_json()  # type: ignore[attr-defined]

    async def reject_others(request: Request) -> dict[str, Any]:
        groups = (await json_body(request)).get("groups")
        if not isinstance(groups, list) or not groups or len(groups) > MAX_IDS:
            raise Refused(400 if not isinstance(groups, list) or not groups else 413,
                          "groups must be a non-empty list of duplicate group ids", parameter="groups")
        wanted = sorted({_whole(group, "groups") for group in groups})

        def reject(db: Any) -> Any:
            unknown = sorted(set(wanted) - duplicate_queries.known_group_ids(db, wanted))
            if unknown:
                raise Refused(404, f"no duplicate group {', '.join(map(str, unknown))}; nothing written",
                              unknown_groups=unknown)
            others = [photo for ids in duplicate_queries.others_of(db, wanted).values() for photo in ids]
            result = decision_queries.set_flag(db, others, "reject", "api duplicates")
            return _Rejected(result, others)

        done = await run_in_threadpool(desk.write, reject)  # type: ignore[arg-type]
        return {"groups": wanted, "rejected": done.others, "changed": done.result.changed_ids,
                "version": done.result.version}

    token = lambda: settings.api_token  # noqa: E731 (read on each request: the settings may be reloaded)
    extra = {stack_queries.NotStacked: _not_stacked}
    return [
        writing_route("/api/stacks/edit", json_endpoint(edit_stack, extra), token=token),
        writing_route("/api/duplicates/reject-others", json_endpoint(reject_others), token=token),
    ]


class _Rejected:
    """The flag write and the photos it covered (the desk asks `.changes` to republish)."""

    def __init__(self, result: decision_queries.WriteResult, others: list[int]) -> None:
        self.result, self.others, self.changes = result, others, result.changes
