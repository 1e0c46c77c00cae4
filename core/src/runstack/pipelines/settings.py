"""Which settings tables apply to a stack: one key per component type, optionally qualified
by a flavor (`"orchestrator.local"`), so one run config fits stacks of any flavor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runstack.component_types import ComponentType
from runstack.errors import ConfigError


def settings_key(key: str) -> tuple[ComponentType, str | None]:
    """The component type a settings key names, and its flavor if qualified by one."""
    kind, dot, flavor = key.partition(".")
    if dot and not flavor.strip():
        raise ConfigError(
            f"settings key {key!r} names no flavor after the dot; write '{kind}' for any "
            f"flavor or '{kind}.FLAVOR' for one"
        )
    return ComponentType.parse(kind), flavor.strip() if dot else None


def applicable_settings(
    settings: Mapping[str, Mapping[str, Any]], flavors: Mapping[ComponentType, str]
) -> dict[ComponentType, dict[str, Any]]:
    """The settings per component type for components of these flavors.

    A table qualified by the component's flavor overrides the plain table key by key;
    tables qualified by another flavor (or for a type the stack lacks) are left out.
    """
    plain: dict[ComponentType, dict[str, Any]] = {}
    qualified: dict[ComponentType, dict[str, Any]] = {}
    for key, values in settings.items():
        kind, flavor = settings_key(key)
        if flavor is None:
            plain.setdefault(kind, {}).update(values)
        elif flavors.get(kind) == flavor:
            qualified.setdefault(kind, {}).update(values)
    for kind, values in qualified.items():
        plain[kind] = {**plain.get(kind, {}), **values}
    return plain
