"""A store in one SQL database (SQLite or PostgreSQL), held by one table object per kind of
record."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from runstack.store.sql_components import ComponentTable
from runstack.store.sql_stacks import StackTable

if TYPE_CHECKING:
    from runstack.store.sql_artifacts import ArtifactTable
    from runstack.store.sql_database import Database
    from runstack.store.sql_runs import RunTable
    from runstack.store.sql_step_runs import StepRunTable


class SqlStore:
    """A `Store` in a SQL database, which the database created with the default stack.

    The run, step-run and artifact tables are built (and their modules imported) on
    first use, so stack commands never load them. They keep no state of their own
    beyond the crashes they share, so two threads building one at once is harmless.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self.location = self.database.location
        self.components = ComponentTable(self.database)
        self.stacks = StackTable(self.database)
        # Runs found crashed that the store could not record, shown as crashed all the same.
        self._unrecorded_crashes: dict[str, str] = {}

    @cached_property
    def runs(self) -> RunTable:
        from runstack.store.sql_runs import RunTable

        return RunTable(self.database, self._unrecorded_crashes)

    @cached_property
    def step_runs(self) -> StepRunTable:
        from runstack.store.sql_step_runs import StepRunTable

        return StepRunTable(self.database, self._unrecorded_crashes)

    @cached_property
    def artifacts(self) -> ArtifactTable:
        from runstack.store.sql_artifacts import ArtifactTable

        return ArtifactTable(self.database)

    def close(self) -> None:
        """Let go of the database's connections (a server's store, a test's)."""
        self.database.close()
