"""Runs, step runs and artifacts in the SQLite store: what ran, what it made, what it read."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runstack.errors import AlreadyExistsError, NotFoundError, StoreError
from runstack.processes import (
    heartbeat_limit,
    is_alive,
    is_same_process,
    process_identity,
    this_host,
)
from runstack.stacks import new_id, now
from runstack.store.sqlite_artifacts import (
    ARTIFACT_COLUMNS,
    ArtifactTables,
    artifact_from_row,
    run_records,
)
from runstack.store.sqlite_db import id_prefix, meant

if TYPE_CHECKING:
    from runstack.runs import (
        ArtifactRecord,
        PipelineSummary,
        RunRecord,
        RunStatus,
        StepRunRecord,
    )

_RUN_COLUMNS = (
    "r.id, r.name, p.name, r.status, r.stack_id, r.stack_name, r.artifact_store_id, r.owner, "
    "r.config, r.parameters, r.started, r.finished, r.error, r.pid, r.host"
)
_RUN_FROM = "FROM runs r JOIN pipelines p ON p.id = r.pipeline_id"
_STEP_COLUMNS = (
    "id, run_id, invocation, step_name, status, started, finished, cache_key, cache_parts, "
    "parameters, reason, cached_from, error, attempts, worker"
)


class RunTables(ArtifactTables):
    """The run-metadata half of the store interface."""

    def __init__(self, path: Path, *, owner: str) -> None:
        super().__init__(path, owner=owner)
        # Runs found crashed that a read-only or full store could not record: shown as
        # crashed all the same (run id -> the error to show).
        self._unrecorded_crashes: dict[str, str] = {}

    # -- runs ----------------------------------------------------------------

    def create_run(self, run: RunRecord) -> None:
        """Record a starting run (and its pipeline, the first time it runs)."""
        with self._transaction() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO pipelines (id, name, created) VALUES (?, ?, ?)",
                (new_id(), run.pipeline_name, run.started.isoformat()),
            )
            try:
                connection.execute(
                    "INSERT INTO runs (id, name, pipeline_id, status, stack_id, stack_name, "
                    "artifact_store_id, owner, config, parameters, started, finished, error, "
                    "pid, host, heartbeat, heartbeat_limit, process_identity) "
                    "SELECT ?, ?, id, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', ?, ?, ?, ?, ? "
                    "FROM pipelines WHERE name = ?",
                    (
                        run.id,
                        run.name,
                        run.status.value,
                        run.stack_id,
                        run.stack_name,
                        run.artifact_store_id,
                        run.owner,
                        json.dumps(run.config),
                        json.dumps(run.parameters),
                        run.started.isoformat(),
                        run.pid,
                        run.host,
                        now().isoformat(),
                        heartbeat_limit().total_seconds(),
                        _identity_of(run),
                        run.pipeline_name,
                    ),
                )
            except sqlite3.IntegrityError:
                raise AlreadyExistsError(
                    f"a run named {run.name!r} already exists; put {{date}}, {{time}} or "
                    "{stamp} in run_name, or delete the earlier run"
                ) from None

    def finish_run(self, run_id: str, status: RunStatus, finished: datetime, error: str) -> None:
        with self._transaction() as connection:
            connection.execute(
                "UPDATE runs SET status = ?, finished = ?, error = ? WHERE id = ?",
                (status.value, finished.isoformat(), error, run_id),
            )

    def record_heartbeat(self, run_id: str, moment: datetime) -> None:
        """Note that a running run's process is still at work."""
        with self._transaction() as connection:
            connection.execute(
                "UPDATE runs SET heartbeat = ? WHERE id = ? AND status = ?",
                (moment.isoformat(), run_id, run_records().RunStatus.RUNNING.value),
            )

    def _mark_crashed_runs(self) -> None:
        """Mark running runs whose process has stopped as crashed.

        Called before runs are read; it looks only at runs still `running` (an indexed
        lookup), so listing many finished runs costs nothing more. A store this user may
        not write to is read as it is, its crashed runs shown so all the same. When it
        died is unknown, so `finished` stays empty.
        """
        running = run_records().RunStatus.RUNNING.value
        rows = self._query(
            "SELECT id, pid, host, heartbeat, heartbeat_limit, process_identity FROM runs "
            "WHERE status = ?",
            (running,),
        )
        moment = now()
        reasons = {
            run_id: _why_crashed(pid, host, heartbeat, limit, identity, moment)
            for run_id, pid, host, heartbeat, limit, identity in rows
        }
        dead = {run_id: reason for run_id, reason in reasons.items() if reason is not None}
        if not dead:
            return
        crashed = run_records().StepStatus.CRASHED.value
        try:
            with self._transaction() as connection:
                for run_id, error in dead.items():
                    changed = connection.execute(
                        "UPDATE runs SET status = ?, error = ? WHERE id = ? AND status = ?",
                        (run_records().RunStatus.CRASHED.value, error, run_id, running),
                    ).rowcount
                    if changed:
                        connection.execute(
                            "UPDATE step_runs SET status = ?, reason = ?, error = ? "
                            "WHERE run_id = ? AND status = ?",
                            (crashed, error, error, run_id, running),
                        )
        except StoreError:
            self._unrecorded_crashes.update(dead)

    def _run(self, row: Sequence[Any]) -> RunRecord:
        """A run from its row, crashed if found so without the store recording it."""
        run = _run_from_row(row)
        error = self._unrecorded_crashes.get(run.id)
        if error is None or run.status is not run_records().RunStatus.RUNNING:
            return run
        return replace(run, status=run_records().RunStatus.CRASHED, error=error)

    def get_run(self, name_or_id: str) -> RunRecord:
        self._mark_crashed_runs()
        prefix, pattern = id_prefix("r.id", name_or_id)
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} {_RUN_FROM} WHERE r.name = ? OR r.id = ? OR {prefix}",
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

    def list_runs(
        self,
        *,
        pipeline: str | None = None,
        stack_id: str | None = None,
        status: RunStatus | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Runs, newest first, optionally filtered."""
        self._mark_crashed_runs()
        # A crash the store could not record changes a status only here: filter after it.
        by_status = status if self._unrecorded_crashes else None
        where, parameters = _run_filter(pipeline, stack_id, None if by_status else status)
        sql = f"SELECT {_RUN_COLUMNS} {_RUN_FROM}{where} ORDER BY r.started DESC, r.name DESC"
        if limit is not None and by_status is None:
            sql += f" LIMIT {int(limit)}"
        runs = [self._run(row) for row in self._query(sql, parameters)]
        if by_status is None:
            return runs
        return [run for run in runs if run.status is by_status][:limit]

    def count_runs(
        self,
        *,
        pipeline: str | None = None,
        stack_id: str | None = None,
        status: RunStatus | None = None,
    ) -> int:
        self._mark_crashed_runs()
        if self._unrecorded_crashes and status is not None:
            return len(self.list_runs(pipeline=pipeline, stack_id=stack_id, status=status))
        where, parameters = _run_filter(pipeline, stack_id, status)
        return int(self._query(f"SELECT COUNT(*) {_RUN_FROM}{where}", parameters)[0][0])

    def list_pipelines(self) -> list[PipelineSummary]:
        rows = self._query(
            "SELECT p.id, p.name, p.created, COUNT(r.id), MAX(r.started) FROM pipelines p "
            "LEFT JOIN runs r ON r.pipeline_id = p.id GROUP BY p.id ORDER BY p.name"
        )
        return [
            run_records().PipelineSummary(
                id=row[0],
                name=row[1],
                created=datetime.fromisoformat(row[2]),
                runs=row[3],
                last_run=_time(row[4]),
            )
            for row in rows
        ]

    def delete_run(self, run_id: str) -> list[ArtifactRecord]:
        """Delete a run's records; return the artifacts nothing else refers to any more.

        Their rows are deleted too; removing their files is the caller's job.
        """
        with self._transaction() as connection:
            # Candidates are the artifacts the run touched, not only those it produced: a
            # cached step links to an earlier run's output, which may be deleted already.
            produced = connection.execute(
                f"SELECT {ARTIFACT_COLUMNS} FROM artifacts WHERE producer_step_run_id IN "
                "(SELECT id FROM step_runs WHERE run_id = ?) OR id IN "
                "(SELECT artifact_id FROM step_run_artifacts WHERE step_run_id IN "
                "(SELECT id FROM step_runs WHERE run_id = ?))",
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

    def runs_using_artifact_store(self, component_id: str) -> list[str]:
        rows = self._query(
            "SELECT name FROM runs WHERE artifact_store_id = ? ORDER BY started", (component_id,)
        )
        return [row[0] for row in rows]

    # -- step runs -----------------------------------------------------------

    def start_step_run(self, step_run: StepRunRecord, position: int) -> None:
        """Record that a step started (so a crash leaves a trace of what was running)."""
        with self._transaction() as connection:
            self._upsert_step_run(connection, step_run, position, logs="")

    def finish_step_run(
        self,
        step_run: StepRunRecord,
        position: int,
        logs: str,
        new_artifacts: Sequence[ArtifactRecord] = (),
    ) -> list[ArtifactRecord]:
        """Record a finished step with the artifacts it made, in one transaction.

        Returns the artifacts as stored, with their versions assigned.
        """
        with self._transaction() as connection:
            stored = [self._insert_artifact(connection, artifact) for artifact in new_artifacts]
            self._upsert_step_run(connection, step_run, position, logs)
            links = [(step_run.id, "input", n, a) for n, a in step_run.inputs.items()]
            links += [(step_run.id, "output", n, a) for n, a in step_run.outputs.items()]
            connection.executemany(
                "INSERT INTO step_run_artifacts (step_run_id, direction, name, artifact_id) "
                "VALUES (?, ?, ?, ?)",
                links,
            )
            return stored

    @staticmethod
    def _upsert_step_run(
        connection: sqlite3.Connection, step_run: StepRunRecord, position: int, logs: str
    ) -> None:
        connection.execute(
            "INSERT INTO step_runs (id, run_id, pipeline_name, artifact_store_id, invocation, "
            "step_name, position, status, started, finished, cache_key, cache_parts, parameters, "
            "reason, cached_from, error, attempts, worker, logs) "
            "SELECT ?, r.id, p.name, r.artifact_store_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ? "
            f"{_RUN_FROM} WHERE r.id = ? "
            "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
            "started = excluded.started, finished = excluded.finished, "
            "reason = excluded.reason, cached_from = excluded.cached_from, "
            "error = excluded.error, attempts = excluded.attempts, worker = excluded.worker, "
            "logs = excluded.logs",
            (
                step_run.id,
                step_run.invocation,
                step_run.step_name,
                position,
                step_run.status.value,
                _iso(step_run.started),
                _iso(step_run.finished),
                step_run.cache_key,
                json.dumps(step_run.cache_parts),
                json.dumps(step_run.parameters),
                step_run.reason,
                step_run.cached_from,
                step_run.error,
                step_run.attempts,
                step_run.worker,
                logs,
                step_run.run_id,
            ),
        )

    def list_step_runs(self, run_id: str) -> list[StepRunRecord]:
        """The step runs of a run, in the order the pipeline declared its steps."""
        rows = self._query(
            f"SELECT {_STEP_COLUMNS} FROM step_runs WHERE run_id = ? ORDER BY position", (run_id,)
        )
        return self._with_links(rows)

    def get_step_run(self, step_run_id: str) -> StepRunRecord:
        rows = self._query(f"SELECT {_STEP_COLUMNS} FROM step_runs WHERE id = ?", (step_run_id,))
        if not rows:
            raise NotFoundError(f"no step run with id {step_run_id!r}")
        return self._with_links(rows)[0]

    def run_name_of_step_run(self, step_run_id: str) -> str:
        """The name of the run a step run belongs to (to say where a cache hit came from)."""
        rows = self._query(
            "SELECT r.name FROM step_runs s JOIN runs r ON r.id = s.run_id WHERE s.id = ?",
            (step_run_id,),
        )
        if not rows:
            raise NotFoundError(f"no step run with id {step_run_id!r}")
        return str(rows[0][0])

    def step_logs(self, step_run_id: str) -> str:
        rows = self._query("SELECT logs FROM step_runs WHERE id = ?", (step_run_id,))
        return str(rows[0][0]) if rows else ""

    def find_cached_step_run(self, cache_key: str, artifact_store_id: str) -> StepRunRecord | None:
        """The newest successful step run with this cache key in this artifact store."""
        return self._newest_successful(
            "cache_key = ? AND artifact_store_id = ?", (cache_key, artifact_store_id)
        )

    def previous_step_run(
        self, pipeline_name: str, invocation: str, artifact_store_id: str
    ) -> StepRunRecord | None:
        """The newest successful run of the same step of the same pipeline, to explain a miss."""
        return self._newest_successful(
            "pipeline_name = ? AND invocation = ? AND artifact_store_id = ?",
            (pipeline_name, invocation, artifact_store_id),
        )

    def _newest_successful(self, where: str, parameters: Sequence[Any]) -> StepRunRecord | None:
        rows = self._query(
            f"SELECT {_STEP_COLUMNS} FROM step_runs WHERE {where} AND status IN (?, ?) "
            "ORDER BY finished DESC LIMIT 1",
            (
                *parameters,
                run_records().StepStatus.COMPLETED.value,
                run_records().StepStatus.CACHED.value,
            ),
        )
        return self._with_links(rows)[0] if rows else None

    def _with_links(self, rows: Sequence[Any]) -> list[StepRunRecord]:
        if not rows:
            return []
        ids = [row[0] for row in rows]
        links = self._query(
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
            _step_run_from_row(row, grouped[row[0]]["input"], grouped[row[0]]["output"])
            for row in rows
        ]
        running = run_records().StepStatus.RUNNING
        return [
            replace(step, status=run_records().StepStatus.CRASHED, reason=error, error=error)
            if step.status is running and (error := self._unrecorded_crashes.get(step.run_id))
            else step
            for step in steps
        ]


def _why_crashed(
    pid: int | None,
    host: str,
    heartbeat: str | None,
    limit: float | None,
    identity: str,
    moment: datetime,
) -> str | None:
    """Why a run recorded as running has crashed, or None while it may be running.

    A heartbeat older than the limit the run recorded (this reader's, for runs from
    before limits were recorded) means crashed wherever the run was. Its own
    machine can also tell at once that the process is gone, by pid and start time
    where the run recorded them (so a reused pid is no alibi), by pid alone for
    runs recorded before heartbeats.
    """
    if heartbeat is not None:
        silent = moment - datetime.fromisoformat(heartbeat)
        if silent > (heartbeat_limit() if limit is None else timedelta(seconds=limit)):
            return (
                f"the process running it stopped reporting (pid {pid} on {host}): no "
                f"heartbeat for {silent.total_seconds():.0f}s"
            )
    if pid is None or host != this_host():
        return None
    if heartbeat is not None and identity:
        alive = is_same_process(pid, identity) is not False
    else:
        alive = is_alive(pid)
    return None if alive else f"the process running it died (pid {pid} on {host})"


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


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _run_from_row(row: Sequence[Any]) -> RunRecord:
    records = run_records()
    record: RunRecord = records.RunRecord(
        id=row[0],
        name=row[1],
        pipeline_name=row[2],
        status=records.RunStatus(row[3]),
        stack_id=row[4],
        stack_name=row[5],
        artifact_store_id=row[6],
        owner=row[7],
        config=json.loads(row[8]),
        parameters=json.loads(row[9]),
        started=datetime.fromisoformat(row[10]),
        finished=_time(row[11]),
        error=row[12],
        pid=row[13],
        host=row[14],
    )
    return record


def _step_run_from_row(
    row: Sequence[Any], inputs: dict[str, str], outputs: dict[str, str]
) -> StepRunRecord:
    records = run_records()
    record: StepRunRecord = records.StepRunRecord(
        id=row[0],
        run_id=row[1],
        invocation=row[2],
        step_name=row[3],
        status=records.StepStatus(row[4]),
        started=_time(row[5]),
        finished=_time(row[6]),
        cache_key=row[7],
        cache_parts=json.loads(row[8]),
        parameters=json.loads(row[9]),
        reason=row[10],
        cached_from=row[11],
        error=row[12],
        attempts=row[13],
        worker=row[14],
        inputs=inputs,
        outputs=outputs,
    )
    return record
