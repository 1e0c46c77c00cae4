"""`runstack status` and `runstack plugin list`: what is active, where, and what is installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from runstack.cli.output import echo_json, echo_table, output_option
from runstack.client import Client
from runstack.component_types import ComponentType


@click.command("status")
@output_option()
def status(output: str) -> None:
    """Show the active stack, the user, where the store and artifacts live, and the plugins."""
    report = Client().status()
    if output == "json":
        echo_json(report)
        return
    stack = report["active_stack"]
    artifacts = report["artifact_store"]
    lines = [
        ("Active stack", f"{stack['name']} (id {stack['id']})"),
        ("User", report["user"]),
        ("Home", report["home"]),
        ("Config", report["config"]),
        ("Store", _store_in_use(report)),
        (
            "Artifacts",
            f"{artifacts.get('root') or artifacts.get('error', '')} "
            f"(artifact store '{artifacts['name']}')",
        ),
    ]
    for plugin in report["plugins"]:
        registered = [*plugin["flavors"], *(f"materializer:{m}" for m in plugin["materializers"])]
        state = f"FAILED: {plugin['error']}" if plugin["error"] else ", ".join(registered)
        lines.append(
            ("Plugin", f"{plugin['name']} ({plugin['distribution']} {plugin['version']}): {state}")
        )
    for label, value in lines:
        click.echo(f"{label + ':':<14}{value}")


def _store_in_use(report: dict[str, Any]) -> str:
    server = report["server"]
    if server is None:
        return str(report["store"])
    return f"{server['url']} (team server, user {server['user']})"


@click.group("plugin")
def plugin() -> None:
    """Installed plugins, and new ones: `runstack plugin init`."""


@plugin.command("list")
@output_option()
def list_plugins(output: str) -> None:
    """List installed plugins, the flavors and materializers each provides, and their problems."""
    plugins = Client().plugins()
    if output == "json":
        echo_json([p.to_dict() for p in plugins])
        return
    echo_table(
        ["PLUGIN", "PACKAGE", "FLAVORS", "MATERIALIZERS", "STATUS"],
        [
            [
                p.name,
                p.origin,
                ", ".join(p.flavors),
                ", ".join(p.materializers),
                f"failed: {p.error}" if p.error else "ok",
            ]
            for p in plugins
        ],
        wrapping=["FLAVORS", "MATERIALIZERS", "STATUS"],
    )


@plugin.command("init")
@click.argument("name")
@click.option(
    "--type",
    "-t",
    "component_type",
    required=True,
    help="The component type its flavor is of: artifact_store, orchestrator, "
    "experiment_tracker, ...",
)
@click.option("--flavor", "-f", help="The flavor's name (default: NAME).")
@click.option(
    "--directory",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Where to write the plugin's folder.",
)
def init(name: str, component_type: str, flavor: str | None, directory: Path) -> None:
    """Write a new plugin distribution (runstack-NAME) with a flavor, its tests and a README."""
    from runstack.scaffold import plugin_names, write_plugin

    names = plugin_names(name, ComponentType.parse(component_type), flavor)
    target, files = write_plugin(names, directory)
    click.echo(f"Wrote {names.distribution} in {target}:")
    for path in files:
        click.echo(f"  {path.relative_to(target)}")
    click.echo(
        f"Next: pip install -e {target}, then 'runstack {names.kind.cli_name} flavor list' "
        f"shows '{names.flavor}'; fill in the parts marked FILL IN until its tests pass "
        f"(pytest {target})."
    )
