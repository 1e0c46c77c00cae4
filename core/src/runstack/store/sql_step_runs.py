"""Step runs in the store: each step of a run, the artifacts it read and made, its logs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runstack.errors import NotFoundError
from runstack.runs import ArtifactRecord, StepRunRecord, StepStatus
from runstack.store.sql_artifacts import insert_artifact
from runstack.store.sql_crashes import UnrecordedCrashes, shown_step_runs
from runstack.store.sql_run_rows import (
    RUN_FROM,
    STEP_COLUMNS,
    merge_metadata,
    step_run_from_row,
    to_iso,
    to_json,
)

if TYPE_CHECKING:
    from runstack.store.sql_database import Connection, Database


class StepRunTable:
    """The step runs, and the cache's lookups among them."""

    def __init__(self, database: Database, unrecorded_crashes: UnrecordedCrashes) -> None:
        self.database = database
        self._unrecorded_crashes = unrecorded_crashes

    def start(self, step_run: StepRunRecord, position: int) -> None:
        """Record that a step started (so a crash leaves a trace of what was running)."""
        with self.database.transaction() as connection:
            _upsert(connection, step_run, position, logs="")

    def finish(
        self,
        step_run: StepRunRecord,
        position: int,
        logs: str,
        new_artifacts: Sequence[ArtifactRecord] = (),
    ) -> list[ArtifactRecord]:
        """Record a finished step with the artifacts it made, in one transaction.

        Its metadata joins what was logged for it while it ran (`add_metadata`). Returns
        the artifacts as stored, with their versions assigned.
        """
        with self.database.transaction() as connection:
            stored = [insert_artifact(connection, artifact) for artifact in new_artifacts]
            _upsert(connection, step_run, position, logs)
            if step_run.metadata:  # joins what was logged for it while it ran, key by key
                merge_metadata(connection, "step_runs", step_run.id, step_run.metadata)
            links = [(step_run.id, "input", n, a) for n, a in step_run.inputs.items()]
            links += [(step_run.id, "output", n, a) for n, a in step_run.outputs.items()]
            connection.executemany(
                "INSERT INTO step_run_artifacts (step_run_id, direction, name, artifact_id) "
                "VALUES (?, ?, ?, ?)",
                links,
            )
            return stored

    def add_metadata(self, step_run_id: str, values: dict[str, Any]) -> None:
        with self.database.transaction() as connection:
            merge_metadata(connection, "step_runs", step_run_id, values)

    def get(self, step_run_id: str) -> StepRunRecord:
        rows = self.database.query(
            f"SELECT {STEP_COLUMNS} FROM step_runs WHERE id = ?", (step_run_id,)
        )
        if not rows:
            raise NotFoundError(f"no step run with id {step_run_id!r}")
        return self._with_links(rows)[0]

    def run_name(self, step_run_id: str) -> str:
        """The name of the run a step run belongs to (to say where a cache hit came from)."""
        rows = self.database.query(
            "SELECT r.name FROM step_runs s JOIN runs r ON r.id = s.run_id WHERE s.id = ?",
            (step_run_id,),
        )
        if not rows:
            raise NotFoundError(f"no step run with id {step_run_id!r}")
        return str(rows[0][0])

    def logs(self, step_run_id: str) -> str:
        rows = self.database.query("SELECT logs FROM step_runs WHERE id = ?", (step_run_id,))
        return str(rows[0][0]) if rows else ""

    def find_cached(
        self, cache_key: str, artifact_store_id: str, pipeline_name: str, invocation: str
    ) -> StepRunRecord | None:
        """The newest successful step run with this cache key in this artifact store.

        One of the same step of the same pipeline comes first: twin branches of a pipeline
        (one step called twice alike) then each reuse their own outputs, so the steps after
        them find their cache keys again, whichever twin finished last.
        """
        return self._newest_successful(
            "cache_key = ? AND artifact_store_id = ?",
            (cache_key, artifact_store_id),
            first=("pipeline_name = ? AND invocation = ?", (pipeline_name, invocation)),
        )

    def previous(
        self, pipeline_name: str, invocation: str, artifact_store_id: str
    ) -> StepRunRecord | None:
        """The newest successful run of the same step of the same pipeline, to explain a miss."""
        return self._newest_successful(
            "pipeline_name = ? AND invocation = ? AND artifact_store_id = ?",
            (pipeline_name, invocation, artifact_store_id),
        )

    def _newest_successful(
        self,
        where: str,
        parameters: Sequence[Any],
        first: tuple[str, Sequence[Any]] = ("1 = 1", ()),
    ) -> StepRunRecord | None:
        """The newest match, preferring those that also meet the condition `first`."""
        preferred, preferred_parameters = first
        rows = self.database.query(
            f"SELECT {STEP_COLUMNS} FROM step_runs WHERE {where} AND status IN (?, ?) "
            f"ORDER BY CASE WHEN {preferred} THEN 0 ELSE 1 END, finished DESC LIMIT 1",
            (
                *parameters,
                StepStatus.COMPLETED.value,
                StepStatus.CACHED.value,
                *preferred_parameters,
            ),
        )
        return self._with_links(rows)[0] if rows else None

    def _with_links(self, rows: Sequence[Any]) -> list[StepRunRecord]:
        if not rows:
            return []
        ids = [row[0] for row in rows]
        links = self.database.query(
            "SELECT step_run_id, direction, name, artifact_id FROM step_run_artifacts "
            f"WHERE step_run_id IN ({', '.join('?' * len(ids))})",
            ids,
        )
        grouped: dict[str, dict[str, dict[str, str]]] = {
            i: {"input": {}, "output": {}} for i in ids
        }
        for step_run_id, direction, name, artifact_id in links:
            grouped[step_run_id][direction][name] = artifact_id
        steps = [
            step_run_from_row(row, grouped[row[0]]["input"], grouped[row[0]]["output"])
            for row in rows
        ]
        return shown_step_runs(steps, self._unrecorded_crashes)

    def list(self, run_id: str) -> list[StepRunRecord]:
        """The step runs of a run, in the order the pipeline declared its steps."""
        rows = self.database.query(
            f"SELECT {STEP_COLUMNS} FROM step_runs WHERE run_id = ? ORDER BY position", (run_id,)
        )
        return self._with_links(rows)


def _upsert(connection: Connection, step_run: StepRunRecord, position: int, logs: str) -> None:
    connection.execute(
        "INSERT INTO step_runs (id, run_id, pipeline_name, artifact_store_id, invocation, "
        "step_name, position, status, started, finished, cache_key, cache_parts, parameters, "
        "reason, cached_from, error, attempts, logs, log_uri, log_size, worker, metadata, "
        "model_version_id) "
        "SELECT ?, r.id, p.name, r.artifact_store_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ? "
        f"{RUN_FROM} WHERE r.id = ? "
        "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
        "started = excluded.started, finished = excluded.finished, "
        "reason = excluded.reason, cached_from = excluded.cached_from, "
        "error = excluded.error, attempts = excluded.attempts, logs = excluded.logs, "
        "log_uri = excluded.log_uri, log_size = excluded.log_size, worker = excluded.worker",
        (
            step_run.id,
            step_run.invocation,
            step_run.step_name,
            position,
            step_run.status.value,
            to_iso(step_run.started),
            to_iso(step_run.finished),
            step_run.cache_key,
            json.dumps(step_run.cache_parts),
            json.dumps(step_run.parameters),
            step_run.reason,
            step_run.cached_from,
            step_run.error,
            step_run.attempts,
            logs,
            step_run.log_uri,
            step_run.log_size,
            step_run.worker,
            to_json(step_run.metadata),
            step_run.model_version_id,
            step_run.run_id,
        ),
    )
