"""Meta-tests: the plugin contract and the CLI stay documented and tested."""

from __future__ import annotations

import inspect
import re
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


def _hook_reference() -> dict[str, tuple[str, str]]:
    """Each hook's documented signature and text, from CONTRIBUTING's "Hook reference"."""
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = contributing.partition("\n## Hook reference\n")[2].partition("\n## ")[0]
    entries = {}
    for entry in section.split("\n### ")[1:]:
        name, _, body = entry.partition("\n")
        signature = re.search(r"```python\n(def .*?)\n```", body, re.DOTALL)
        assert signature, f"the hook reference for {name} shows no `def` in a python block"
        entries[name.strip("` ")] = (signature.group(1), body.replace(signature.group(0), ""))
    return entries


def _declared_signature(hook: str) -> str:
    """The hookspec's signature as a plugin author writes it (annotations as text)."""
    signature = inspect.signature(getattr(hookspecs, hook))
    parameters = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"def {hook}({parameters}) -> {signature.return_annotation}"


def test_the_hook_reference_lists_every_hook() -> None:
    assert sorted(_hook_reference()) == sorted(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook: str) -> None:
    docstring = inspect.getdoc(getattr(hookspecs, hook))
    assert docstring, f"hook {hook} has no docstring"
    signature, text = _hook_reference().get(hook, ("", ""))
    assert " ".join(signature.split()) == _declared_signature(hook)
    when = docstring.split("\n\n")[0]
    assert " ".join(when.split()) in " ".join(text.split()), "say when the hook is called"


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
