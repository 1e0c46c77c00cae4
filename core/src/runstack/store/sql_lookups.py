"""How the store's tables find a record by name, id or id prefix, alike on every database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def id_prefix(column: str, prefix: str) -> tuple[str, str]:
    """A condition matching ids that start with `prefix`, and its parameter.

    `%` and `_` in the prefix are escaped: they are characters a user typed, not
    wildcards (`run delete _cd2` must not delete run `1cd2...`). Ids are lowercase and
    SQLite's LIKE ignores case where PostgreSQL's does not: the prefix is lowered.
    """
    escaped = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{column} LIKE ? ESCAPE '\\'", f"{escaped}%"


def meant(matches: Sequence[T], wanted: str, key: Callable[[T], tuple[str, str]]) -> T | None:
    """Which match of a lookup by name, id or id prefix is meant: the one with this id,
    else the one with this name, else the only one whose id starts with it (None if
    several do). An id wins over a name, so an id always means its object."""
    for part in (0, 1):
        for match in matches:
            if key(match)[part] == wanted:
                return match
    return matches[0] if len(matches) == 1 else None
