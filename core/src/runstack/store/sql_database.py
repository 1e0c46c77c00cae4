"""What the store's tables need from a SQL database, so the same tables run on SQLite and on
PostgreSQL: a connection inside one write transaction, and reads. Types only: modules import
it under `TYPE_CHECKING`, so no command pays for building the protocols."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


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
