"""The dashboard as an ASGI app: one route per page, each read through a `Client`.

`create_dashboard` takes a way to get the `Client` of a request rather than a client, so the
local command serves the embedded store while a team server can mount the same app for
whoever is logged in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from runstack.client import Client
from runstack.dashboard import catalog_pages, formatting, run_pages
from runstack.errors import AuthenticationError, NotFoundError, RunstackError

HERE = Path(__file__).parent

ClientForRequest = Callable[[Request], Client]
PageData = Callable[[Client, Request], dict[str, Any]]

# (path, route name, template, what the page shows)
PAGES: list[tuple[str, str, str, PageData]] = [
    ("/stacks", "stacks", "stacks.html", catalog_pages.stacks),
    ("/stacks/{stack_id}", "stack", "stack.html", catalog_pages.stack),
    ("/components", "components", "components.html", catalog_pages.components),
    ("/flavors", "flavors", "flavors.html", catalog_pages.flavors),
    ("/runs", "runs", "runs.html", run_pages.runs),
    ("/runs/{run_id}", "run", "run.html", run_pages.run),
    ("/runs/{run_id}/steps/{step}", "step", "step.html", run_pages.step),
    ("/artifacts/{artifact_id}", "artifact", "artifact.html", run_pages.artifact),
]


def templates() -> Jinja2Templates:
    """The pages' templates, every value escaped (autoescape on for every template)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(formatting.FILTERS)
    return Jinja2Templates(env=environment)


def create_dashboard(client_for_request: ClientForRequest) -> Starlette:
    """The dashboard app; `client_for_request` gives the `Client` each request reads through."""
    pages = templates()

    def page(template: str, data: PageData) -> Callable[[Request], Response]:
        def render(request: Request) -> Response:
            context = data(client_for_request(request), request)
            return pages.TemplateResponse(request, template, context)

        return render

    async def home(request: Request) -> Response:
        return RedirectResponse(request.url_for("stacks"), status_code=307)

    def failure(request: Request, error: Exception) -> Response:
        if isinstance(error, AuthenticationError):  # a team server's page, before signing in
            return RedirectResponse("/login", status_code=303)
        if isinstance(error, HTTPException):
            status, message = error.status_code, str(error.detail)
        else:
            status = 404 if isinstance(error, NotFoundError) else 400
            message = str(error)
        return pages.TemplateResponse(
            request, "error.html", {"status": status, "message": message}, status_code=status
        )

    routes: list[Route | Mount] = [Route("/", home, name="home")]
    routes += [Route(path, page(template, data), name=name) for path, name, template, data in PAGES]
    routes.append(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"))
    return Starlette(
        routes=routes,
        exception_handlers={RunstackError: failure, HTTPException: failure},
    )
