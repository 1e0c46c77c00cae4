"""`HttpStore`: the Store interface over a team server's API, for a client that logged in.

Records travel as the JSON of their dataclasses (`runstack.store.wire` holds the shapes);
a failure comes back as the error the server's store raised, with the same message.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from runstack.component_types import ComponentType
from runstack.errors import PermissionDeniedError, StoreError
from runstack.models import ModelLink, ModelRecord, ModelSpec, ModelVersionRecord
from runstack.runs import ArtifactRecord, PipelineSummary, RunRecord, RunStatus, StepRunRecord
from runstack.stacks import Stack, StackComponent
from runstack.store.http_transport import Transport, segment
from runstack.store.wire import (
    ArtifactIds,
    ArtifactUse,
    Damage,
    FlavorVersion,
    Heartbeat,
    Metadata,
    RunCount,
    RunEnd,
    RunName,
    ServerInfo,
    StackCreation,
    StageChange,
    StepEnd,
    StepLogs,
    StepStart,
    UserName,
    this_version,
    version_problem,
)

if TYPE_CHECKING:
    from pydantic import TypeAdapter

T = TypeVar("T")


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> TypeAdapter[Any]:
    """The pydantic adapter of a record type, built once (building one costs a few ms)."""
    if kind not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[kind] = TypeAdapter(kind)
    return _ADAPTERS[kind]


def _read(kind: type[T], data: Any) -> T:
    """An answer's JSON as the record(s) of `kind`."""
    from pydantic import ValidationError

    try:
        found: T = _adapter(kind).validate_python(data)
    except ValidationError as error:
        raise StoreError(
            f"the server answered something this client cannot read ({error.error_count()} "
            "problem(s)); is it a runstack server of this client's version?"
        ) from None
    return found


def _maybe(kind: type[T], data: Any) -> T | None:
    """An answer that may be `null`, as a record of `kind` or None."""
    return None if data is None else _read(kind, data)


def _json(value: Any) -> Any:
    """A record or request body as JSON data."""
    return _adapter(type(value)).dump_python(value, mode="json")


class HttpComponents:
    def __init__(self, transport: Transport) -> None:
        self._call = transport.call

    def get(self, component_type: ComponentType, name_or_id: str) -> StackComponent:
        path = f"/components/{component_type.value}/{segment(name_or_id)}"
        return _read(StackComponent, self._call("GET", path))

    def create(self, component: StackComponent) -> None:
        self._call("POST", "/components", body=_json(component))

    def update(self, component: StackComponent) -> None:
        self._call("PUT", f"/components/{segment(component.id)}", body=_json(component))

    def record_flavor_version(self, component_id: str, version: str) -> None:
        path = f"/components/{segment(component_id)}/flavor-version"
        self._call("PUT", path, body=_json(FlavorVersion(version=version)))

    def delete(self, component_id: str) -> None:
        self._call("DELETE", f"/components/{segment(component_id)}")

    def list(self, component_type: ComponentType | None = None) -> list[StackComponent]:
        params = {"type": None if component_type is None else component_type.value}
        return _read(list[StackComponent], self._call("GET", "/components", params=params))


class HttpStacks:
    def __init__(self, transport: Transport) -> None:
        self._call = transport.call

    def get(self, name_or_id: str) -> Stack:
        return _read(Stack, self._call("GET", f"/stacks/{segment(name_or_id)}"))

    def create(
        self,
        stack: Stack,
        new_components: Sequence[StackComponent] = (),
        *,
        lacking: Mapping[ComponentType, Sequence[str]] | None = None,
    ) -> Stack:
        body = StackCreation(
            stack=stack,
            new_components=list(new_components),
            lacking=None if lacking is None else {k: list(v) for k, v in lacking.items()},
        )
        return _read(Stack, self._call("POST", "/stacks", body=_json(body)))

    def update(self, stack: Stack) -> None:
        self._call("PUT", f"/stacks/{segment(stack.id)}", body=_json(stack))

    def delete(self, stack_id: str) -> None:
        self._call("DELETE", f"/stacks/{segment(stack_id)}")

    def list(self) -> list[Stack]:
        return _read(list[Stack], self._call("GET", "/stacks"))


class HttpRuns:
    def __init__(self, transport: Transport) -> None:
        self._call = transport.call

    def create(self, run: RunRecord) -> None:
        self._call("POST", "/runs", body=_json(run))

    def finish(self, run_id: str, status: RunStatus, finished: datetime, error: str) -> None:
        body = RunEnd(status=status, finished=finished, error=error)
        self._call("PUT", f"/runs/{segment(run_id)}/end", body=_json(body))

    def record_heartbeat(self, run_id: str, moment: datetime) -> None:
        body = Heartbeat(moment=moment)
        self._call("PUT", f"/runs/{segment(run_id)}/heartbeat", body=_json(body))

    def add_metadata(self, run_id: str, values: dict[str, Any]) -> None:
        self._call("POST", f"/runs/{segment(run_id)}/metadata", body=_json(Metadata(values=values)))

    def get(self, name_or_id: str) -> RunRecord:
        return _read(RunRecord, self._call("GET", f"/runs/{segment(name_or_id)}"))

    def count(
        self,
        *,
        pipeline: str | None = None,
        stack_id: str | None = None,
        status: RunStatus | None = None,
    ) -> int:
        params = {"pipeline": pipeline, "stack_id": stack_id, "status": status}
        answer = _read(RunCount, self._call("GET", "/run-count", params=params))
        return answer.count

    def pipelines(self) -> list[PipelineSummary]:
        return _read(list[PipelineSummary], self._call("GET", "/pipelines"))

    def delete(self, run_id: str) -> list[ArtifactRecord]:
        return _read(list[ArtifactRecord], self._call("DELETE", f"/runs/{segment(run_id)}"))

    def using_artifact_store(self, component_id: str) -> list[str]:
        path = f"/artifact-stores/{segment(component_id)}/runs"
        return _read(list[str], self._call("GET", path))

    def list(
        self,
        *,
        pipeline: str | None = None,
        stack_id: str | None = None,
        status: RunStatus | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunRecord]:
        params = {
            "pipeline": pipeline,
            "stack_id": stack_id,
            "status": status,
            "limit": limit,
            "offset": offset or None,
        }
        return _read(list[RunRecord], self._call("GET", "/runs", params=params))


class HttpStepRuns:
    def __init__(self, transport: Transport) -> None:
        self._call = transport.call

    def start(self, step_run: StepRunRecord, position: int) -> None:
        body = StepStart(step_run=step_run, position=position)
        self._call("POST", "/step-runs", body=_json(body))

    def finish(
        self,
        step_run: StepRunRecord,
        position: int,
        logs: str,
        new_artifacts: Sequence[ArtifactRecord] = (),
    ) -> list[ArtifactRecord]:
        body = StepEnd(
            step_run=step_run, position=position, logs=logs, new_artifacts=list(new_artifacts)
        )
        answer = self._call("PUT", f"/step-runs/{segment(step_run.id)}", body=_json(body))
        return _read(list[ArtifactRecord], answer)

    def add_metadata(self, step_run_id: str, values: dict[str, Any]) -> None:
        path = f"/step-runs/{segment(step_run_id)}/metadata"
        self._call("POST", path, body=_json(Metadata(values=values)))

    def get(self, step_run_id: str) -> StepRunRecord:
        return _read(StepRunRecord, self._call("GET", f"/step-runs/{segment(step_run_id)}"))

    def logs(self, step_run_id: str) -> str:
        answer = self._call("GET", f"/step-runs/{segment(step_run_id)}/logs")
        return _read(StepLogs, answer).logs

    def run_name(self, step_run_id: str) -> str:
        answer = self._call("GET", f"/step-runs/{segment(step_run_id)}/run-name")
        return _read(RunName, answer).name

    def find_cached(
        self, cache_key: str, artifact_store_id: str, pipeline_name: str, invocation: str
    ) -> StepRunRecord | None:
        params = {
            "cache_key": cache_key,
            "artifact_store_id": artifact_store_id,
            "pipeline_name": pipeline_name,
            "invocation": invocation,
        }
        answer = self._call("GET", "/step-runs/cached", params=params)
        return _maybe(StepRunRecord, answer)

    def previous(
        self, pipeline_name: str, invocation: str, artifact_store_id: str
    ) -> StepRunRecord | None:
        params = {
            "pipeline_name": pipeline_name,
            "invocation": invocation,
            "artifact_store_id": artifact_store_id,
        }
        answer = self._call("GET", "/step-runs/previous", params=params)
        return _maybe(StepRunRecord, answer)

    def list(self, run_id: str) -> list[StepRunRecord]:
        answer = self._call("GET", "/step-runs", params={"run_id": run_id})
        return _read(list[StepRunRecord], answer)


class HttpArtifacts:
    def __init__(self, transport: Transport) -> None:
        self._call = transport.call

    def get(self, artifact_id: str) -> ArtifactRecord:
        return _read(ArtifactRecord, self._call("GET", f"/artifacts/{segment(artifact_id)}"))

    def get_many(self, artifact_ids: Sequence[str]) -> dict[str, ArtifactRecord]:
        if not artifact_ids:
            return {}
        body = _json(ArtifactIds(ids=list(artifact_ids)))
        answer = self._call("POST", "/artifacts/lookup", body=body)
        return _read(dict[str, ArtifactRecord], answer)

    def mark_damaged(self, artifact_id: str, reason: str) -> None:
        path = f"/artifacts/{segment(artifact_id)}/damage"
        self._call("PUT", path, body=_json(Damage(reason=reason)))

    def add_metadata(self, artifact_id: str, values: dict[str, Any]) -> None:
        path = f"/artifacts/{segment(artifact_id)}/metadata"
        self._call("POST", path, body=_json(Metadata(values=values)))

    def users(self, artifact_id: str) -> list[tuple[str, str, str, str]]:
        answer = self._call("GET", f"/artifacts/{segment(artifact_id)}/users")
        uses = _read(list[ArtifactUse], answer)
        return [(use.direction, use.run, use.step, use.name) for use in uses]

    def list(
        self,
        limit: int | None = None,
        *,
        name: str | None = None,
        pipeline: str | None = None,
        step: str | None = None,
    ) -> list[ArtifactRecord]:
        params = {"limit": limit, "name": name, "pipeline": pipeline, "step": step}
        answer = self._call("GET", "/artifacts", params=params)
        return _read(list[ArtifactRecord], answer)

    def get_version(self, name: str, version: str | None = None) -> ArtifactRecord:
        params = {"name": name, "version": version}
        return _read(ArtifactRecord, self._call("GET", "/artifact-version", params=params))

    def create(self, artifact: ArtifactRecord) -> ArtifactRecord:
        return _read(ArtifactRecord, self._call("POST", "/artifacts", body=_json(artifact)))


class HttpModels:
    def __init__(self, transport: Transport) -> None:
        self._call = transport.call

    def prepare_version(self, spec: ModelSpec) -> ModelVersionRecord:
        answer = self._call("POST", "/model-versions", body=_json(spec))
        return _read(ModelVersionRecord, answer)

    def get(self, name_or_id: str) -> ModelRecord:
        return _read(ModelRecord, self._call("GET", f"/models/{segment(name_or_id)}"))

    def versions(self, model_name_or_id: str) -> list[ModelVersionRecord]:
        answer = self._call("GET", f"/models/{segment(model_name_or_id)}/versions")
        return _read(list[ModelVersionRecord], answer)

    def get_version(self, model_name_or_id: str, version: str | None) -> ModelVersionRecord:
        path = f"/models/{segment(model_name_or_id)}/version"
        return _read(ModelVersionRecord, self._call("GET", path, params={"version": version}))

    def set_stage(self, version_id: str, stage: str, force: bool) -> ModelVersionRecord:
        body = _json(StageChange(stage=stage, force=force))
        answer = self._call("PUT", f"/model-versions/{segment(version_id)}/stage", body=body)
        return _read(ModelVersionRecord, answer)

    def links(self, version_id: str) -> list[ModelLink]:
        answer = self._call("GET", f"/model-versions/{segment(version_id)}/links")
        return _read(list[ModelLink], answer)

    def list(self) -> list[ModelRecord]:
        return _read(list[ModelRecord], self._call("GET", "/models"))


class HttpStore:
    """A `Store` on a team server, acting as `user`, whose token it holds (the server decides
    what that user sees and may change: a store for another user needs their token)."""

    def __init__(self, url: str, token: str, *, user: str) -> None:
        transport = Transport(url, token)
        self.location = transport.url
        self.user = user
        self.components = HttpComponents(transport)
        self.stacks = HttpStacks(transport)
        self.runs = HttpRuns(transport)
        self.step_runs = HttpStepRuns(transport)
        self.artifacts = HttpArtifacts(transport)
        self.models = HttpModels(transport)
        # Closes the pooled connections when the store is dropped, without a ResourceWarning.
        weakref.finalize(self, transport.close)

    def acting_as(self, user_name: str) -> HttpStore:
        """Itself for its own user: acting as another takes their token (their login)."""
        if user_name != self.user:
            raise PermissionDeniedError(
                f"this client is logged in to {self.location} as {self.user!r}; acting as "
                f"{user_name!r} takes their token: runstack login {self.location} --token ..."
            )
        return self


def check_login(url: str, token: str) -> tuple[str, str]:
    """The server's URL as kept and the user `token` belongs to, once the server answered as a
    runstack server of a compatible version and took the token."""
    transport = Transport(url, token)
    try:
        info = _read(ServerInfo, transport.call("GET", "/info"))
        problem = version_problem(info.version, this_version())
        if problem:
            raise StoreError(problem)
        user = _read(UserName, transport.call("GET", "/users/me")).name
    finally:
        transport.close()
    return transport.url, user
