"""`runstack flavor list`, and the flavor views every component group reuses."""

from __future__ import annotations

import click

from runstack.cli.output import echo_json, echo_table, echo_wrapped, format_value, output_option
from runstack.client import Client
from runstack.component_types import ComponentType
from runstack.flavor_registry import RegisteredFlavor, install_hint
from runstack.flavors import Flavor


@click.group("flavor")
def flavor() -> None:
    """The flavors installed plugins provide."""


@flavor.command("list")
@click.option("--type", "-t", "component_type", help="Only flavors of this component type.")
@output_option()
def list_flavors(component_type: str | None, output: str) -> None:
    """List every installed flavor, its type, the package it came from and what it does."""
    kind = None if component_type is None else ComponentType.parse(component_type)
    echo_flavors(Client().list_flavors(kind), output, kind)


def no_flavor_hint(kind: ComponentType) -> str:
    """What an empty list of flavors says: what to install to get one."""
    return f"No {kind.noun} flavor is installed: install {install_hint(kind)}."


def echo_flavors(
    entries: list[RegisteredFlavor], output: str, kind: ComponentType | None = None
) -> None:
    if output == "json":
        echo_json(
            [
                {
                    "name": entry.flavor.name,
                    "type": entry.flavor.component_type.value,
                    "distribution": entry.plugin.distribution,
                    "version": entry.plugin.version,
                    "local": entry.flavor.local,
                    "description": entry.flavor.description,
                }
                for entry in entries
            ]
        )
        return
    echo_table(
        ["FLAVOR", "TYPE", "PACKAGE", "DESCRIPTION"],
        [
            [e.flavor.name, e.flavor.component_type.value, e.plugin.origin, e.flavor.description]
            for e in entries
        ],
        wrapping=["DESCRIPTION"],
        empty="No flavors installed." if kind is None else no_flavor_hint(kind),
    )


def describe_flavor(flavor: Flavor, output: str) -> None:
    fields = flavor.fields()
    if output == "json":
        echo_json(
            {
                "name": flavor.name,
                "type": flavor.component_type.value,
                "description": flavor.description,
                "local": flavor.local,
                "config": [
                    {
                        "key": f.name,
                        "type": f.type,
                        "required": f.required,
                        "default": f.default,
                        "secret": f.secret,
                        "description": f.description,
                    }
                    for f in fields
                ],
            }
        )
        return
    echo_wrapped(f"{flavor.label}: {flavor.description}")
    if not fields:
        click.echo("It takes no config.")
        return
    echo_table(
        ["KEY", "TYPE", "DEFAULT", "DESCRIPTION"],
        [
            [
                f.name,
                f.type + (" (secret)" if f.secret else ""),
                "(required)" if f.required else format_value(f.default),
                f.description,
            ]
            for f in fields
        ],
        wrapping=["DEFAULT", "DESCRIPTION"],
    )
