"""The Starlette application: `create_app(settings)` wires the search service to the routes.

Start-up loads the vectors and the text model in a background thread, so the server answers
/api/health at once and the first search does not pay for loading.
"""
from __future__ import annotations

import contextlib
import threading
from datetime import date
from typing import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from gallery_builder.config import Settings
from search_api.auth import SessionKeeper
from search_api.collections import collection_routes
from search_api.curation import curation_routes
from search_api.decisions import DecisionDesk, decision_routes
from search_api.google_routes import google_routes
from search_api.people import people_routes
from search_api.ranking import rank_routes
from search_api.routes import API_ROUTES
from search_api.review import review_routes
from search_api.selection import selection_routes
from search_api.service import SearchService


def create_app(settings: Settings, *, with_site: bool = False, model_name: str | None = None,
               hemisphere: str = "auto", today: Callable[[], date] = date.today, threads: int | None = None,
               warm_up: bool = True) -> Starlette:
    service = SearchService(settings, model_name=model_name, hemisphere=hemisphere, today=today, threads=threads)
    routes = list(API_ROUTES)
    desk = DecisionDesk(settings)  # one writer and one republisher for every decision route
    routes[:0] = [*decision_routes(settings, desk), *collection_routes(settings, desk),  # before API_ROUTES'
                  *curation_routes(settings, desk), *people_routes(settings, desk),
                  *rank_routes(settings, clip=service.clip_neighbours, republisher=desk.republisher), *selection_routes(desk),
                  *review_routes(settings, desk), *google_routes(settings)]            # catch-all
    if with_site:
        from search_api.static_site import site_routes

        routes.extend(site_routes(settings))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if warm_up:
            threading.Thread(target=service.warm_up, name="warm-up", daemon=True).start()
        yield
        service.close()

    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal error: {type(error).__name__}: {error}"}, status_code=500,
                            headers={"Cache-Control": "no-store"})

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(GZipMiddleware, minimum_size=2048)],
                    exception_handlers={Exception: internal_error})
    app.state.service = service
    app.state.auth = SessionKeeper(settings.home)  # the writing routes' guard asks it about sessions
    return app
