"""The API of what ran: `/api/v1/runs`, `/api/v1/step-runs`, `/api/v1/artifacts`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from runstack.runs import (
    ArtifactRecord,
    PipelineSummary,
    RunRecord,
    RunStatus,
    StepRunRecord,
    checked_metadata,
)
from runstack.server.access import Caller
from runstack.server.answers import ERROR_ANSWERS
from runstack.server.checks import same_id, zoned
from runstack.stacks import now
from runstack.store.wire import (
    API_PREFIX,
    ArtifactIds,
    ArtifactUse,
    Damage,
    Heartbeat,
    Metadata,
    RunCount,
    RunEnd,
    RunName,
    StepEnd,
    StepLogs,
    StepStart,
)

router = APIRouter(prefix=API_PREFIX, responses=ERROR_ANSWERS)

# SQLite and PostgreSQL both take LIMIT and OFFSET up to a signed 64-bit integer.
Count = Annotated[int, Query(ge=0, le=2**62)]


@router.post("/runs", status_code=201, tags=["runs"])
def create_run(store: Caller, run: RunRecord) -> RunRecord:
    store.runs.create(zoned(run))
    return run


@router.put("/runs/{run_id}/end", status_code=204, tags=["runs"])
def finish_run(store: Caller, run_id: str, body: RunEnd) -> None:
    store.runs.finish(run_id, body.status, zoned(body).finished, body.error)


@router.put("/runs/{run_id}/heartbeat", status_code=204, tags=["runs"])
def record_heartbeat(store: Caller, run_id: str, body: Heartbeat) -> None:
    """Noted at the server's time, as the run's start is: silence is then measured on one
    clock, and a client whose clock runs behind does not read as crashed."""
    zoned(body)
    store.runs.record_heartbeat(run_id, now())


@router.post("/runs/{run_id}/metadata", status_code=204, tags=["runs"])
def add_run_metadata(store: Caller, run_id: str, body: Metadata) -> None:
    store.runs.add_metadata(run_id, checked_metadata(body.values))


@router.get("/runs", tags=["runs"])
def list_runs(
    store: Caller,
    pipeline: str | None = None,
    stack_id: str | None = None,
    status: RunStatus | None = None,
    limit: Count | None = None,
    offset: Count = 0,
) -> list[RunRecord]:
    """Runs, newest first; `limit` and `offset` page through them."""
    return store.runs.list(
        pipeline=pipeline, stack_id=stack_id, status=status, limit=limit, offset=offset
    )


@router.get("/run-count", tags=["runs"])
def count_runs(
    store: Caller,
    pipeline: str | None = None,
    stack_id: str | None = None,
    status: RunStatus | None = None,
) -> RunCount:
    return RunCount(count=store.runs.count(pipeline=pipeline, stack_id=stack_id, status=status))


@router.get("/runs/{name_or_id:path}", tags=["runs"])
def get_run(store: Caller, name_or_id: str) -> RunRecord:
    return store.runs.get(name_or_id)


@router.delete("/runs/{run_id}", tags=["runs"])
def delete_run(store: Caller, run_id: str) -> list[ArtifactRecord]:
    """Delete a run's records; the artifacts nothing else uses, whose files the client removes."""
    return store.runs.delete(run_id)


@router.get("/pipelines", tags=["runs"])
def list_pipelines(store: Caller) -> list[PipelineSummary]:
    return store.runs.pipelines()


@router.get("/artifact-stores/{component_id}/runs", tags=["runs"])
def runs_using_artifact_store(store: Caller, component_id: str) -> list[str]:
    return store.runs.using_artifact_store(component_id)


@router.post("/step-runs", status_code=204, tags=["step runs"])
def start_step_run(store: Caller, body: StepStart) -> None:
    store.step_runs.start(zoned(body).step_run, body.position)


@router.put("/step-runs/{step_run_id}", tags=["step runs"])
def finish_step_run(store: Caller, step_run_id: str, body: StepEnd) -> list[ArtifactRecord]:
    same_id(step_run_id, zoned(body).step_run.id)
    return store.step_runs.finish(body.step_run, body.position, body.logs, body.new_artifacts)


@router.post("/step-runs/{step_run_id}/metadata", status_code=204, tags=["step runs"])
def add_step_run_metadata(store: Caller, step_run_id: str, body: Metadata) -> None:
    store.step_runs.add_metadata(step_run_id, checked_metadata(body.values))


@router.get("/step-runs", tags=["step runs"])
def list_step_runs(store: Caller, run_id: str) -> list[StepRunRecord]:
    return store.step_runs.list(run_id)


@router.get("/step-runs/cached", tags=["step runs"])
def find_cached(
    store: Caller, cache_key: str, artifact_store_id: str, pipeline_name: str, invocation: str
) -> StepRunRecord | None:
    return store.step_runs.find_cached(cache_key, artifact_store_id, pipeline_name, invocation)


@router.get("/step-runs/previous", tags=["step runs"])
def previous_step_run(
    store: Caller, pipeline_name: str, invocation: str, artifact_store_id: str
) -> StepRunRecord | None:
    return store.step_runs.previous(pipeline_name, invocation, artifact_store_id)


@router.get("/step-runs/{step_run_id}", tags=["step runs"])
def get_step_run(store: Caller, step_run_id: str) -> StepRunRecord:
    return store.step_runs.get(step_run_id)


@router.get("/step-runs/{step_run_id}/logs", tags=["step runs"])
def step_run_logs(store: Caller, step_run_id: str) -> StepLogs:
    return StepLogs(logs=store.step_runs.logs(step_run_id))


@router.get("/step-runs/{step_run_id}/run-name", tags=["step runs"])
def step_run_run_name(store: Caller, step_run_id: str) -> RunName:
    return RunName(name=store.step_runs.run_name(step_run_id))


@router.get("/artifacts", tags=["artifacts"])
def list_artifacts(
    store: Caller,
    limit: Count | None = None,
    name: str | None = None,
    pipeline: str | None = None,
    step: str | None = None,
) -> list[ArtifactRecord]:
    """Artifacts, newest first: the versions of one name, or those a pipeline's steps made."""
    return store.artifacts.list(limit, name=name, pipeline=pipeline, step=step)


@router.post("/artifacts", status_code=201, tags=["artifacts"])
def create_artifact(store: Caller, artifact: ArtifactRecord) -> ArtifactRecord:
    """Record a value saved outside a step's outputs; answered with its version assigned."""
    return store.artifacts.create(zoned(artifact))


@router.get("/artifact-version", tags=["artifacts"])
def get_artifact_version(store: Caller, name: str, version: str | None = None) -> ArtifactRecord:
    """One version of the artifacts of a name (the newest without `version`)."""
    return store.artifacts.get_version(name, version)


@router.post("/artifacts/lookup", tags=["artifacts"])
def get_many_artifacts(store: Caller, body: ArtifactIds) -> dict[str, ArtifactRecord]:
    """Artifacts by exact id, those that exist (a body: a run's ids overflow a URL)."""
    return store.artifacts.get_many(body.ids)


@router.get("/artifacts/{artifact_id}", tags=["artifacts"])
def get_artifact(store: Caller, artifact_id: str) -> ArtifactRecord:
    return store.artifacts.get(artifact_id)


@router.put("/artifacts/{artifact_id}/damage", status_code=204, tags=["artifacts"])
def mark_damaged(store: Caller, artifact_id: str, body: Damage) -> None:
    store.artifacts.mark_damaged(artifact_id, body.reason)


@router.post("/artifacts/{artifact_id}/metadata", status_code=204, tags=["artifacts"])
def add_artifact_metadata(store: Caller, artifact_id: str, body: Metadata) -> None:
    store.artifacts.add_metadata(artifact_id, checked_metadata(body.values))


@router.get("/artifacts/{artifact_id}/users", tags=["artifacts"])
def artifact_users(store: Caller, artifact_id: str) -> list[ArtifactUse]:
    return [
        ArtifactUse(direction=direction, run=run, step=step, name=name)
        for direction, run, step, name in store.artifacts.users(artifact_id)
    ]
