"""Runs in the store: one row per pipeline run, with the pipeline it ran and its process."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runstack.errors import AlreadyExistsError, NotFoundError
from runstack.processes import heartbeat_limit, process_identity, this_host
from runstack.runs import ArtifactRecord, PipelineSummary, RunRecord, RunStatus
from runstack.stacks import new_id, now
from runstack.store.sql_artifacts import ARTIFACT_COLUMNS, artifact_from_row
from runstack.store.sql_crashes import UnrecordedCrashes, mark_crashed_runs, shown_run
from runstack.store.sql_lookups import id_prefix, meant
from runstack.store.sql_run_rows import (
    RUN_COLUMNS,
    RUN_FROM,
    from_iso,
    merge_metadata,
    run_from_row,
    to_json,
)

if TYPE_CHECKING:
    from runstack.store.sql_database import Database

_NO_LIMIT = 2**63 - 1


class RunTable:
    """The runs, which every user sees; reading them first settles those whose process died
    (`sql_crashes`)."""

    def __init__(
        self, database: Database, unrecorded_crashes: UnrecordedCrashes, user: str
    ) -> None:
        self.database = database
        self._unrecorded_crashes = unrecorded_crashes
        self.user = user

    def create(self, run: RunRecord) -> None:
        """Record a starting run (and its pipeline, the first time it runs), owned by the
        acting user: who started it."""
        with self.database.transaction() as connection:
            if connection.execute("SELECT 1 FROM runs WHERE name = ?", (run.name,)).fetchone():
                raise AlreadyExistsError(
                    f"a run named {run.name!r} already exists; put {{date}}, {{time}} or "
                    "{stamp} in run_name, or delete the earlier run"
                )
            connection.execute(
                "INSERT INTO pipelines (id, name, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (new_id(), run.pipeline_name, run.started.isoformat()),
            )
            connection.execute(
                "INSERT INTO runs (id, name, pipeline_id, status, stack_id, stack_name, "
                "artifact_store_id, owner, config, parameters, started, finished, error, "
                "pid, host, heartbeat, heartbeat_limit, process_identity, metadata) "
                "SELECT ?, ?, id, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', ?, ?, ?, ?, ?, ? "
                "FROM pipelines WHERE name = ?",
                (
                    run.id,
                    run.name,
                    run.status.value,
                    run.stack_id,
                    run.stack_name,
                    run.artifact_store_id,
                    self.user,
                    json.dumps(run.config),
                    json.dumps(run.parameters),
                    run.started.isoformat(),
                    run.pid,
                    run.host,
                    now().isoformat(),
                    heartbeat_limit().total_seconds(),
                    _identity_of(run),
                    to_json(run.metadata),
                    run.pipeline_name,
                ),
            )

    def finish(self, run_id: str, status: RunStatus, finished: datetime, error: str) -> None:
        with self.database.transaction() as connection:
            connection.execute(
                "UPDATE runs SET status = ?, finished = ?, error = ? WHERE id = ?",
                (status.value, finished.isoformat(), error, run_id),
            )

    def record_heartbeat(self, run_id: str, moment: datetime) -> None:
        """Note that a running run's process is still at work."""
        with self.database.transaction() as connection:
            connection.execute(
                "UPDATE runs SET heartbeat = ? WHERE id = ? AND status = ?",
                (moment.isoformat(), run_id, RunStatus.RUNNING.value),
            )

    def add_metadata(self, run_id: str, values: dict[str, Any]) -> None:
        with self.database.transaction() as connection:
            merge_metadata(connection, "runs", run_id, values)

    def _run(self, row: Sequence[Any]) -> RunRecord:
        """A run from its row, crashed if found so without the store recording it."""
        return shown_run(run_from_row(row), self._unrecorded_crashes)

    def get(self, name_or_id: str) -> RunRecord:
        mark_crashed_runs(self.database, self._unrecorded_crashes)
        prefix, pattern = id_prefix("r.id", name_or_id)
        rows = self.database.query(
            f"SELECT {RUN_COLUMNS} {RUN_FROM} WHERE r.name = ? OR r.id = ? OR {prefix}",
            (name_or_id, name_or_id, pattern),
        )
        found = meant(rows, name_or_id, lambda row: (row[0], row[1]))
        if found is not None:
            return self._run(found)
        if rows:
            raise NotFoundError(
                f"{name_or_id!r} matches several runs by id prefix; give more of the id or the name"
            )
        raise NotFoundError(f"no run named {name_or_id!r}; see 'runstack run list'")

    def count(
        self,
        *,
        pipeline: str | None = None,
        stack_id: str | None = None,
        status: RunStatus | None = None,
    ) -> int:
        mark_crashed_runs(self.database, self._unrecorded_crashes)
        if self._unrecorded_crashes and status is not None:
            return len(self.list(pipeline=pipeline, stack_id=stack_id, status=status))
        where, parameters = _run_filter(pipeline, stack_id, status)
        return int(self.database.query(f"SELECT COUNT(*) {RUN_FROM}{where}", parameters)[0][0])

    def pipelines(self) -> list[PipelineSummary]:
        rows = self.database.query(
            # COUNT(r.pipeline_id), not COUNT(r.id): the index runs_by_pipeline alone answers it
            "SELECT p.id, p.name, p.created, COUNT(r.pipeline_id), MAX(r.started) FROM pipelines p "
            "LEFT JOIN runs r ON r.pipeline_id = p.id GROUP BY p.id ORDER BY p.name"
        )
        return [
            PipelineSummary(
                id=row[0],
                name=row[1],
                created=datetime.fromisoformat(row[2]),
                runs=row[3],
                last_run=from_iso(row[4]),
            )
            for row in rows
        ]

    def delete(self, run_id: str) -> list[ArtifactRecord]:
        """Delete a run's records; return the artifacts nothing else refers to any more.

        Their rows are deleted too; removing their files is the caller's job.
        """
        with self.database.transaction() as connection:
            # Candidates are the artifacts the run touched, not only those it produced: a
            # cached step links to an earlier run's output, which may be deleted already.
            # Values saved outside any step (no producer) are kept: no run owns them.
            produced = connection.execute(
                f"SELECT {ARTIFACT_COLUMNS} FROM artifacts WHERE producer_step_run_id IN "
                "(SELECT id FROM step_runs WHERE run_id = ?) OR (producer_step_run_id <> '' AND "
                "id IN (SELECT artifact_id FROM step_run_artifacts WHERE step_run_id IN "
                "(SELECT id FROM step_runs WHERE run_id = ?)))",
                (run_id, run_id),
            ).fetchall()
            connection.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            orphans = []
            for row in produced:
                used = connection.execute(
                    "SELECT 1 FROM step_run_artifacts WHERE artifact_id = ? LIMIT 1", (row[0],)
                ).fetchone()
                if not used:
                    connection.execute("DELETE FROM artifacts WHERE id = ?", (row[0],))
                    orphans.append(artifact_from_row(row))
            return orphans

    def using_artifact_store(self, component_id: str) -> list[str]:
        rows = self.database.query(
            "SELECT name FROM runs WHERE artifact_store_id = ? ORDER BY started", (component_id,)
        )
        return [row[0] for row in rows]

    def list(
        self,
        *,
        pipeline: str | None = None,
        stack_id: str | None = None,
        status: RunStatus | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs, newest first, optionally filtered; `offset` skips the newest, for pages."""
        mark_crashed_runs(self.database, self._unrecorded_crashes)
        # A crash the store could not record changes a status only here: filter after it.
        by_status = status if self._unrecorded_crashes else None
        where, parameters = _run_filter(pipeline, stack_id, None if by_status else status)
        sql = f"SELECT {RUN_COLUMNS} {RUN_FROM}{where} ORDER BY r.started DESC, r.name DESC"
        if by_status is None and (limit is not None or offset):
            # SQLite takes OFFSET only after a LIMIT, and PostgreSQL no LIMIT -1: the largest
            # integer both know stands for "no limit".
            sql += f" LIMIT {_NO_LIMIT if limit is None else int(limit)} OFFSET {int(offset)}"
        runs = [self._run(row) for row in self.database.query(sql, parameters)]
        if by_status is None:
            return runs
        matching = [run for run in runs if run.status is by_status][offset:]
        return matching[:limit]


def _identity_of(run: RunRecord) -> str:
    """Which process exactly runs `run`, when it is one of this machine's."""
    if run.pid is None or run.host != this_host():
        return ""
    return process_identity(run.pid)


def _run_filter(
    pipeline: str | None, stack_id: str | None, status: RunStatus | None
) -> tuple[str, list[Any]]:
    """A WHERE clause (or "") and its parameters for the run filters that are set."""
    clauses, parameters = [], []
    for clause, value in (
        ("p.name = ?", pipeline),
        ("r.stack_id = ?", stack_id),
        ("r.status = ?", None if status is None else status.value),
    ):
        if value is not None:
            clauses.append(clause)
            parameters.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), parameters
