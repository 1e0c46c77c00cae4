"""The API of stacks and their components: `/api/v1/components` and `/api/v1/stacks`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from runstack.component_types import ComponentType
from runstack.server.access import Caller
from runstack.server.answers import ERROR_ANSWERS
from runstack.server.checks import same_id, zoned
from runstack.stacks import Stack, StackComponent
from runstack.store.wire import API_PREFIX, FlavorVersion, StackCreation

router = APIRouter(prefix=API_PREFIX, responses=ERROR_ANSWERS)


@router.get("/components", tags=["components"])
def list_components(
    store: Caller, component_type: Annotated[ComponentType | None, Query(alias="type")] = None
) -> list[StackComponent]:
    return store.components.list(component_type)


@router.get("/components/{component_type}/{name_or_id:path}", tags=["components"])
def get_component(store: Caller, component_type: ComponentType, name_or_id: str) -> StackComponent:
    return store.components.get(component_type, name_or_id)


@router.post("/components", status_code=201, tags=["components"])
def create_component(store: Caller, component: StackComponent) -> StackComponent:
    store.components.create(zoned(component))
    return component


@router.put("/components/{component_id}", status_code=204, tags=["components"])
def update_component(store: Caller, component_id: str, component: StackComponent) -> None:
    same_id(component_id, component.id)
    store.components.update(zoned(component))


@router.put("/components/{component_id}/flavor-version", status_code=204, tags=["components"])
def record_flavor_version(store: Caller, component_id: str, body: FlavorVersion) -> None:
    store.components.record_flavor_version(component_id, body.version)


@router.delete("/components/{component_id}", status_code=204, tags=["components"])
def delete_component(store: Caller, component_id: str) -> None:
    store.components.delete(component_id)


@router.get("/stacks", tags=["stacks"])
def list_stacks(store: Caller) -> list[Stack]:
    return store.stacks.list()


@router.get("/stacks/{name_or_id:path}", tags=["stacks"])
def get_stack(store: Caller, name_or_id: str) -> Stack:
    return store.stacks.get(name_or_id)


@router.post("/stacks", status_code=201, tags=["stacks"])
def create_stack(store: Caller, body: StackCreation) -> Stack:
    zoned(body)
    return store.stacks.create(body.stack, body.new_components, lacking=body.lacking)


@router.put("/stacks/{stack_id}", status_code=204, tags=["stacks"])
def update_stack(store: Caller, stack_id: str, stack: Stack) -> None:
    same_id(stack_id, stack.id)
    store.stacks.update(zoned(stack))


@router.delete("/stacks/{stack_id}", status_code=204, tags=["stacks"])
def delete_stack(store: Caller, stack_id: str) -> None:
    store.stacks.delete(stack_id)
