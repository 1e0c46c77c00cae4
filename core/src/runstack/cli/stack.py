"""`runstack stack ...`: register, inspect, switch, share, export and import stacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

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
    output_option,
    shared_marker,
    short_id,
)
from runstack.client import Client
from runstack.component_types import ComponentType
from runstack.stacks import Stack, sorted_components

F = TypeVar("F", bound=Callable[..., Any])


def component_options(function: F) -> F:
    """`-o/--orchestrator NAME`, `-a/--artifact-store NAME`, ... one option per component type."""
    for kind in reversed(ComponentType):
        function = click.option(
            kind.short_option,
            f"--{kind.cli_name}",
            kind.value,
            metavar="NAME",
            help=f"The {kind.noun} (name or id)" + (", required." if kind.required else "."),
        )(function)
    return function


def _chosen(options: dict[str, str | None]) -> dict[ComponentType, str]:
    return {ComponentType(key): value for key, value in options.items() if value is not None}


@click.group("stack")
def stack() -> None:
    """Register, inspect and switch stacks."""


@stack.command("list")
@label_option("Only stacks with this label (repeatable: all must match).")
@output_option()
def list_stacks(labels: tuple[str, ...], output: str) -> None:
    """List all stacks; ACTIVE marks the one pipelines run on."""
    client = Client()
    stacks = client.list_stacks(labels=given_labels(labels))
    active_id = client.active_stack.id
    if output == "json":
        echo_json([{**s.to_dict(), "active": s.id == active_id} for s in stacks])
        return
    used = sorted({kind for s in stacks for kind in s.components}, key=lambda kind: kind.value)
    rows = []
    for s in stacks:
        names = [s.components[kind].name if kind in s.components else "" for kind in used]
        rows.append(
            [
                active_marker(s.id == active_id),
                s.name,
                short_id(s.id),
                shared_marker(s.shared),
                s.owner,
                *names,
            ]
        )
    echo_table(
        ["ACTIVE", "STACK NAME", "STACK ID", "SHARED", "OWNER", *(k.label for k in used)],
        rows,
        empty=f"No stacks with labels {', '.join(labels)}; 'runstack stack list' shows them all.",
    )


@stack.command("describe")
@click.argument("name", required=False)
@output_option()
def describe(name: str | None, output: str) -> None:
    """Show a stack's components (the active stack when no NAME is given)."""
    from runstack.locality import location

    client = Client()
    described = client.get_stack(name)
    active = described.id == client.active_stack.id
    where = {
        kind: location(client.flavors, client.build_component, component)
        for kind, component in described.components.items()
    }
    if output == "json":
        shown = described.to_dict()
        for kind, component in shown["components"].items():
            component["location"] = where[ComponentType(kind)]
        echo_json({**shown, "active": active})
        return
    echo_table(
        ["COMPONENT_TYPE", "COMPONENT_NAME", "FLAVOR", "LOCATION"],
        [
            [kind.label, component.name, component.flavor, where[kind]]
            for kind, component in sorted_components(described.components)
        ],
        title="Stack Configuration",
        caption=f"'{described.name}' stack" + (" (ACTIVE)" if active else ""),
        row_rules=True,
    )
    if described.labels:
        click.echo(f"Labels: {shown_labels(described.labels)}")
    _echo_ownership(described)


def _echo_ownership(described: Stack) -> None:
    echo_ownership("Stack", described.name, described.id, described.owner, described.shared)


@stack.command("register")
@click.argument("name")
@component_options
@click.option("--set", "set_active", is_flag=True, help="Make it the active stack.")
@click.option("--share", is_flag=True, help="Share it with every user of the store.")
@label_option("A label to tag it with (repeatable).")
def register(
    name: str, set_active: bool, share: bool, labels: tuple[str, ...], **components: str | None
) -> None:
    """Register a stack of registered components: at least -o ORCHESTRATOR -a ARTIFACT_STORE."""
    client = Client()
    tags = given_labels(labels)
    created = client.register_stack(name, _chosen(components), shared=share, labels=tags)
    click.echo(f"Registered stack '{created.name}'.")
    if set_active:
        client.set_active_stack(created.id)
        click.echo(f"Active stack set to '{created.name}'.")


@stack.command("update")
@click.argument("name")
@component_options
@label_option("Set this label (repeatable).")
@remove_label_option()
def update(
    name: str, labels: tuple[str, ...], removed_labels: tuple[str, ...], **components: str | None
) -> None:
    """Swap components of a stack, or change its labels."""
    chosen = _chosen(components)
    tags = given_labels(labels)
    if not (chosen or tags or removed_labels):
        raise click.UsageError(
            "name at least one component to change, for example -a my_store, or a label"
        )
    client = Client()
    updated = client.update_stack(name, chosen) if chosen else client.get_stack(name)
    if tags or removed_labels:
        updated = client.relabel_stack(updated.id, tags, removed_labels)
    click.echo(f"Updated stack '{updated.name}'.")


@stack.command("remove-component")
@click.argument("name")
@click.argument("component_type", metavar="TYPE")
def remove_component(name: str, component_type: str) -> None:
    """Remove an optional component (for example `experiment-tracker`) from a stack."""
    kind = ComponentType.parse(component_type)
    updated = Client().update_stack(name, {kind: None})
    click.echo(f"Removed the {kind.noun} from stack '{updated.name}'.")


@stack.command("set")
@click.argument("name")
def set_active(name: str) -> None:
    """Make a stack the active one: pipelines run on it from now on."""
    chosen = Client().set_active_stack(name)
    click.echo(f"Active stack set to '{chosen.name}'.")


@stack.command("rename")
@click.argument("name")
@click.argument("new_name")
def rename(name: str, new_name: str) -> None:
    """Give a stack a new name."""
    Client().rename_stack(name, new_name)
    click.echo(f"Renamed stack '{name}' to '{new_name}'.")


@stack.command("copy")
@click.argument("source")
@click.argument("target")
def copy(source: str, target: str) -> None:
    """Register a new stack with the same components as SOURCE."""
    Client().copy_stack(source, target)
    click.echo(f"Copied stack '{source}' to '{target}'.")


@stack.command("delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete(name: str, yes: bool) -> None:
    """Delete a stack (not the active one); its components stay registered."""
    client = Client()
    target = client.deletable_stack(name)
    if not yes:
        click.confirm(f"Delete stack '{target.name}'?", abort=True)
    client.delete_stack(target.id)
    click.echo(f"Deleted stack '{target.name}'.")


@stack.command("share")
@click.argument("name")
def share(name: str) -> None:
    """Share a stack and its components with every user of the store."""
    shared = Client().share_stack(name)
    _echo_ownership(shared)


@stack.command("export")
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export(name: str, file: Path) -> None:
    """Write a stack and its components to a TOML file; secret values are left out."""
    exported = Client().export_stack(name, file)
    click.echo(f"Exported stack '{exported.name}' to {file}.")


@stack.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", help="Register it under this name instead of the one in the file.")
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="TYPE.KEY=VALUE",
    help="A secret the file names but leaves out, e.g. artifact_store.token='{{env.NAME}}'; "
    "TYPE.KEY alone asks for it.",
)
def import_(file: Path, name: str | None, secrets: tuple[str, ...]) -> None:
    """Register a stack, and any components it needs, from an exported TOML file."""
    imported = Client().import_stack(file, name, secrets=_secret_options(secrets))
    click.echo(f"Imported stack '{imported.name}' from {file}.")


def _secret_options(options: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """`--secret TYPE.KEY=VALUE` options by type; `TYPE.KEY` alone is asked for without echo."""
    from runstack.cli.secrets import ask_secret  # only `stack import` takes secrets

    secrets: dict[str, dict[str, str]] = {}
    for option in options:
        target, has_value, value = option.partition("=")
        kind, _, key = target.partition(".")
        if not kind or not key:
            raise click.UsageError(
                f"--secret takes TYPE.KEY=VALUE (such as artifact_store.token=...), got {option!r}"
            )
        secrets.setdefault(kind, {})[key] = (
            value if has_value else ask_secret(f"--secret {target}", target)
        )
    return secrets
