"""`gallery serve --with-site`: the built site, thumbnails, originals and progress.json, read-only.

Only files below <home>/site, <home>/thumbs and each root of gallery.toml are served, never one
reached through `..` or a symlink leading outside, nor hidden or NAS/OS system folders and files.
"""
from __future__ import annotations

import os
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from gallery_builder.config import Settings
from gallery_builder.core.media_types import skip_reason_for_file, skip_reason_for_folder


def is_servable(relative: str) -> bool:
    """No empty, dot or hidden parts, no system folders or files, no backslashes or NULs."""
    if "\\" in relative or "\x00" in relative:
        return False
    parts = [part for part in relative.split("/") if part and part != "."]
    if ".." in parts:
        return False
    folders, name = parts[:-1], parts[-1] if parts else ""
    return all(skip_reason_for_folder(part) is None for part in folders) and (
        not name or skip_reason_for_file(name) in {None, "sidecar"})


def resolve_inside(base: Path, relative: str) -> Path | None:
    """The real file for `relative` under `base`, or None if it is not a servable file inside it."""
    if not is_servable(relative):
        return None
    real_base = Path(os.path.realpath(base))
    target = Path(os.path.realpath(real_base / relative))
    if target != real_base and real_base not in target.parents:
        return None
    return target if target.is_file() else None


class GuardedStaticFiles(StaticFiles):
    """StaticFiles that also refuses hidden and system paths."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.directory is None or not os.path.isdir(self.directory):
            response = Response(f"Nothing here yet: {self.directory} does not exist (run `gallery build`).",
                                status_code=404)
            await response(scope, receive, send)
            return
        if not is_servable(self.get_path(scope)):
            response = Response("Not Found", status_code=404)
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _originals(settings: Settings) -> Route:
    roots = {root.label: root.path for root in settings.roots}

    async def original(request: Request) -> Response:
        base = roots.get(request.path_params["label"])
        target = resolve_inside(base, request.path_params["path"]) if base else None
        if target is None:
            raise HTTPException(404)
        return FileResponse(target, headers={"Cache-Control": "private, max-age=3600",
                                             "X-Content-Type-Options": "nosniff"})

    return Route("/originals/{label}/{path:path}", original, methods=["GET", "HEAD"])


def _progress(settings: Settings) -> Route:
    async def progress(request: Request) -> Response:
        if not settings.progress_path.is_file():
            return Response('{"state": "idle"}', media_type="application/json", headers={"Cache-Control": "no-store"})
        return FileResponse(settings.progress_path, media_type="application/json",
                            headers={"Cache-Control": "no-store"})

    return Route("/progress.json", progress, methods=["GET", "HEAD"])


def _photo_short_links() -> list[Route]:
    """`/photos/<id>/` -> the permalink file, as the nginx config does (deep links from the API)."""
    from starlette.responses import RedirectResponse

    from gallery_builder.core.urls import photo_url

    async def short(request: Request) -> Response:
        return RedirectResponse("/" + photo_url(request.path_params["photo_id"]), status_code=302)

    return [Route("/photos/{photo_id:int}/", short, methods=["GET", "HEAD"]),
            Route("/photos/{photo_id:int}", short, methods=["GET", "HEAD"])]


def site_routes(settings: Settings) -> list[Route | Mount]:
    """Routes after the API ones: progress, originals, thumbnails, then the site at /."""
    settings.thumbs_dir.mkdir(parents=True, exist_ok=True)
    settings.site_dir.parent.mkdir(parents=True, exist_ok=True)
    return [
        _progress(settings),
        _originals(settings),
        *_photo_short_links(),
        Mount("/thumbs", app=GuardedStaticFiles(directory=settings.thumbs_dir, check_dir=False), name="thumbs"),
        # The builder shares assets between generations through symlinks it makes itself; following
        # them is safe (nothing user-supplied lives in the site) and matches what nginx does.
        Mount("/", app=GuardedStaticFiles(directory=settings.site_dir, html=True, check_dir=False,
                                          follow_symlink=True), name="site"),
    ]
