"""Stack files: a stack and its components as TOML, for `stack export` and `stack import`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runstack.component_types import ComponentType
from runstack.errors import ConfigError
from runstack.files import read_toml, write_atomically
from runstack.stacks import Stack, sorted_components
from runstack.version import __version__


@dataclass(frozen=True)
class ComponentSpec:
    """A component as a stack file describes it; `secrets` names values left out on export."""

    name: str
    flavor: str
    config: dict[str, Any]
    secrets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StackDefinition:
    name: str
    components: dict[ComponentType, ComponentSpec]


def write_stack_file(stack: Stack, path: Path) -> None:
    """Write atomically; secret values never reach the file, only their names. A secret given
    as a reference is written as it is: it names where the secret is, it is not the secret."""
    import tomli_w

    components: dict[str, Any] = {}
    for kind, component in sorted_components(stack.components):
        entry: dict[str, Any] = {"name": component.name, "flavor": component.flavor}
        left_out = sorted(component.secrets.keys() - component.secret_references().keys())
        if left_out:
            entry["secrets"] = left_out
        entry["config"] = component.shareable_config()
        components[kind.value] = entry
    document = {
        "runstack_version": __version__,
        "stack": {"name": stack.name},
        "components": components,
    }
    try:
        write_atomically(path, tomli_w.dumps(document).encode("utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror or error}") from None


def read_stack_file(path: Path) -> StackDefinition:
    """Parse and check the shape of a stack file; every problem names the file and the spot."""
    document = read_toml(path, "stack file")

    stack = _table(document.get("stack"), path, "[stack]")
    name = _text(stack.get("name"), path, "stack.name")
    raw_components = _table(document.get("components"), path, "[components]")
    components = {}
    for key, value in raw_components.items():
        try:
            kind = ComponentType.parse(key)
        except ConfigError as error:
            raise ConfigError(f"{path}: [components.{key}]: {error}") from None
        where = f"components.{key}"
        entry = _table(value, path, f"[{where}]")
        unknown = sorted(set(entry) - {"name", "flavor", "config", "secrets"})
        if unknown:
            raise ConfigError(
                f"{path}: unknown key {unknown[0]!r} in [{where}]; "
                "valid keys: name, flavor, config, secrets"
            )
        secrets = entry.get("secrets", [])
        if not isinstance(secrets, list) or not all(isinstance(s, str) for s in secrets):
            raise ConfigError(f"{path}: {where}.secrets must be a list of key names")
        components[kind] = ComponentSpec(
            name=_text(entry.get("name"), path, f"{where}.name"),
            flavor=_text(entry.get("flavor"), path, f"{where}.flavor"),
            config=_table(entry.get("config", {}), path, f"[{where}.config]"),
            secrets=secrets,
        )
    return StackDefinition(name=name, components=components)


def _table(value: Any, path: Path, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: missing or invalid {where} table; see 'runstack stack export'")
    return value


def _text(value: Any, path: Path, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: {where} must be a non-empty string")
    return value
