"""A store in one SQL database (SQLite or PostgreSQL), held by one table object per kind of
record, acting as one user."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from runstack.store.sql_components import ComponentTable
from runstack.store.sql_stacks import StackTable

if TYPE_CHECKING:
    from runstack.store.sql_artifacts import ArtifactTable
    from runstack.store.sql_crashes import UnrecordedCrashes
    from runstack.store.sql_database import Database
    from runstack.store.sql_models import ModelTable
    from runstack.store.sql_runs import RunTable
    from runstack.store.sql_step_runs import StepRunTable
    from runstack.store.sql_users import UserTable


class SqlStore:
    """A `Store` in a SQL database, which the database created with the default stack.

    It acts as one user (`user`, who also owns the default stack of a new store);
    `acting_as` gives the same store to another. The run, step-run and artifact
    tables are built (and their modules imported) on first use, so stack commands
    never load them. They keep no state of their own beyond the crashes they share,
    so two threads building one at once is harmless.
    """

    def __init__(self, database: Database, user: str) -> None:
        self._view(database, user, {})

    def acting_as(self, user_name: str) -> SqlStore:
        """This store as `user_name` sees and changes it: the same database and connections,
        opened and migrated once (a server builds one per request)."""
        store = SqlStore.__new__(SqlStore)
        store._view(self.database, user_name, self._unrecorded_crashes)
        return store

    def _view(self, database: Database, user: str, crashes: UnrecordedCrashes) -> None:
        self.database = database
        self.location = database.location
        self.user = user
        self.components = ComponentTable(database, user)
        self.stacks = StackTable(database, user)
        # Runs found crashed that the store could not record, shown as crashed all the same.
        self._unrecorded_crashes = crashes

    @cached_property
    def runs(self) -> RunTable:
        from runstack.store.sql_runs import RunTable

        return RunTable(self.database, self._unrecorded_crashes, self.user)

    @cached_property
    def step_runs(self) -> StepRunTable:
        from runstack.store.sql_step_runs import StepRunTable

        return StepRunTable(self.database, self._unrecorded_crashes)

    @cached_property
    def artifacts(self) -> ArtifactTable:
        from runstack.store.sql_artifacts import ArtifactTable

        return ArtifactTable(self.database)

    @cached_property
    def models(self) -> ModelTable:
        from runstack.store.sql_models import ModelTable

        return ModelTable(self.database)

    @cached_property
    def users(self) -> UserTable:
        """Who may call a team server on this store, and their tokens."""
        from runstack.store.sql_users import UserTable

        return UserTable(self.database)

    def close(self) -> None:
        """Let go of the database's connections (a server's store, a test's)."""
        self.database.close()
