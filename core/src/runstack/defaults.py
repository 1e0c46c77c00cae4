"""The default stack every new store starts with: local orchestrator, local artifact store."""

from __future__ import annotations

from runstack.component_types import ComponentType
from runstack.errors import InUseError
from runstack.stacks import Stack, StackComponent

DEFAULT_NAME = "default"
DEFAULT_FLAVOR = "local"


def default_stack(owner: str) -> tuple[Stack, list[StackComponent]]:
    """The `default` stack and its two `default` components, ready to insert: owned by the
    store's first user and shared, so that every user of a store has a stack to run on."""
    components = [
        StackComponent.new(
            name=DEFAULT_NAME,
            type=component_type,
            flavor=DEFAULT_FLAVOR,
            config={},
            owner=owner,
            shared=True,
        )
        for component_type in (ComponentType.ORCHESTRATOR, ComponentType.ARTIFACT_STORE)
    ]
    stack = Stack.new(
        name=DEFAULT_NAME, owner=owner, shared=True, components={c.type: c for c in components}
    )
    return stack, components


def keep_default(name: str, action: str) -> None:
    """Refuse renaming or deleting the default stack: it is what every client starts on."""
    if name == DEFAULT_NAME:
        raise InUseError(
            f"the default stack cannot be {action}d; it is what every client starts on"
        )
