"""Meta-tests: the plugin contract and the CLI stay documented and tested."""

from __future__ import annotations

import inspect
from pathlib import Path

import click
import pytest

from runstack import hookspecs
from runstack.cli.main import cli
from runstack.component_types import ComponentType

ROOT = Path(__file__).resolve().parent.parent
HOOKS = [
    name
    for name, value in vars(hookspecs).items()
    if inspect.isfunction(value) and hasattr(value, f"{hookspecs.PROJECT_NAME}_spec")
]


def test_there_are_hooks() -> None:
    assert HOOKS == ["register_flavors", "register_materializers"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook: str) -> None:
    assert inspect.getdoc(getattr(hookspecs, hook)), f"hook {hook} has no docstring"
    assert hook in (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_used_by_a_tested_plugin(hook: str) -> None:
    # Flavor plugins carry their own tests; materializers are core's own plugin, tested in tests/.
    tests = [*(ROOT / "plugins").glob("*/tests/*.py"), ROOT / "tests" / "test_materializers.py"]
    sources = [p.read_text(encoding="utf-8") for p in tests]
    assert any(hook in source for source in sources), f"no plugin test exercises {hook}"


def _commands(group: click.Group, ctx: click.Context) -> list[tuple[str, click.Command]]:
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        path = f"{ctx.command_path} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += _commands(command, click.Context(command, info_name=path, parent=ctx))
    return found


def test_every_command_has_help() -> None:
    ctx = click.Context(cli, info_name="runstack")
    commands = _commands(cli, ctx)
    assert len(commands) > 12 * 9, "each component type should bring its commands"
    undocumented = [path for path, command in commands if not (command.help or "").strip()]
    assert undocumented == []


def test_readme_names_every_component_group() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        kind.cli_name
        for kind in ComponentType
        if f"`{kind.cli_name}`" not in readme and f"`runstack {kind.cli_name}`" not in readme
    ]
    assert missing == []
