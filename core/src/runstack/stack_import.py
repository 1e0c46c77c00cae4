"""`stack import`: a stack and its components from an exported TOML file, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from runstack.component_types import ComponentType
from runstack.errors import AlreadyExistsError, ConfigError, MissingSecretsError, NotFoundError
from runstack.locality import check_reachable
from runstack.registration import (
    check_component_name,
    check_stack_name,
    existing_component,
    missing_required,
    validated_config,
)
from runstack.stacks import Stack, StackComponent

if TYPE_CHECKING:
    from runstack.flavor_registry import FlavorRegistry
    from runstack.store.base import Store


def import_stack(
    store: Store,
    flavors: FlavorRegistry,
    owner: str,
    path: Path,
    name: str | None,
    secrets: Mapping[ComponentType | str, Mapping[str, str]],
) -> Stack:
    """Create the stack a file describes, owned by `owner` (see `Client.import_stack`)."""
    from runstack.implementations import require_implementation
    from runstack.stack_files import read_stack_file

    definition = read_stack_file(path)
    stack_name = name or definition.name
    check_stack_name(store, stack_name)
    if any(stack.name == stack_name for stack in store.stacks.list()):
        raise _stack_name_taken(path, stack_name)
    missing = missing_required(definition.components)
    if missing is not None:
        raise ConfigError(
            f"{path}: a stack needs {missing.with_article}; "
            f"add a [components.{missing.value}] table"
        )
    given = _given_secrets(path, definition.components, secrets)
    members: dict[ComponentType, StackComponent] = {}
    lacking: dict[ComponentType, list[str]] = {}
    for kind, spec in definition.components.items():
        where = f"{path}: the {kind.noun} {spec.name!r}"
        try:
            flavor = flavors.get(kind, spec.flavor)
        except NotFoundError as error:
            raise NotFoundError(f"{where}: {error}") from None
        require_implementation(flavor)
        secret_keys = {field.name for field in flavor.fields() if field.secret}
        not_secret = sorted(set(given.get(kind, {})) - secret_keys)
        if not_secret:
            raise ConfigError(
                f"{path}: --secret {kind.value}.{not_secret[0]}: {not_secret[0]!r} is not a "
                f"secret key of the {kind.noun} {spec.name!r}; put it in the file's config"
            )
        unknown = [key for key in spec.secrets if key not in secret_keys]
        if unknown:
            raise ConfigError(
                f"{where}: the file names {unknown[0]!r} as a secret, which is not a secret "
                f"key of the {flavor.label}; fix the file, then import again"
            )
        lacking[kind] = [key for key in spec.secrets if key not in given.get(kind, {})]
        try:
            settings, kept = validated_config(flavor, {**spec.config, **given.get(kind, {})})
        except ConfigError as error:
            if lacking[kind]:  # what is wrong may well be the secret left out
                raise _secrets_needed(path, [(kind, k) for k in lacking[kind]]) from None
            raise ConfigError(f"{where}: {error}; fix the file, then import again") from None
        if existing_component(store, kind, spec.name) is None:
            check_component_name(store, spec.name, kind)
        members[kind] = StackComponent.new(
            name=spec.name,
            type=kind,
            flavor=spec.flavor,
            config=settings,
            secrets=kept,
            owner=owner,
        )
    check_reachable(flavors, stack_name, members)
    stack = Stack.new(name=stack_name, owner=owner, components=members)
    try:
        return store.stacks.create(stack, list(members.values()), lacking=lacking)
    except MissingSecretsError as error:
        raise _secrets_needed(path, error.missing) from None
    except AlreadyExistsError:
        raise _stack_name_taken(path, stack_name) from None
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


def _stack_name_taken(path: Path, name: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"{path}: a stack named {name!r} already exists; import it under another name with --name"
    )


def _given_secrets(
    path: Path,
    components: Mapping[ComponentType, object],
    secrets: Mapping[ComponentType | str, Mapping[str, str]],
) -> dict[ComponentType, dict[str, str]]:
    """The secrets given for an import, by type, each for a component the file has."""
    from runstack.secret_references import check_written

    given = {ComponentType.parse(kind): dict(values) for kind, values in secrets.items()}
    for kind, values in given.items():
        if kind not in components:
            raise ConfigError(f"{path}: --secret names {kind.with_article}, but the stack has none")
        for key, value in values.items():
            try:
                check_written(key, value)
            except ConfigError as error:
                raise ConfigError(f"{path}: --secret {kind.value}.{key}: {error}") from None
    return given


def _secrets_needed(path: Path, missing: Sequence[tuple[str, str]]) -> ConfigError:
    names = [f"{kind}.{key}" for kind, key in missing]
    return ConfigError(
        f"{path}: the stack file leaves out secrets its components need: {', '.join(names)}; "
        f"give each with --secret {names[0]}='{{{{env.NAME}}}}' (or '{{{{file:PATH}}}}', or "
        "the value), then import again"
    )
