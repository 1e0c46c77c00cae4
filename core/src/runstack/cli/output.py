"""How commands print: tables for people, `--output json` for scripts, from the same data."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import click

from runstack.cli.table import (
    ASCII_BOX,
    UNICODE_BOX,
    Box,
    render_plain,
    render_table,
    terminal_width,
)

F = TypeVar("F", bound=Callable[..., Any])

SHORT_ID_LENGTH = 8


def output_option(*names: str) -> Callable[[F], F]:
    """`--output table|json` (plus `-o` where the command has no other use for it)."""
    return click.option(
        *(names or ("--output", "-o")),
        "output",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="Print a table for people or JSON for scripts.",
    )


def _unicode_ok() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "┃👉➖✔".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def box() -> Box:
    return UNICODE_BOX if _unicode_ok() else ASCII_BOX


def active_marker(active: bool) -> str:
    if not active:
        return ""
    return "👉" if _unicode_ok() else "*"


def shared_marker(shared: bool) -> str:
    if _unicode_ok():
        return "✔" if shared else "➖"
    return "yes" if shared else "no"


def short_id(identifier: str) -> str:
    return identifier[:SHORT_ID_LENGTH]


def echo_ownership(what: str, name: str, identifier: str, owner: str, shared: bool) -> None:
    """The sentence the stack docs print under a stack: who owns it, private or shared."""
    privacy = "shared" if shared else "private"
    echo_wrapped(
        f"{what} '{name}' with id '{identifier}' is owned by user {owner} and is '{privacy}'."
    )


def to_terminal() -> bool:
    """Whether output goes to a person's terminal (boxes, wrapping) or a pipe (plain lines).

    RUNSTACK_FORCE_TTY=1 asks for the terminal's form anyway, as GH_FORCE_TTY does for gh.
    """
    if os.environ.get("RUNSTACK_FORCE_TTY", "") not in ("", "0"):
        return True
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def echo_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    wrapping: Sequence[str] = (),
    title: str | None = None,
    caption: str | None = None,
    row_rules: bool = False,
    empty: str = "",
) -> None:
    """A boxed table fitted to the terminal, or plain columns in a pipe (no title, caption).

    `wrapping` names the columns whose text may wrap (descriptions, values); the
    others stay on one line, shortened when the terminal is narrow. With no rows,
    `empty` (saying what would fill the list) goes to stderr instead, so a pipe
    gets nothing.
    """
    if not rows and empty:
        click.echo(empty, err=True)
        return
    if not to_terminal():
        click.echo(render_plain(headers, rows))
        return
    click.echo(
        render_table(
            headers,
            rows,
            wrapping=wrapping,
            title=title,
            caption=caption,
            row_rules=row_rules,
            box=box(),
        )
    )


def echo_wrapped(text: str) -> None:
    """A sentence, wrapped at word boundaries to a terminal's width (whole in a pipe)."""
    click.echo(click.wrap_text(text, width=terminal_width()) if to_terminal() else text)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


def timestamp(moment: datetime | None) -> str:
    """Times in tables: local time to the second, no zone noise."""
    return "" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_value(value: Any) -> str:
    """Config values in tables: JSON for containers, plain text otherwise."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return "" if value is None else str(value)


def echo_metadata(heading: str, metadata: Mapping[str, Any]) -> None:
    """Metadata under a heading, one aligned `key: value` line each, as `run describe` and
    `artifact describe` show it; nothing at all when there is none."""
    if not metadata:
        return
    click.echo(f"\n{heading}")
    width = max(len(key) for key in metadata) + 2
    for key, value in metadata.items():
        click.echo(f"  {key + ':':<{width}}{format_value(value)}")
