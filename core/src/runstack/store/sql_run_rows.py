"""How runs and step runs are laid out in the store's rows, and read back from them; and the
metadata of runs, step runs and artifacts, a JSON object each, merged key by key."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from runstack.errors import NotFoundError
from runstack.runs import RunRecord, RunStatus, StepRunRecord, StepStatus

if TYPE_CHECKING:
    from runstack.store.sql_database import Connection

RUN_COLUMNS = (
    "r.id, r.name, p.name, r.status, r.stack_id, r.stack_name, r.artifact_store_id, r.owner, "
    "r.config, r.parameters, r.started, r.finished, r.error, r.pid, r.host, r.metadata"
)
RUN_FROM = "FROM runs r JOIN pipelines p ON p.id = r.pipeline_id"
STEP_COLUMNS = (
    "id, run_id, invocation, step_name, status, started, finished, cache_key, cache_parts, "
    "parameters, reason, cached_from, error, attempts, log_uri, log_size, worker, metadata, "
    "model_version_id"
)


def from_json(text: str) -> Any:
    """A JSON column read back. Most rows hold an empty `{}` or `[]` (metadata, tags), and
    every step's records are read: those skip the parser."""
    if text == "{}":
        return {}
    if text == "[]":
        return []
    return json.loads(text)


def to_json(value: Any) -> str:
    """A value for a JSON column; an empty object or list skips the encoder (see from_json)."""
    if isinstance(value, dict | list | tuple) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value)


def to_iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def run_from_row(row: Sequence[Any]) -> RunRecord:
    return RunRecord(
        id=row[0],
        name=row[1],
        pipeline_name=row[2],
        status=RunStatus(row[3]),
        stack_id=row[4],
        stack_name=row[5],
        artifact_store_id=row[6],
        owner=row[7],
        config=json.loads(row[8]),
        parameters=json.loads(row[9]),
        started=datetime.fromisoformat(row[10]),
        finished=from_iso(row[11]),
        error=row[12],
        pid=row[13],
        host=row[14],
        metadata=from_json(row[15]),
    )


def step_run_from_row(
    row: Sequence[Any], inputs: dict[str, str], outputs: dict[str, str]
) -> StepRunRecord:
    return StepRunRecord(
        id=row[0],
        run_id=row[1],
        invocation=row[2],
        step_name=row[3],
        status=StepStatus(row[4]),
        started=from_iso(row[5]),
        finished=from_iso(row[6]),
        cache_key=row[7],
        cache_parts=json.loads(row[8]),
        parameters=json.loads(row[9]),
        reason=row[10],
        cached_from=row[11],
        error=row[12],
        attempts=row[13],
        log_uri=row[14],
        log_size=row[15],
        worker=row[16],
        metadata=from_json(row[17]),
        model_version_id=row[18],
        inputs=inputs,
        outputs=outputs,
    )


MetadataTable = Literal["runs", "step_runs", "artifacts"]

_RECORD_NAMES = {"runs": "run", "step_runs": "step run", "artifacts": "artifact"}


def merge_metadata(
    connection: Connection, table: MetadataTable, record_id: str, values: Mapping[str, Any]
) -> None:
    """Add `values` to the metadata of the record `record_id` of `table`, later values
    replacing earlier ones of the same key, inside the caller's write transaction (writers
    take turns, so two merges never lose each other's keys)."""
    row = connection.execute(f"SELECT metadata FROM {table} WHERE id = ?", (record_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no {_RECORD_NAMES[table]} with id {record_id!r}")
    merged = {**json.loads(row[0]), **values}
    connection.execute(
        f"UPDATE {table} SET metadata = ? WHERE id = ?", (json.dumps(merged), record_id)
    )
