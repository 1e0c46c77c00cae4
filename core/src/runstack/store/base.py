"""The store interface: what the client needs from wherever stacks and components are kept.

Everything crosses it as the plain records of `runstack.models`, so a REST
client for a shared server can implement it without touching the client or CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from runstack.component_types import ComponentType
from runstack.models import Stack, StackComponent


class Store(Protocol):
    """Reads and writes components and stacks; each write is one transaction.

    Lookups raise `NotFoundError`, name clashes `AlreadyExistsError`, removing
    something still referenced `InUseError`; the messages are user-facing.
    """

    location: str

    def list_components(self, component_type: ComponentType | None = None) -> list[StackComponent]:
        """All components, or those of one type, ordered by type then name."""
        ...

    def get_component(self, component_type: ComponentType, name_or_id: str) -> StackComponent:
        """One component by exact name, full id or unique id prefix."""
        ...

    def create_component(self, component: StackComponent) -> None:
        """Add a new component; its (type, name) must be free."""
        ...

    def update_component(self, component: StackComponent) -> None:
        """Replace name, config, secrets, shared flag and update time of the component `id`."""
        ...

    def delete_component(self, component_id: str) -> None:
        """Remove a component that no stack uses."""
        ...

    def stacks_using(self, component_id: str) -> list[str]:
        """Names of the stacks that contain this component."""
        ...

    def list_stacks(self) -> list[Stack]:
        """All stacks with their components, ordered by name."""
        ...

    def get_stack(self, name_or_id: str) -> Stack:
        """One stack by exact name, full id or unique id prefix."""
        ...

    def create_stack(self, stack: Stack, new_components: Sequence[StackComponent] = ()) -> None:
        """Add a stack, first creating `new_components`, all in one transaction."""
        ...

    def update_stack(self, stack: Stack) -> None:
        """Replace name, shared flag, update time and components of the stack with this id."""
        ...

    def delete_stack(self, stack_id: str) -> None:
        """Remove a stack (its components stay registered)."""
        ...
