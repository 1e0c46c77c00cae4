"""The team server's ASGI app: the store's API under `/api/v1`, its OpenAPI schema at
`/openapi.json`, the refusal of a client whose runstack speaks another API, and the
dashboard at `/` for a signed-in browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from runstack.errors import StoreError
from runstack.server.access import Caller
from runstack.server.answers import ERROR_ANSWERS, answer, install_error_answers
from runstack.server.browser_sign_in import mount_dashboard
from runstack.server.model_routes import router as model_router
from runstack.server.run_routes import router as run_router
from runstack.server.stack_routes import router as stack_router
from runstack.store.base import ServerStore
from runstack.store.wire import (
    API_PREFIX,
    VERSION_HEADER,
    ServerInfo,
    UserName,
    this_version,
    version_problem,
)

about = APIRouter(prefix=API_PREFIX, responses=ERROR_ANSWERS, tags=["server"])


@about.get("/info")
def info() -> ServerInfo:
    """The server's runstack version; needs no token, so a client can check it first."""
    return ServerInfo(version=this_version())


@about.get("/users/me")
def me(store: Caller, request: Request) -> UserName:
    """Whose token this is: `runstack login` checks a token with it before saving it."""
    return UserName(name=request.state.user)


def create_app(store: ServerStore) -> FastAPI:
    """The API over `store`, each request acting as the user its token names."""
    app = FastAPI(
        title="runstack",
        version=this_version(),
        description=(
            "The runstack store: stacks, components, runs, step runs, artifacts and models."
        ),
        redirect_slashes=False,
    )
    app.state.store = store
    install_error_answers(app)

    @app.middleware("http")
    async def same_api(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        client = request.headers.get(VERSION_HEADER)
        problem = version_problem(this_version(), client) if client else ""
        if problem:
            return answer(StoreError(problem), status=400)
        return await call_next(request)

    for router in (about, stack_router, run_router, model_router):
        app.include_router(router)
    app.openapi = lambda: _schema_without_422(app)  # type: ignore[method-assign]
    mount_dashboard(app, store)
    return app


def _schema_without_422(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, less the 422 it documents for every operation: invalid input is
    answered 400 here, as every other bad input is."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        app.openapi_schema = schema
    return app.openapi_schema
