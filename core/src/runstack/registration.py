"""The checks every registration passes, from `register`, `update`, `rename` or `stack import`.

Component and stack names live in a namespace with their ids (lookups take either),
and a config is stored only once its flavor's model accepts it, secrets split off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runstack.component_types import ComponentType
from runstack.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from runstack.flavors import Flavor
    from runstack.stacks import Stack, StackComponent
    from runstack.store.base import Store

_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_component_name(store: Store, name: str, kind: ComponentType) -> None:
    """Refuse a component name outside the pattern, or one that is a component's id."""
    from runstack.names import check_not_an_id  # only registrations check names

    _check_pattern(name, kind.noun)
    check_not_an_id(name, kind.noun, lambda: ((c.id, c.name) for c in store.components.list(kind)))


def check_stack_name(store: Store, name: str) -> None:
    """Refuse a stack name outside the pattern, or one that is a stack's id."""
    from runstack.names import check_not_an_id

    _check_pattern(name, "stack")
    check_not_an_id(name, "stack", lambda: ((s.id, s.name) for s in store.stacks.list()))


def existing_component(store: Store, kind: ComponentType, name: str) -> StackComponent | None:
    """The component of this type and name or id, or None."""
    try:
        return store.components.get(kind, name)
    except NotFoundError:
        return None


def validated_config(
    flavor: Flavor, values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The config the flavor's model accepts, as (settings, secrets) to store.

    A secret is kept as written (a value, or a `{{env.NAME}}`/`{{file:PATH}}`
    reference, a relative file path made absolute), never resolved here."""
    from runstack.secret_references import anchored, check_written

    settings, secrets = flavor.split_config(flavor.validate_config(values))
    for key, value in secrets.items():
        check_written(key, value)
    return settings, {key: anchored(value) for key, value in secrets.items()}


def stack_members(
    store: Store, names: Mapping[ComponentType, str]
) -> dict[ComponentType, StackComponent]:
    """Look up a stack's components, saying clearly when a name is of another type."""
    members = {}
    for kind, name_or_id in names.items():
        try:
            members[kind] = store.components.get(kind, name_or_id)
        except NotFoundError:
            others = [
                t for t in ComponentType if t != kind and existing_component(store, t, name_or_id)
            ]
            if others:
                raise ConfigError(
                    f"{name_or_id!r} is {others[0].with_article}, not {kind.with_article}; "
                    f"pass it with {others[0].short_option}/--{others[0].cli_name}"
                ) from None
            raise
    lacking = missing_required(members)
    if lacking is not None:
        raise ConfigError(
            f"a stack needs {lacking.with_article}: pass one with "
            f"{lacking.short_option}/--{lacking.cli_name} (see 'runstack {lacking.cli_name} list')"
        )
    return members


def changed_members(
    store: Store, stack: Stack, changes: Mapping[ComponentType, str | None]
) -> dict[ComponentType, StackComponent]:
    """The members `stack` has once `changes` apply; `None` removes an optional component."""
    for kind in (t for t, n in changes.items() if n is None):
        if kind.required:
            raise ConfigError(
                f"a stack needs {kind.with_article}, so it cannot be removed; swap it with "
                f"'runstack stack update {stack.name} {kind.short_option} NAME'"
            )
        if kind not in stack.components:
            raise ConfigError(f"the stack {stack.name!r} has no {kind.noun} to remove")
    names: dict[ComponentType, str | None] = {t: c.id for t, c in stack.components.items()}
    names.update(changes)
    return stack_members(store, {t: n for t, n in names.items() if n is not None})


def missing_required(members: Mapping[ComponentType, object]) -> ComponentType | None:
    """The first component type a stack needs that `members` lacks, if any."""
    return next((kind for kind in ComponentType if kind.required and kind not in members), None)


def _check_pattern(name: str, what: str) -> None:
    if not _NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"invalid {what} name {name!r}: use letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, at most 64 characters"
        )
