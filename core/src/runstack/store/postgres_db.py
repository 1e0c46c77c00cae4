"""The store's database on a PostgreSQL server: a pool of connections, one writer at a time, and
the same migrations as SQLite applied on open, with the schema version kept in a table."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.abc import Buffer
from psycopg.types.string import StrDumperUnknown
from psycopg_pool import ConnectionPool

from runstack.errors import StoreError
from runstack.store.postgres_errors import database_error, server_location
from runstack.store.sql_schema import MIGRATIONS, SCHEMA_VERSION, newer_schema_error, statements

if TYPE_CHECKING:
    from runstack.store.sql_database import Seed

CONNECT_TIMEOUT_SECONDS = 10
POOL_SIZE = 20
# How long a read or write waits for a free connection of the pool.
POOL_WAIT_SECONDS = 30.0
# The advisory lock every write transaction and migration takes: the tables check, then
# insert, as under SQLite's `BEGIN IMMEDIATE`, which holds only while writers take turns.
WRITE_LOCK = 0x72756E73_7461636B  # "runstack"
VERSION_TABLE = "runstack_schema"

_PORTABLE_TYPES = {
    # SQLite compares text byte by byte, whatever the server's locale orders by.
    "TEXT": 'TEXT COLLATE "C"',
    # SQLite's INTEGER is 64 bits (artifact sizes pass 2 GiB), its REAL a double.
    "INTEGER": "BIGINT",
    "REAL": "DOUBLE PRECISION",
}


class NulFreeStrDumper(StrDumperUnknown):
    """PostgreSQL's text cannot hold NUL, SQLite's can: a step's log line or error carrying one
    is stored with U+FFFD in its place, rather than failing the write and the run with it."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "\ufffd"))


def configure(connection: psycopg.Connection[Any]) -> None:
    """Ready a new connection for the tables' text."""
    connection.adapters.register_dumper(str, NulFreeStrDumper)


class PostgresConnection:
    """A pooled connection inside one write transaction, taking the tables' `?` placeholders."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor[Any]:
        return self._connection.execute(placeholders(sql), parameters)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> psycopg.Cursor[Any]:
        cursor = self._connection.cursor()
        cursor.executemany(placeholders(sql), parameters)
        return cursor


class PostgresDatabase:
    """One PostgreSQL database, migrated on open; writers take turns, readers do not wait.

    Opening connects once on its own, so a wrong URL, password or host fails at once
    with the server's reason, then keeps a pool the threads of a server share.
    """

    def __init__(self, url: str, *, owner: str, seed: Seed) -> None:
        self._url = url
        self.location = server_location(url)
        with self._failures(writing=True):
            with psycopg.connect(
                url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            ) as connection:
                configure(connection)
                self._migrate(connection, owner, seed)
            self._pool = ConnectionPool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
                configure=configure,
                # A connection the server dropped (a restart) is replaced, not handed out.
                check=ConnectionPool.check_connection,
                timeout=POOL_WAIT_SECONDS,
                name="runstack-store",
                open=False,
            )
            try:
                self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
            except BaseException:
                self._pool.close()
                raise

    def _migrate(self, connection: psycopg.Connection[Any], owner: str, seed: Seed) -> None:
        """Bring the schema up to date (a new store: create it and the default stack).

        A current store is only read. Otherwise one transaction holds the write lock,
        so openers racing here migrate once and no write sees half a schema.
        """
        if self._version(connection) == SCHEMA_VERSION:
            return
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            connection.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER)")
            version = self._version(connection)
            if version == 0 and self._has_other_tables(connection):
                raise StoreError(
                    f"the database {self.location} holds tables runstack did not make; it is "
                    "left untouched: give runstack an empty database of its own"
                )
            for script in MIGRATIONS[version:]:
                for statement in statements(script):
                    connection.execute(portable(statement))
            if version == 0:
                seed(PostgresConnection(connection), owner)
            connection.execute(f"DELETE FROM {VERSION_TABLE}")
            connection.execute(
                f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)", (SCHEMA_VERSION,)
            )

    def _version(self, connection: psycopg.Connection[Any]) -> int:
        exists = connection.execute("SELECT to_regclass(%s)", (VERSION_TABLE,)).fetchone()
        if exists is None or exists[0] is None:
            return 0
        row = connection.execute(f"SELECT MAX(version) FROM {VERSION_TABLE}").fetchone()
        version = int(row[0]) if row and row[0] is not None else 0
        if version > SCHEMA_VERSION:
            raise newer_schema_error(self.location, version, SCHEMA_VERSION)
        return version

    def _has_other_tables(self, connection: psycopg.Connection[Any]) -> bool:
        row = connection.execute(
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name <> %s",
            (VERSION_TABLE,),
        ).fetchone()
        return bool(row and row[0])

    @contextmanager
    def _failures(self, *, writing: bool) -> Iterator[None]:
        """PostgreSQL's errors as the store's one-line errors."""
        try:
            yield
        except psycopg.Error as error:
            raise database_error(self._url, error, writing=writing) from None

    @contextmanager
    def transaction(self) -> Iterator[PostgresConnection]:
        """One write transaction, after the writers before it (the write lock)."""
        with (
            self._failures(writing=True),
            self._pool.connection() as connection,
            connection.transaction(),
        ):
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield PostgresConnection(connection)

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        with self._failures(writing=False), self._pool.connection() as connection:
            return connection.execute(placeholders(sql), parameters).fetchall()

    def close(self) -> None:
        self._pool.close()


@lru_cache(maxsize=1024)
def placeholders(sql: str) -> str:
    """The tables' SQL for psycopg: `?` becomes `%s` outside quoted text, `%` is doubled."""
    parts = sql.replace("%", "%%").split("'")
    return "'".join(part.replace("?", "%s") if i % 2 == 0 else part for i, part in enumerate(parts))


def portable(statement: str) -> str:
    """A migration's statement with SQLite's column types as PostgreSQL spells them."""
    return re.sub(r"\b(TEXT|INTEGER|REAL)\b", lambda m: _PORTABLE_TYPES[m[1]], statement)
