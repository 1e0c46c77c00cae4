"""The store interface: what the client needs from wherever stacks, components and runs are kept.

Everything crosses it as the plain records of `runstack.stacks` and `runstack.runs`,
so a REST client for a shared server can implement it without touching the client or CLI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from runstack.component_types import ComponentType
from runstack.stacks import Stack, StackComponent

if TYPE_CHECKING:
    from runstack.models import ModelLink, ModelRecord, ModelSpec, ModelVersionRecord
    from runstack.runs import (
        ArtifactRecord,
        PipelineSummary,
        RunRecord,
        RunStatus,
        StepRunRecord,
    )
    from runstack.users import User


class Components(Protocol):
    """The registered stack components the store's user sees: their own and the shared ones."""

    def get(self, component_type: ComponentType, name_or_id: str) -> StackComponent:
        """One component by exact name, full id or unique id prefix."""
        ...

    def create(self, component: StackComponent) -> None:
        """Add a new component owned by the store's user; its (type, name) must be free."""
        ...

    def update(self, component: StackComponent) -> None:
        """Replace name, config, secrets, shared flag and update time of the component `id`
        (a shared one stays shared)."""
        ...

    def record_flavor_version(self, component_id: str, version: str) -> None:
        """Note that the component's config fits its flavor's model as of plugin `version`."""
        ...

    def delete(self, component_id: str) -> None:
        """Remove a component that no stack uses (the error names the stacks that do)."""
        ...

    def list(self, component_type: ComponentType | None = None) -> list[StackComponent]:
        """All components, or those of one type, ordered by type then name."""
        ...


class Stacks(Protocol):
    """The stacks the store's user sees (their own and the shared ones), each with its
    components; a shared stack's components are shared too."""

    def get(self, name_or_id: str) -> Stack:
        """One stack by exact name, full id or unique id prefix."""
        ...

    def create(
        self,
        stack: Stack,
        new_components: Sequence[StackComponent] = (),
        *,
        lacking: Mapping[ComponentType, Sequence[str]] | None = None,
    ) -> Stack:
        """Add a stack owned by the store's user, first creating `new_components`, all in one
        transaction.

        A new component matching (flavor, config, the secrets it carries) a stored
        one of the same type and name is that one; a different one is a
        `ConfigError`; one to be created that lacks secrets (`lacking`) is a
        `MissingSecretsError`. Returns the stack as stored.
        """
        ...

    def update(self, stack: Stack) -> None:
        """Replace name, shared flag, update time and components of the stack with this id
        (a shared one stays shared)."""
        ...

    def delete(self, stack_id: str) -> None:
        """Remove a stack (its components stay registered); never the default stack."""
        ...

    def list(self) -> list[Stack]:
        """All stacks with their components, ordered by name."""
        ...


class Runs(Protocol):
    """The runs of pipelines, which every user of the store sees.

    Reading them (`get`, `list`, `count`), a running run whose process is known to
    have died reads as crashed (and is recorded so), with the steps it was running.
    """

    def create(self, run: RunRecord) -> None:
        """Record a starting run (and its pipeline, the first time it runs), owned by the
        store's user."""
        ...

    def finish(self, run_id: str, status: RunStatus, finished: datetime, error: str) -> None: ...

    def record_heartbeat(self, run_id: str, moment: datetime) -> None:
        """Note that a running run's process is still at work (see `pipelines.heartbeat`)."""
        ...

    def add_metadata(self, run_id: str, values: dict[str, Any]) -> None:
        """Add JSON `values` to the run's metadata (checked by the caller), replacing those of
        the same keys."""
        ...

    def get(self, name_or_id: str) -> RunRecord:
        """A run by name, id or unique id prefix."""
        ...

    def count(
        self,
        *,
        pipeline: str | None = None,
        stack_id: str | None = None,
        status: RunStatus | None = None,
    ) -> int:
        """How many runs match the filters of `list`."""
        ...

    def pipelines(self) -> list[PipelineSummary]:
        """Every pipeline that ran, with how often and when last."""
        ...

    def delete(self, run_id: str) -> list[ArtifactRecord]:
        """Delete a run's records; return (and forget) the artifacts nothing else uses."""
        ...

    def using_artifact_store(self, component_id: str) -> list[str]:
        """Names of the runs whose artifacts are in this artifact store, oldest first."""
        ...

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
        ...


class StepRuns(Protocol):
    """The steps of runs, and what the cache looks up among them."""

    def start(self, step_run: StepRunRecord, position: int) -> None:
        """Record that a step started, so a crash leaves a trace."""
        ...

    def finish(
        self,
        step_run: StepRunRecord,
        position: int,
        logs: str,
        new_artifacts: Sequence[ArtifactRecord] = (),
    ) -> list[ArtifactRecord]:
        """Record a finished step and the artifacts it made, in one transaction (versions as
        `Artifacts.create` assigns them).

        `logs` is the log's last lines when the log itself is in the artifact store
        (`step_run.log_uri`), or the whole log when it is not."""
        ...

    def add_metadata(self, step_run_id: str, values: dict[str, Any]) -> None:
        """Add JSON `values` to the step run's metadata, replacing those of the same keys; a
        running step's own, recorded when it finishes, then join them."""
        ...

    def get(self, step_run_id: str) -> StepRunRecord: ...

    def logs(self, step_run_id: str) -> str:
        """The log text the records hold (see `finish`)."""
        ...

    def run_name(self, step_run_id: str) -> str:
        """The name of the run the step run belongs to."""
        ...

    def find_cached(
        self, cache_key: str, artifact_store_id: str, pipeline_name: str, invocation: str
    ) -> StepRunRecord | None:
        """The newest successful step run with this cache key in this artifact store, one of
        the same step of the same pipeline first."""
        ...

    def previous(
        self, pipeline_name: str, invocation: str, artifact_store_id: str
    ) -> StepRunRecord | None:
        """The newest successful run of the same step of the same pipeline."""
        ...

    def list(self, run_id: str) -> list[StepRunRecord]:
        """The step runs of a run, in the order of its pipeline's steps."""
        ...


class Artifacts(Protocol):
    """The records of step outputs; step runs add them, deleted runs drop their own."""

    def get(self, artifact_id: str) -> ArtifactRecord:
        """An artifact by id or unique id prefix."""
        ...

    def get_many(self, artifact_ids: Sequence[str]) -> dict[str, ArtifactRecord]:
        """Artifacts by exact id (those that exist), in one lookup."""
        ...

    def mark_damaged(self, artifact_id: str, reason: str) -> None:
        """Record why an artifact cannot be read back, so the cache never reuses it again."""
        ...

    def add_metadata(self, artifact_id: str, values: dict[str, Any]) -> None:
        """Add JSON `values` to the artifact's metadata, replacing those of the same keys."""
        ...

    def users(self, artifact_id: str) -> list[tuple[str, str, str, str]]:
        """(direction, run name, step, input/output name) for each use of an artifact.

        Direction is `output` for the step run that wrote it, `cached` for step runs
        that reused it from the cache, `input` for step runs that read it.
        """
        ...

    def list(
        self,
        limit: int | None = None,
        *,
        name: str | None = None,
        pipeline: str | None = None,
        step: str | None = None,
    ) -> list[ArtifactRecord]:
        """Artifacts, newest first: all, the versions of one name, or those made by the steps of
        a pipeline (and/or by steps with this id in their pipeline)."""
        ...

    def get_version(self, name: str, version: str | None = None) -> ArtifactRecord:
        """One version of the artifacts named `name` (the newest when `version` is None)."""
        ...

    def create(self, artifact: ArtifactRecord) -> ArtifactRecord:
        """Record a value saved outside a step's outputs (`save_artifact`, an external input);
        returned with its version: the one it asks for, refused with `AlreadyExistsError` when
        its name has it, or the next number of its name."""
        ...


class Models(Protocol):
    """The models runs ran under, which every user of the store sees, and their versions."""

    def prepare_version(self, spec: ModelSpec) -> ModelVersionRecord:
        """The version a run runs under: a new numbered one for `version=None`, else the one
        `spec.version` names (by number, stage, name or id), made (with the model, the first
        time) when a name names none yet; a missing number or stage is a `NotFoundError`."""
        ...

    def get(self, name_or_id: str) -> ModelRecord:
        """A model by name, id or unique id prefix."""
        ...

    def versions(self, model_name_or_id: str) -> list[ModelVersionRecord]:
        """A model's versions, by number."""
        ...

    def get_version(self, model_name_or_id: str, version: str | None) -> ModelVersionRecord:
        """A model's version by id, name, number or stage; `latest` or None: the newest."""
        ...

    def set_stage(self, version_id: str, stage: str, force: bool) -> ModelVersionRecord:
        """Put a version in a stage; another version of the model in `staging` or `production`
        is archived when `force`, else the change is an `AlreadyExistsError`."""
        ...

    def links(self, version_id: str) -> list[ModelLink]:
        """The step runs under a version, with each output they made or reused."""
        ...

    def list(self) -> list[ModelRecord]:
        """All models, by name."""
        ...


class Store(Protocol):
    """Components, stacks, runs, step runs, artifacts and models, each kept by its own part.

    A store acts as one user (`user`): it sees that user's stacks and components
    and the shared ones, and lets only their owner change, share or delete them.
    Each write is one transaction. Lookups raise `NotFoundError` (also for what the
    user may not see, with the same message), name clashes `AlreadyExistsError`
    (also with what the user may not see), removing something still referenced
    `InUseError`, changing what another user owns `PermissionDeniedError`; the
    messages are user-facing.
    """

    location: str
    user: str

    def acting_as(self, user_name: str) -> Store:
        """The same store acting as `user_name`, cheaply: a server builds one per request."""
        ...

    @property
    def components(self) -> Components: ...

    @property
    def stacks(self) -> Stacks: ...

    @property
    def runs(self) -> Runs: ...

    @property
    def step_runs(self) -> StepRuns: ...

    @property
    def artifacts(self) -> Artifacts: ...

    @property
    def models(self) -> Models: ...


class Users(Protocol):
    """The users of a team server, kept in its store; only the server reads them."""

    def create(self, name: str) -> str:
        """Add a user; return their token (the store keeps only its hash)."""
        ...

    def list(self) -> list[User]: ...

    def revoke(self, name: str) -> User:
        """Stop every token of the user."""
        ...

    def authenticate(self, token: str) -> User:
        """The user a token belongs to; `AuthenticationError` for a wrong or revoked one."""
        ...


class ServerStore(Store, Protocol):
    """A store a team server runs on: it keeps the users, and acts for one per request."""

    @property
    def users(self) -> Users: ...

    def acting_as(self, user_name: str) -> Store:
        """A view of the same database whose records belong to, and are seen by, this user."""
        ...
