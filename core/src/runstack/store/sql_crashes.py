"""Runs whose process died: found when runs are read, recorded as crashed where the store can
be written, and shown as crashed all the same where it cannot."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from runstack.errors import StoreError
from runstack.processes import heartbeat_limit, is_alive, is_same_process, this_host
from runstack.runs import RunRecord, RunStatus, StepRunRecord, StepStatus
from runstack.stacks import now

if TYPE_CHECKING:
    from runstack.store.sql_database import Database

# Runs found crashed that a read-only or full store could not record (run id -> the error
# to show), kept by the store for the life of the process.
UnrecordedCrashes = dict[str, str]


def mark_crashed_runs(database: Database, unrecorded: UnrecordedCrashes) -> None:
    """Mark running runs whose process has stopped as crashed.

    Called before runs are read; it looks only at runs still `running` (an indexed
    lookup), so listing many finished runs costs nothing more. A store this user may
    not write to is read as it is, its crashed runs shown so all the same. When it
    died is unknown, so `finished` stays empty.
    """
    running = RunStatus.RUNNING.value
    rows = database.query(
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
    try:
        with database.transaction() as connection:
            for run_id, error in dead.items():
                changed = connection.execute(
                    "UPDATE runs SET status = ?, error = ? WHERE id = ? AND status = ?",
                    (RunStatus.CRASHED.value, error, run_id, running),
                ).rowcount
                if changed:
                    connection.execute(
                        "UPDATE step_runs SET status = ?, reason = ?, error = ? "
                        "WHERE run_id = ? AND status = ?",
                        (StepStatus.CRASHED.value, error, error, run_id, running),
                    )
    except StoreError:
        unrecorded.update(dead)


def shown_run(run: RunRecord, unrecorded: UnrecordedCrashes) -> RunRecord:
    """The run, crashed if found so without the store recording it."""
    error = unrecorded.get(run.id)
    if error is None or run.status is not RunStatus.RUNNING:
        return run
    return replace(run, status=RunStatus.CRASHED, error=error)


def shown_step_runs(
    steps: list[StepRunRecord], unrecorded: UnrecordedCrashes
) -> list[StepRunRecord]:
    """The step runs, those a crash the store could not record stopped shown crashed."""
    return [
        replace(step, status=StepStatus.CRASHED, reason=error, error=error)
        if step.status is StepStatus.RUNNING and (error := unrecorded.get(step.run_id))
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
