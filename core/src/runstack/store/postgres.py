"""A team's store on a PostgreSQL server: the same tables as the embedded store, migrated on
open."""

from __future__ import annotations

from runstack.store.postgres_db import PostgresDatabase
from runstack.store.sql_stacks import seed_default_stack
from runstack.store.sql_store import SqlStore


class PostgresStore(SqlStore):
    """A `Store` in a PostgreSQL database, given as `postgresql://USER:PASSWORD@HOST:PORT/DB`."""

    def __init__(self, url: str, *, owner: str) -> None:
        super().__init__(PostgresDatabase(url, owner=owner, seed=seed_default_stack), owner)
