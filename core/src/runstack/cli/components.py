"""One command group per component type (`runstack artifact-store ...`), generated from the type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from runstack.cli.flavor import describe_flavor, echo_flavors, no_flavor_hint
from runstack.cli.label_options import (
    given_labels,
    label_option,
    remove_label_option,
    shown_labels,
)
from runstack.cli.output import (
    active_marker,
    echo_json,
    echo_ownership,
    echo_table,
    format_value,
    output_option,
    shared_marker,
    short_id,
)
from runstack.cli.secrets import ask_secret
from runstack.client import Client
from runstack.component_types import ComponentType
from runstack.stacks import StackComponent

if TYPE_CHECKING:
    from runstack.flavors import Flavor

_EXTRA_ARGS = {"ignore_unknown_options": True, "allow_extra_args": True}


def component_group(kind: ComponentType) -> click.Group:
    """The group for one component type: list, describe, register, update, ..., flavor."""
    group = click.Group(kind.cli_name, help=f"Manage {kind.plural} and their flavors.")
    title, plural = kind.noun, kind.plural

    @group.command("list", help=f"List registered {plural}; ACTIVE marks the active stack's.")
    @label_option("Only those with this label (repeatable: all must match).")
    @output_option()
    def list_components(labels: tuple[str, ...], output: str) -> None:
        client = Client()
        components = client.list_components(kind, labels=given_labels(labels))
        active_ids = {c.id for c in client.active_stack.components.values()}
        if output == "json":
            echo_json([{**c.to_dict(), "active": c.id in active_ids} for c in components])
            return
        echo_table(
            ["ACTIVE", "NAME", "COMPONENT ID", "FLAVOR", "SHARED", "OWNER"],
            [
                [
                    active_marker(c.id in active_ids),
                    c.name,
                    short_id(c.id),
                    c.flavor,
                    shared_marker(c.shared),
                    c.owner,
                ]
                for c in components
            ],
            empty="" if components else _nothing_listed(client, kind, labels),
        )

    @group.command(
        "describe",
        help=f"Show one {title} and its config (secrets masked); the active stack's without NAME.",
    )
    @click.argument("name", required=False)
    @output_option()
    def describe(name: str | None, output: str) -> None:
        client = Client()
        stack = client.active_stack
        if name is None and kind not in stack.components:
            raise click.UsageError(
                f"the active stack '{stack.name}' has no {title}; name one "
                f"('runstack {kind.cli_name} list' shows them)"
            )
        component = stack.components[kind] if name is None else client.get_component(kind, name)
        active = component.id in {c.id for c in stack.components.values()}
        if output == "json":
            echo_json({**component.to_dict(), "active": active})
            return
        _echo_component(component, active)

    @group.command(
        "register",
        context_settings=_EXTRA_ARGS,
        help=(
            f"Register a new {title} from a flavor. Config values follow as --KEY=VALUE; "
            f"'runstack {kind.cli_name} flavor describe FLAVOR' lists the keys."
        ),
    )
    @click.argument("name")
    @click.option("--flavor", "-f", required=True, help="The flavor to build it from.")
    @click.option("--share", is_flag=True, help="Share it with every user of the store.")
    @label_option("A label to tag it with (repeatable).")
    @click.pass_context
    def register(
        ctx: click.Context, name: str, flavor: str, share: bool, labels: tuple[str, ...]
    ) -> None:
        client = Client()
        tags = given_labels(labels)
        chosen = client.get_flavor(kind, flavor)
        values = chosen.values_from_text(_with_values(chosen, _config_arguments(ctx.args)))
        component = client.register_component(kind, name, flavor, values, shared=share, labels=tags)
        changes = _changed_values(values, component.shareable_config())
        click.echo(f"Registered {title} '{component.name}' (flavor '{flavor}'){changes}.")

    @group.command(
        "update",
        context_settings=_EXTRA_ARGS,
        help=(
            f"Change config values of {kind.with_article}, given as --KEY=VALUE "
            "(--KEY=null clears one), or its labels."
        ),
    )
    @click.argument("name")
    @label_option("Set this label (repeatable).")
    @remove_label_option()
    @click.pass_context
    def update(
        ctx: click.Context, name: str, labels: tuple[str, ...], removed_labels: tuple[str, ...]
    ) -> None:
        arguments = _config_arguments(ctx.args)
        tags = given_labels(labels)
        if not (arguments or tags or removed_labels):
            raise click.UsageError(
                "give at least one config value as --KEY=VALUE, or --label / --remove-label"
            )
        client = Client()
        component = client.get_component(kind, name)
        changes = ""
        if arguments:
            flavor = client.get_flavor(kind, component.flavor)
            given = flavor.values_from_text(_with_values(flavor, arguments))
            updated = client.update_component(kind, component.id, given)
            changes = _changed_values(given, updated.shareable_config())
        if tags or removed_labels:
            client.relabel_component(kind, component.id, tags, removed_labels)
        click.echo(f"Updated {title} '{component.name}'{changes}.")

    @group.command("rename", help=f"Give {kind.with_article} a new name; stacks keep using it.")
    @click.argument("name")
    @click.argument("new_name")
    def rename(name: str, new_name: str) -> None:
        Client().rename_component(kind, name, new_name)
        click.echo(f"Renamed {title} '{name}' to '{new_name}'.")

    @group.command("share", help=f"Share {kind.with_article} with every user of the store.")
    @click.argument("name")
    def share(name: str) -> None:
        component = Client().share_component(kind, name)
        click.echo(f"{title.capitalize()} '{component.name}' is now shared.")

    def delete(name: str, force: bool = False) -> None:
        component = Client().delete_component(kind, name, force=force)
        click.echo(f"Deleted {title} '{component.name}'.")

    if kind is ComponentType.ARTIFACT_STORE:
        delete = click.option(
            "--force",
            is_flag=True,
            help="Delete it even if recorded runs use it; their files stay where they are.",
        )(delete)
    group.command("delete", help=f"Delete {kind.with_article} that no stack uses.")(
        click.argument("name")(delete)
    )

    flavors = click.Group("flavor", help=f"The installed flavors of {plural}.")
    group.add_command(flavors)

    @flavors.command("list", help=f"List installed {title} flavors.")
    @output_option()
    def flavor_list(output: str) -> None:
        echo_flavors(Client().list_flavors(kind), output, kind)

    @flavors.command("describe", help="Show a flavor's config keys: type, default, description.")
    @click.argument("flavor")
    @output_option()
    def flavor_describe(flavor: str, output: str) -> None:
        describe_flavor(Client().get_flavor(kind, flavor), output)

    return group


def _nothing_listed(client: Client, kind: ComponentType, labels: tuple[str, ...]) -> str:
    """What an empty list says: that none has the labels asked for, or the command that
    shows the flavors to register one from."""
    if labels:
        return (
            f"No {kind.plural} with labels {', '.join(labels)}; "
            f"'runstack {kind.cli_name} list' shows them all."
        )
    if not client.list_flavors(kind):
        return f"No {kind.plural} registered. {no_flavor_hint(kind)}"
    return (
        f"No {kind.plural} registered. "
        f"'runstack {kind.cli_name} flavor list' shows the flavors installed."
    )


def _echo_component(component: StackComponent, active: bool) -> None:
    rows = [
        ["NAME", component.name],
        ["COMPONENT_ID", component.id],
        ["TYPE", component.type.label],
        ["FLAVOR", component.flavor],
        ["SHARED", shared_marker(component.shared)],
        ["OWNER", component.owner],
        *([["LABELS", shown_labels(component.labels)]] if component.labels else []),
        ["CREATED", component.created.isoformat(timespec="seconds")],
        ["UPDATED", component.updated.isoformat(timespec="seconds")],
    ]
    rows += [
        [f"config.{key}", format_value(value)]
        for key, value in sorted(component.public_config().items())
    ]
    state = " (ACTIVE)" if active else ""
    echo_table(
        ["COMPONENT_PROPERTY", "VALUE"],
        rows,
        title=f"{component.type.label} Component Configuration{state}",
        caption=f"'{component.name}' {component.type.noun}{state}",
        row_rules=True,
        wrapping=["VALUE"],
    )
    echo_ownership(
        component.type.noun.capitalize(),
        component.name,
        component.id,
        component.owner,
        component.shared,
    )


def _changed_values(given: Mapping[str, Any], stored: Mapping[str, Any]) -> str:
    """`; path 'rel' is stored as '/abs/rel'` for each text value the flavor's validation
    changed (a relative path made absolute), so the user sees what was really stored."""
    return "".join(
        f"; {key} {value!r} is stored as {stored[key]!r}"
        for key, value in given.items()
        if isinstance(value, str) and isinstance(stored.get(key), str) and stored[key] != value
    )


def _config_arguments(arguments: list[str]) -> dict[str, str | None]:
    """`--key=value`, `--key value` and a bare `--key` (None) into a dict; `-` becomes `_`."""
    values: dict[str, str | None] = {}
    index = 0
    while index < len(arguments):
        token = arguments[index]
        if not token.startswith("--") or token == "--":
            raise click.UsageError(
                f"unexpected argument {token!r}; give config values as --KEY=VALUE"
            )
        key, has_value, given = token[2:].partition("=")
        value: str | None = given
        if not has_value:
            following = arguments[index + 1] if index + 1 < len(arguments) else None
            if following is not None and not following.startswith("--"):
                value, index = following, index + 1
            else:
                value = None
        key = key.replace("-", "_")
        if not key:
            raise click.UsageError(f"config option {token!r} has no key; use --KEY=VALUE")
        if key in values:
            raise click.UsageError(f"config key {key!r} is given twice; give it once")
        values[key] = value
        index += 1
    return values


def _with_values(flavor: Flavor, values: dict[str, str | None]) -> dict[str, str]:
    """Fill keys given without a value: a secret is asked for, any other key is a flag (true)."""
    secret = {field.name for field in flavor.fields() if field.secret}
    return {
        key: (ask_secret(f"--{key}", key) if key in secret else "true") if value is None else value
        for key, value in values.items()
    }
