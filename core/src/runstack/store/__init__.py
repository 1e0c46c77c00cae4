"""Persistence of components, stacks, runs and artifact records behind one interface: an SQLite
file on this machine or a team's PostgreSQL server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from runstack.errors import StoreError
from runstack.store.base import Store

if TYPE_CHECKING:
    from runstack.store.sql_store import SqlStore

__all__ = ["Store", "open_store"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"


def open_store(url: str, *, owner: str) -> SqlStore:
    """The store at `url`, acting for the user `owner`: `postgresql://USER:PASSWORD@HOST:PORT/DB`,
    or an SQLite file as `sqlite:///PATH` (`sqlite:////abs/path` for an absolute one) or a path.
    """
    if url.startswith(POSTGRES_SCHEMES):
        try:
            from runstack.store.postgres import PostgresStore
        except ModuleNotFoundError as error:
            if error.name not in ("psycopg", "psycopg_pool"):
                raise
            raise StoreError(
                f"a PostgreSQL store needs {error.name}, which is not installed: "
                "pip install 'runstack[server]'"
            ) from None
        return PostgresStore(url, owner=owner)
    if "://" in url and not url.startswith(SQLITE_SCHEME):
        scheme = url.partition("://")[0]
        raise StoreError(
            f"unknown kind of store {scheme + '://'!r}: give postgresql://USER:PASSWORD@HOST:"
            "PORT/DATABASE, sqlite:///PATH or the path of an SQLite file"
        )
    from runstack.store.sqlite import SqliteStore

    return SqliteStore(Path(url.removeprefix(SQLITE_SCHEME)).expanduser(), owner=owner)
