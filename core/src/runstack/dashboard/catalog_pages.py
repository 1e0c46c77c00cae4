"""What the pages of registered things show: stacks, one stack, components, flavors and plugins.

Each function reads through the request's `Client` and returns its template's context.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from starlette.requests import Request

from runstack.client import Client
from runstack.component_types import ComponentType
from runstack.dashboard.run_pages import paged_runs
from runstack.stacks import sorted_components


def stacks(client: Client, request: Request) -> dict[str, Any]:
    """Every stack with the columns of `stack list`; a column per component type in use."""
    listed = client.list_stacks()
    kinds = sorted({kind for s in listed for kind in s.components}, key=lambda kind: kind.value)
    return {"stacks": listed, "active_id": client.active_stack.id, "kinds": kinds}


def stack(client: Client, request: Request) -> dict[str, Any]:
    """A stack's components with their configuration, and a page of the runs made on it."""
    shown = client.get_stack(request.path_params["stack_id"])
    return {
        "stack": shown,
        "active": shown.id == client.active_stack.id,
        "components": [component for _, component in sorted_components(shown.components)],
        **paged_runs(client, request, stack=shown.id),
    }


def components(client: Client, request: Request) -> dict[str, Any]:
    """Registered components grouped by type (`?type=` shows one type)."""
    wanted = request.query_params.get("type") or None
    kind = None if wanted is None else ComponentType.parse(wanted)
    listed = client.list_components(kind)
    return {
        "kinds": list(ComponentType),
        "chosen": kind,
        "groups": [(k, list(group)) for k, group in groupby(listed, key=lambda c: c.type)],
    }


def flavors(client: Client, request: Request) -> dict[str, Any]:
    """Installed flavors, and the plugins that provide them with any that failed to load."""
    return {"flavors": client.list_flavors(), "plugins": client.plugins()}
