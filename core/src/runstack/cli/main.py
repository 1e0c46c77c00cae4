"""The root `runstack` command: lazy sub-commands and the one place errors become exit codes."""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import Any, NoReturn

import click

from runstack import __version__
from runstack.component_types import ComponentType
from runstack.errors import RunstackError

# name -> (module, attribute, one-line help); modules are imported only when their
# command runs, so `runstack --help` and `runstack stack list` stay fast.
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "stack": ("runstack.cli.stack", "stack", "Register, inspect and switch stacks."),
    "flavor": ("runstack.cli.flavor", "flavor", "List the flavors installed plugins provide."),
    "plugin": ("runstack.cli.status", "plugin", "List installed plugins and their problems."),
    "pipeline": ("runstack.cli.pipeline", "pipeline", "List pipelines and run one."),
    "run": ("runstack.cli.run", "run", "Inspect pipeline runs: steps, logs, caching."),
    "artifact": ("runstack.cli.artifact", "artifact", "Inspect stored step outputs and lineage."),
    "model": ("runstack.cli.model", "model", "Inspect models, their versions and stages."),
    "dashboard": ("runstack.cli.dashboard", "dashboard", "Browse stacks and runs in a browser."),
    "status": ("runstack.cli.status", "status", "Show the active stack, user, store and plugins."),
    "server": ("runstack.cli.server", "server", "Run a team server and manage its users."),
    "login": (
        "runstack.cli.login",
        "login",
        "Use a team server's store from now on.",
    ),
    "logout": ("runstack.cli.login", "logout", "Go back to this machine's embedded store."),
}
_COMPONENT_GROUPS = {kind.cli_name: kind for kind in ComponentType}


class RunstackGroup(click.Group):
    """Loads commands on demand and turns every failure into one line and an exit code.

    With `--debug` (or RUNSTACK_DEBUG=1) the traceback of a failure comes first.
    """

    debug = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*_COMMANDS, *_COMPONENT_GROUPS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _COMPONENT_GROUPS:
            from runstack.cli.components import component_group

            return component_group(_COMPONENT_GROUPS[name])
        if name not in _COMMANDS:
            return None
        module, attribute, _ = _COMMANDS[name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands from the static table, without importing any of them."""
        rows = [(name, help_text) for name, (_, _, help_text) in _COMMANDS.items()]
        rows += [
            (name, f"Manage {kind.plural} and their flavors.")
            for name, kind in _COMPONENT_GROUPS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        self.debug = os.environ.get("RUNSTACK_DEBUG", "") not in ("", "0")
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            try:
                result = super().main(
                    args, prog_name or "runstack", complete_var, standalone_mode=False, **extra
                )
                code = result if isinstance(result, int) else 0
            except RunstackError as error:
                if self.debug:
                    import traceback

                    click.echo("".join(traceback.format_exception(error)).rstrip(), err=True)
                _fail(str(error), error.exit_code)
            except click.UsageError as error:
                hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
                _fail(error.format_message() + hint, error.exit_code)
            except click.ClickException as error:
                _fail(error.format_message(), error.exit_code)
            except click.Abort as error:
                # click turns Ctrl-C into Abort; the shell convention for it is 130.
                if isinstance(error.__cause__, KeyboardInterrupt):
                    _fail("interrupted", 130)
                _fail("aborted", 1)
        if standalone_mode:
            sys.exit(code)
        return code


def _fail(message: str, code: int) -> NoReturn:
    # A message may quote user input (a TOML key, a file name) holding line breaks;
    # escaped, the error stays the one line scripts and people expect.
    click.echo("Error: " + "\\n".join(message.splitlines()), err=True)
    sys.exit(code)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    click.echo(f"Warning: {message}", err=True)


@click.group(cls=RunstackGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="runstack")
@click.option(
    "--debug",
    is_flag=True,
    help="On an error, print its traceback before the one-line message (or RUNSTACK_DEBUG=1).",
)
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """runstack: write ML pipelines once, run them on any stack.

    A stack is an orchestrator, an artifact store and optional components, each
    registered from a flavor that an installed plugin provides.
    """
    if debug and isinstance(context.command, RunstackGroup):
        context.command.debug = True


def main() -> None:
    cli.main()
