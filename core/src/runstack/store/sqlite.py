"""The embedded store: one SQLite file, held by one table object per kind of record."""

from __future__ import annotations

import copy
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from runstack.store.sqlite_components import ComponentTable
from runstack.store.sqlite_db import SqliteDatabase
from runstack.store.sqlite_stacks import StackTable, seed_default_stack

if TYPE_CHECKING:
    from runstack.store.sqlite_artifacts import ArtifactTable
    from runstack.store.sqlite_runs import RunTable
    from runstack.store.sqlite_step_runs import StepRunTable
    from runstack.store.sqlite_users import UserTable


class SqliteStore:
    """A `Store` in a local SQLite file, created with the default stack on first use.

    The run, step-run and artifact tables are built (and their modules imported) on
    first use, so stack commands never load them. They keep no state of their own
    beyond the crashes they share, so two threads building one at once is harmless.
    """

    def __init__(self, path: Path, *, owner: str) -> None:
        self.owner = owner
        self.database = SqliteDatabase(path, owner=owner, seed=seed_default_stack)
        self.location = self.database.location
        self.components = ComponentTable(self.database)
        self.stacks = StackTable(self.database)
        # Runs found crashed that the store could not record, shown as crashed all the same.
        self._unrecorded_crashes: dict[str, str] = {}

    @cached_property
    def runs(self) -> RunTable:
        from runstack.store.sqlite_runs import RunTable

        return RunTable(self.database, self._unrecorded_crashes)

    @cached_property
    def step_runs(self) -> StepRunTable:
        from runstack.store.sqlite_step_runs import StepRunTable

        return StepRunTable(self.database, self._unrecorded_crashes)

    @cached_property
    def users(self) -> UserTable:
        from runstack.store.sqlite_users import UserTable

        return UserTable(self.database)

    def acting_as(self, user_name: str) -> SqliteStore:
        """The same database and tables, used by `user_name` (a server makes one per request)."""
        view = copy.copy(self)
        view.owner = user_name
        return view

    @cached_property
    def artifacts(self) -> ArtifactTable:
        from runstack.store.sqlite_artifacts import ArtifactTable

        return ArtifactTable(self.database)
