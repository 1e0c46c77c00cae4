"""The embedded store: one SQLite file, created with the default stack on first use."""

from __future__ import annotations

from pathlib import Path

from runstack.store.sql_stacks import seed_default_stack
from runstack.store.sql_store import SqlStore
from runstack.store.sqlite_db import SqliteDatabase


class SqliteStore(SqlStore):
    """A `Store` in a local SQLite file."""

    def __init__(self, path: Path, *, owner: str) -> None:
        super().__init__(SqliteDatabase(path, owner=owner, seed=seed_default_stack), owner)
