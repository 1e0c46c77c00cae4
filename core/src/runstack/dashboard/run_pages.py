"""What the pages of what ran show: runs (filtered, a page at a time), one run, one step of it,
and one artifact with its lineage.

Each function reads through the request's `Client` and returns its template's context.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from runstack.client import Client
from runstack.dashboard.dag import step_graph
from runstack.dashboard.paging import Paging, page_number
from runstack.dashboard.preview import preview
from runstack.errors import NotFoundError
from runstack.runs import RunStatus

FILTERS = ("pipeline", "stack", "status")


def paged_runs(
    client: Client,
    request: Request,
    *,
    pipeline: str | None = None,
    stack: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """The page of runs the request asks for (`?page=`), newest first, and how to reach the
    others; only that page is read from the store."""
    filters = {"pipeline": pipeline, "stack": stack, "status": status}
    kept = tuple((k, v) for k, v in request.query_params.multi_items() if k != "page")
    number = page_number(request.query_params.get("page"))
    paging = Paging(number, client.runs.count(**filters), kept)
    runs = client.runs.list(**filters, limit=paging.size, offset=paging.offset)
    return {"runs": runs, "paging": paging}


def runs(client: Client, request: Request) -> dict[str, Any]:
    """Runs filtered by pipeline, stack and status, with the choices for each filter."""
    filters = {name: request.query_params.get(name) or None for name in FILTERS}
    return {
        "filters": filters,
        "pipelines": client.runs.pipelines(),
        "stacks": client.list_stacks(),
        "statuses": list(RunStatus),
        **paged_runs(client, request, **filters),
    }


def run(client: Client, request: Request) -> dict[str, Any]:
    """A run: its step graph, each step's outcome, its parameters and the artifacts it made."""
    shown = client.runs.get(request.path_params["run_id"])
    return {
        "run": shown,
        "graph": step_graph(shown.steps),
        "outputs": [
            (step, name, artifact)
            for step in shown.steps.values()
            for name, artifact in step.outputs.items()
        ],
    }


def step(client: Client, request: Request) -> dict[str, Any]:
    """One step of a run: what it printed, its error, parameters, inputs and outputs."""
    shown = client.runs.get(request.path_params["run_id"])
    name = request.path_params["step"]
    if name not in shown.steps:
        raise NotFoundError(
            f"run {shown.name!r} has no step {name!r}; steps: {', '.join(shown.steps)}"
        )
    chosen = shown.steps[name]
    return {"run": shown, "step": chosen, "logs": chosen.logs}


def artifact(client: Client, request: Request) -> dict[str, Any]:
    """An artifact: what it is, which step made it, which steps reused or read it, a preview."""
    shown = client.artifacts.get(request.path_params["artifact_id"])
    return {
        "artifact": shown.record,
        "lineage": client.artifacts.lineage(shown.id),
        "preview": preview(shown),
    }
