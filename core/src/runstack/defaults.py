"""The default stack every new store starts with: local orchestrator, local artifact store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from runstack.component_types import ComponentType
from runstack.models import Stack, StackComponent

DEFAULT_NAME = "default"
DEFAULT_FLAVOR = "local"


def now() -> datetime:
    """Timestamps are timezone-aware UTC everywhere, so stores on other machines agree."""
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def default_stack(owner: str) -> tuple[Stack, list[StackComponent]]:
    """The `default` stack and its two `default` components, ready to insert."""
    created = now()
    components = [
        StackComponent(
            id=new_id(),
            name=DEFAULT_NAME,
            type=component_type,
            flavor=DEFAULT_FLAVOR,
            config={},
            owner=owner,
            shared=False,
            created=created,
            updated=created,
        )
        for component_type in (ComponentType.ORCHESTRATOR, ComponentType.ARTIFACT_STORE)
    ]
    stack = Stack(
        id=new_id(),
        name=DEFAULT_NAME,
        owner=owner,
        shared=False,
        created=created,
        updated=created,
        components={component.type: component for component in components},
    )
    return stack, components
