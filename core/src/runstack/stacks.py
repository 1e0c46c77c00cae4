"""The records a store keeps: registered stack components and the stacks made of them.

Plain dataclasses (they import in microseconds and cross the store interface
as dicts); pydantic validation happens at the edge, in the flavor's config model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from runstack.component_types import ComponentType
from runstack.errors import PermissionDeniedError

SECRET_MASK = "**********"


def now() -> datetime:
    """Timestamps are timezone-aware UTC everywhere, so stores on other machines agree."""
    return datetime.now(UTC)


def new_id() -> str:
    import uuid  # imported here: listing commands need not pay for it

    return str(uuid.uuid4())


@dataclass(frozen=True)
class StackComponent:
    """A configured instance of a flavor, registered under a name unique per type."""

    id: str
    name: str
    type: ComponentType
    flavor: str
    config: dict[str, Any]
    owner: str
    shared: bool
    created: datetime
    updated: datetime
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    # The version of the plugin whose flavor model last validated `config` ('' if unknown).
    flavor_version: str = ""
    # Free-form key=value tags (`--label team=nlp`), shown and filtered on, never interpreted.
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        *,
        name: str,
        type: ComponentType,
        flavor: str,
        config: dict[str, Any],
        owner: str,
        secrets: dict[str, str] | None = None,
        shared: bool = False,
        flavor_version: str = "",
        labels: dict[str, str] | None = None,
    ) -> StackComponent:
        """A component not yet stored: a fresh id, created and updated now."""
        created = now()
        return cls(
            id=new_id(),
            name=name,
            type=type,
            flavor=flavor,
            config=config,
            secrets=secrets or {},
            owner=owner,
            shared=shared,
            created=created,
            updated=created,
            flavor_version=flavor_version,
            labels=labels or {},
        )

    def changed(self, **fields: Any) -> StackComponent:
        """A copy with `fields` replaced and the update time set to now."""
        return replace(self, **fields, updated=now())

    def secret_references(self) -> dict[str, str]:
        """The secrets given as references (`{{env.NAME}}`): they say where a secret is, not
        what it is, so they may be shown and exported."""
        from runstack.secret_references import is_reference

        return {key: value for key, value in self.secrets.items() if is_reference(value)}

    def shareable_config(self) -> dict[str, Any]:
        """The config with the secrets that may leave the store: references, never values."""
        return {**self.config, **self.secret_references()}

    def public_config(self) -> dict[str, Any]:
        """The config as shown to people and scripts: secret values masked, references shown."""
        return {
            **self.config,
            **dict.fromkeys(self.secrets, SECRET_MASK),
            **self.secret_references(),
        }

    def full_config(self) -> dict[str, Any]:
        """The config with secrets as stored (references unresolved), to validate a change."""
        return {**self.config, **self.secrets}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for `--output json` (secrets masked)."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type.value,
            "flavor": self.flavor,
            "config": self.public_config(),
            "owner": self.owner,
            "shared": self.shared,
            "labels": self.labels,
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
        }


@dataclass(frozen=True)
class Stack:
    """A named combination of components, at most one per type."""

    id: str
    name: str
    owner: str
    shared: bool
    created: datetime
    updated: datetime
    components: dict[ComponentType, StackComponent]
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        *,
        name: str,
        owner: str,
        components: dict[ComponentType, StackComponent],
        shared: bool = False,
        labels: dict[str, str] | None = None,
    ) -> Stack:
        """A stack not yet stored: a fresh id, created and updated now."""
        created = now()
        return cls(
            id=new_id(),
            name=name,
            owner=owner,
            shared=shared,
            created=created,
            updated=created,
            components=components,
            labels=labels or {},
        )

    def changed(self, **fields: Any) -> Stack:
        """A copy with `fields` replaced and the update time set to now."""
        return replace(self, **fields, updated=now())

    @property
    def orchestrator(self) -> StackComponent:
        return self.components[ComponentType.ORCHESTRATOR]

    @property
    def artifact_store(self) -> StackComponent:
        return self.components[ComponentType.ARTIFACT_STORE]

    def __getattr__(self, name: str) -> StackComponent | None:
        """The component of another type, or None, as ZenML's stack has them:
        `Client().active_stack.experiment_tracker.name`."""
        try:
            component_type = ComponentType(name)
        except ValueError:
            raise AttributeError(f"a stack has no attribute {name!r}") from None
        return self.components.get(component_type)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for `--output json`."""
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "shared": self.shared,
            "labels": self.labels,
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
            "components": {
                component_type.value: component.to_dict()
                for component_type, component in sorted_components(self.components)
            },
        }


def require_owner(what: str, name: str, owner: str, user: str) -> None:
    """Refuse `user` changing, sharing or deleting what another user owns: others may only use
    it (run on a shared stack, put a shared component into their own stack)."""
    if owner != user:
        raise PermissionDeniedError(
            f"the {what} {name!r} is owned by user {owner!r}; only its owner may change it"
        )


def sorted_components(
    components: dict[ComponentType, StackComponent],
) -> list[tuple[ComponentType, StackComponent]]:
    """Components sorted by type name, the order the stack docs show (ARTIFACT_STORE first)."""
    return sorted(components.items(), key=lambda item: item[0].value)
