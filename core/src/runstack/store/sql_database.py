"""What the store's tables need from a SQL database, so the same tables run on SQLite and on
PostgreSQL: a connection inside one write transaction, reads, and the lookups they share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from runstack.errors import StoreError

T = TypeVar("T")


class Cursor(Protocol):
    """What a statement run inside a transaction gives back."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """A connection inside one write transaction; statements use `?` placeholders."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor: ...


class Database(Protocol):
    """One database every table of a store holds: one writer at a time, reads alongside."""

    location: str

    def transaction(self) -> AbstractContextManager[Connection]:
        """One write transaction; writers take turns, so a check and its insert agree."""
        ...

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """The rows of one read."""
        ...

    def close(self) -> None: ...


# Fills a brand-new store, inside the transaction that created it (given the owner's name).
Seed = Callable[[Connection, str], None]


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


def newer_schema_error(location: str, version: int, supported: int) -> StoreError:
    """A store migrated by a newer runstack than this one: refused, not guessed at."""
    return StoreError(
        f"the store {location} was written by a newer runstack (schema {version}, "
        f"this one reads up to {supported}); upgrade runstack to use it"
    )
