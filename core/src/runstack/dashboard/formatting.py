"""How the pages show values: the template filters. Each returns plain text for the templates
to escape, never markup."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from runstack.runs import format_duration, format_size


def moment(value: datetime | None) -> str:
    """Times in UTC to the second: a team's server shows one clock to everyone."""
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def short(identifier: str) -> str:
    """The id prefix every listing shows (and every lookup takes)."""
    return identifier[:8]


def size(count: int | None) -> str:
    """A byte count as the CLI shows it; "" when it is not known."""
    return "" if count is None else format_size(count)


def value(item: Any) -> str:
    """A config value or parameter: JSON for containers and null, the text itself otherwise."""
    if isinstance(item, str):
        return item
    return json.dumps(item, default=str)


def path_part(text: str) -> str:
    """A name made safe as one segment of a URL path (names may hold `?`, `#` or spaces)."""
    return quote(text, safe="")


FILTERS: dict[str, Callable[..., str]] = {
    "duration": format_duration,
    "moment": moment,
    "short": short,
    "size": size,
    "value": value,
    "path_part": path_part,
}
