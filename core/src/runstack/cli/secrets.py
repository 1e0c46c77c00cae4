"""Asking for a secret on the terminal, never on the command line (shell history, `ps`)."""

from __future__ import annotations

import sys

import click


def ask_secret(option: str, label: str) -> str:
    """Read a secret without echo; with no terminal, say how to pass it instead."""
    if not sys.stdin.isatty():
        raise click.UsageError(
            f"{option} is a secret and has no value, and there is no terminal to ask for it; "
            f"pass {option}='{{{{env.NAME}}}}' or {option}='{{{{file:PATH}}}}' to have it read "
            "from an environment variable or a file whenever the component is used"
        )
    value: str = click.prompt(label, hide_input=True)
    return value
