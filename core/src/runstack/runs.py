"""The records of pipeline runs: runs, step runs and artifacts, with their lineage, and what
their metadata may hold.

Plain dataclasses, like `runstack.stacks`, so they cross the store interface
(and, later, a REST API) as data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from runstack.errors import ConfigError


def format_duration(seconds: float | None) -> str:
    """A duration as every output shows it (`1.25s`), or "" when it is not known."""
    return "" if seconds is None else f"{seconds:.2f}s"


def format_size(size: int) -> str:
    """A byte count as every output shows it: `216 B`, `6.4 KiB`, `1.2 GiB`."""
    if size < 1024:
        return f"{size} B"
    amount, unit = size / 1024, "KiB"
    for larger in ("MiB", "GiB"):
        if amount < 1024:
            break
        amount, unit = amount / 1024, larger
    return f"{amount:.1f} {unit}"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"
    CRASHED = "crashed"


class StepStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CACHED = "cached"
    FAILED = "failed"
    SKIPPED = "skipped"
    STOPPED = "stopped"
    CRASHED = "crashed"


@dataclass(frozen=True)
class PipelineSummary:
    """A pipeline as `pipeline list` shows it."""

    id: str
    name: str
    created: datetime
    runs: int
    last_run: datetime | None


@dataclass(frozen=True)
class ArtifactRecord:
    """One persisted step output (or saved value): where it is, what it is, which step made it.

    `version` is the version of its name as shown (`"3"`, or the text an `ArtifactConfig` or
    `save_artifact` gave); "" in a record not stored yet asks the store for the next number.
    `files` maps each file under `uri` to its size as written (`None` for artifacts saved
    before runstack kept it); `damaged` says why it may no longer be reused;
    `metadata` what was logged about it (`log_metadata`, `add_output_metadata`).
    `producer_step_run_id` is "" for a value saved outside any step.
    """

    id: str
    name: str
    version: str
    uri: str
    type_name: str
    materializer: str
    size: int
    artifact_store_id: str
    producer_step_run_id: str
    created: datetime
    files: dict[str, int] | None = None
    damaged: str = ""
    tags: tuple[str, ...] = ()
    artifact_type: str = "DataArtifact"
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "tags": list(self.tags),
            "artifact_type": self.artifact_type,
            "uri": self.uri,
            "type": self.type_name,
            "materializer": self.materializer,
            "size": self.size,
            "artifact_store_id": self.artifact_store_id,
            "producer_step_run_id": self.producer_step_run_id,
            "created": self.created.isoformat(),
            "files": self.files,
            "damaged": self.damaged,
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class StepRunRecord:
    """One execution (or cache reuse) of a step invocation within a run.

    `invocation` is the step's id within its pipeline (`train`, or `train_2`
    when a step is used twice); `cache_parts` holds the hashes that make up
    `cache_key`, so a later run can say *why* it did not reuse this one. `worker`
    names where its code ran when the orchestrator says (a Dask worker's address);
    `metadata` is what its components and code recorded (`StepContext.add_metadata`,
    `log_metadata`); a cached one has that of the step run it reuses.
    `model_version_id` is the model version it ran under, to which its outputs are linked.
    """

    id: str
    run_id: str
    invocation: str
    step_name: str
    status: StepStatus
    started: datetime | None
    finished: datetime | None
    cache_key: str
    cache_parts: dict[str, str]
    parameters: dict[str, Any]
    reason: str = ""
    cached_from: str | None = None
    error: str = ""
    attempts: int = 0
    log_uri: str = ""
    log_size: int | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    worker: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    model_version_id: str | None = None

    @property
    def duration(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return (self.finished - self.started).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "run_id": self.run_id,
            "name": self.invocation,
            "step": self.step_name,
            "status": self.status.value,
            "started": self.started.isoformat() if self.started else None,
            "finished": self.finished.isoformat() if self.finished else None,
            "duration": self.duration,
            "cached_from": self.cached_from,
            "reason": self.reason,
            "error": self.error,
            "attempts": self.attempts,
            "worker": self.worker,
            "metadata": self.metadata,
            "model_version_id": self.model_version_id,
            "parameters": self.parameters,
            "cache_key": self.cache_key,
            "inputs": self.inputs,
            "outputs": self.outputs,
        }


@dataclass(frozen=True)
class RunRecord:
    """One run of a pipeline on a stack, with the configuration it ran with.

    `pid` and `host` name the process that runs it, so a reader can tell a run
    still going from one whose process died (`None` and "" for runs recorded
    before runstack kept them); `metadata` is what was logged about the run itself
    (`log_metadata`).
    """

    id: str
    name: str
    pipeline_name: str
    status: RunStatus
    stack_id: str
    stack_name: str
    artifact_store_id: str
    owner: str
    config: dict[str, Any]
    parameters: dict[str, Any]
    started: datetime
    finished: datetime | None = None
    error: str = ""
    pid: int | None = None
    host: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        return None if self.finished is None else (self.finished - self.started).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "pipeline": self.pipeline_name,
            "status": self.status.value,
            "stack": {"id": self.stack_id, "name": self.stack_name},
            "artifact_store_id": self.artifact_store_id,
            "owner": self.owner,
            "config": self.config,
            "parameters": self.parameters,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat() if self.finished else None,
            "duration": self.duration,
            "error": self.error,
            "process": {"pid": self.pid, "host": self.host},
            "metadata": self.metadata,
        }


MetadataValue = str | int | float | bool | None | list[Any] | dict[str, Any]
"""A JSON value: a string, number, boolean or null, or a list or object of them."""


def checked_metadata(values: Mapping[str, Any]) -> dict[str, MetadataValue]:
    """`values` as a plain dict once every key is a non-empty string and every value JSON
    (a finite number: JSON has no NaN); ConfigError naming the first that is not."""
    if not isinstance(values, Mapping):
        raise ConfigError(
            f"metadata is a dict of JSON values by name, not a {type(values).__name__}"
        )
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"metadata keys are non-empty strings, not {key!r}")
        problem = _json_problem(value)
        if problem:
            raise ConfigError(f"metadata {key!r} {problem}")
    return dict(values)


def _json_problem(value: Any) -> str:
    """Why `value` is not a JSON value ("" when it is), naming the part that is not."""
    if value is None or isinstance(value, str | bool | int):
        return ""
    if isinstance(value, float):
        return "" if math.isfinite(value) else f"is {value}, which JSON cannot hold"
    if isinstance(value, list):
        return next((problem for item in value if (problem := _json_problem(item))), "")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"has the key {key!r}; keys of metadata objects are strings"
            problem = _json_problem(item)
            if problem:
                return problem
        return ""
    return (
        f"is of type {type(value).__name__}, not a JSON value (a string, number, boolean, None, "
        "or a list or dict of them)"
    )
