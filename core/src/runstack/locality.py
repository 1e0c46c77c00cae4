"""Which components are bound to this machine, and the one rule that follows for stacks.

An orchestrator that runs steps on other machines cannot use an artifact store
only this machine reaches: its workers would not find the inputs, and what they
wrote would be lost with them. Such a stack is refused when registered, updated,
made active, and again when a run starts (a component's config may have changed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from runstack.component_types import ComponentType
from runstack.errors import ConfigError, RunstackError

if TYPE_CHECKING:
    from runstack.components import BaseComponent
    from runstack.flavor_registry import FlavorRegistry
    from runstack.stacks import StackComponent


def is_local(flavors: FlavorRegistry, component: StackComponent) -> bool | None:
    """Whether the component runs code or keeps files on this machine only (None: unknown,
    its flavor is not installed). Its config decides where its flavor lets it."""
    from runstack.stored_configs import stored_config

    try:
        registered = flavors.registered(component.type, component.flavor)
    except RunstackError:
        return None
    try:
        config, _ = stored_config(registered, component)
    except RunstackError:
        return registered.flavor.local
    decided = config.is_local()
    return registered.flavor.local if decided is None else decided


def location(
    flavors: FlavorRegistry,
    build: Callable[[StackComponent], BaseComponent],
    component: StackComponent,
) -> str:
    """Where a component runs code or keeps files, as `stack describe` shows it."""
    try:
        where = build(component).location
    except RunstackError as error:
        return f"unknown: {error}"
    if where:
        return where
    return {True: "this machine", False: "elsewhere", None: "unknown"}[is_local(flavors, component)]


def check_reachable(
    flavors: FlavorRegistry, stack_name: str, members: Mapping[ComponentType, StackComponent]
) -> None:
    """Refuse a stack whose orchestrator runs steps elsewhere while its artifact store is
    reachable from this machine only."""
    orchestrator = members.get(ComponentType.ORCHESTRATOR)
    store = members.get(ComponentType.ARTIFACT_STORE)
    if orchestrator is None or store is None:
        return
    if is_local(flavors, orchestrator) is not False or is_local(flavors, store) is not True:
        return
    raise ConfigError(
        f"the stack {stack_name!r} runs steps away from this machine (the {orchestrator.flavor} "
        f"orchestrator {orchestrator.name!r}) but keeps artifacts where only this machine "
        f"reaches them (the {store.flavor} artifact store {store.name!r}); give it an artifact "
        f"store its workers reach, e.g. 'runstack stack update {stack_name} -a NAME' with an "
        "s3 store"
    )
