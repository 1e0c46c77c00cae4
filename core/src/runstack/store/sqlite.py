"""The embedded store: one SQLite file, held by one table object per kind of record."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from runstack.store.sqlite_components import ComponentTable
from runstack.store.sqlite_db import SqliteDatabase
from runstack.store.sqlite_stacks import StackTable, seed_default_stack

if TYPE_CHECKING:
    from runstack.store.sqlite_artifacts import ArtifactTable
    from runstack.store.sqlite_crashes import UnrecordedCrashes
    from runstack.store.sqlite_runs import RunTable
    from runstack.store.sqlite_step_runs import StepRunTable


class SqliteStore:
    """A `Store` in a local SQLite file, created with the default stack on first use.

    It acts as one user (`owner`, who also owns the default stack of a new store);
    `acting_as` gives the same store to another. The run, step-run and artifact
    tables are built (and their modules imported) on first use, so stack commands
    never load them. They keep no state of their own beyond the crashes they share,
    so two threads building one at once is harmless.
    """

    def __init__(self, path: Path, *, owner: str) -> None:
        self._view(SqliteDatabase(path, owner=owner, seed=seed_default_stack), owner, {})

    def acting_as(self, user_name: str) -> SqliteStore:
        """This store as `user_name` sees and changes it: the same database and connections,
        opened and migrated once (a server builds one per request)."""
        store = SqliteStore.__new__(SqliteStore)
        store._view(self.database, user_name, self._unrecorded_crashes)
        return store

    def _view(self, database: SqliteDatabase, user: str, crashes: UnrecordedCrashes) -> None:
        self.database = database
        self.location = database.location
        self.user = user
        self.components = ComponentTable(database, user)
        self.stacks = StackTable(database, user)
        # Runs found crashed that the store could not record, shown as crashed all the same.
        self._unrecorded_crashes = crashes

    @cached_property
    def runs(self) -> RunTable:
        from runstack.store.sqlite_runs import RunTable

        return RunTable(self.database, self._unrecorded_crashes, self.user)

    @cached_property
    def step_runs(self) -> StepRunTable:
        from runstack.store.sqlite_step_runs import StepRunTable

        return StepRunTable(self.database, self._unrecorded_crashes)

    @cached_property
    def artifacts(self) -> ArtifactTable:
        from runstack.store.sqlite_artifacts import ArtifactTable

        return ArtifactTable(self.database)
