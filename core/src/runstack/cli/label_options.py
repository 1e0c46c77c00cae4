"""`--label KEY=VALUE` and `--remove-label KEY`, shared by the stack and component commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def label_option(purpose: str) -> Callable[[F], F]:
    """`--label/-l KEY=VALUE`, repeatable; `purpose` ends the help ("Set a label", "Only ...")."""
    return click.option("--label", "-l", "labels", multiple=True, metavar="KEY=VALUE", help=purpose)


def remove_label_option() -> Callable[[F], F]:
    return click.option(
        "--remove-label",
        "removed_labels",
        multiple=True,
        metavar="KEY",
        help="Drop this label (repeatable).",
    )


def given_labels(texts: Sequence[str]) -> dict[str, str]:
    """The `--label` values as a mapping (the label rules load only when some are given)."""
    if not texts:
        return {}
    from runstack.labels import parse_labels

    return parse_labels(texts)


def shown_labels(labels: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(labels.items()))
