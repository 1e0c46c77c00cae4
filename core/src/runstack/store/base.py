"""The store interface: what the client needs from wherever stacks, components and runs are kept.

Everything crosses it as the plain records of `runstack.stacks`, so a REST
client for a shared server can implement it without touching the client or CLI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from runstack.component_types import ComponentType
from runstack.stacks import Stack, StackComponent

if TYPE_CHECKING:
    from runstack.runs import (
        ArtifactRecord,
        PipelineSummary,
        RunRecord,
        RunStatus,
        StepRunRecord,
    )


class RunStore(Protocol):
    """Runs, step runs and artifacts: the record of what ran and what it made."""

    def create_run(self, run: RunRecord) -> None:
        """Record a starting run (and its pipeline, the first time it runs)."""
        ...

    def finish_run(
        self, run_id: str, status: RunStatus, finished: datetime, error: str
    ) -> None: ...

    def record_heartbeat(self, run_id: str, moment: datetime) -> None:
        """Note that a running run's process is still at work (see `pipelines.heartbeat`)."""
        ...

    def get_run(self, name_or_id: str) -> RunRecord:
        """A run by name, id or unique id prefix.

        Here and in `list_runs`, a running run whose process is known to have died
        reads as crashed (and is recorded so), with the steps it was running.
        """
        ...

    def list_runs(
        self,
        *,
        pipeline: str | None = None,
        stack_id: str | None = None,
        status: RunStatus | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Runs, newest first, optionally filtered."""
        ...

    def count_runs(
        self,
        *,
        pipeline: str | None = None,
        stack_id: str | None = None,
        status: RunStatus | None = None,
    ) -> int:
        """How many runs match the filters of `list_runs`."""
        ...

    def list_pipelines(self) -> list[PipelineSummary]: ...

    def delete_run(self, run_id: str) -> list[ArtifactRecord]:
        """Delete a run's records; return (and forget) the artifacts nothing else uses."""
        ...

    def runs_using_artifact_store(self, component_id: str) -> list[str]:
        """Names of the runs whose artifacts are in this artifact store, oldest first."""
        ...

    def start_step_run(self, step_run: StepRunRecord, position: int) -> None:
        """Record that a step started, so a crash leaves a trace."""
        ...

    def finish_step_run(
        self,
        step_run: StepRunRecord,
        position: int,
        logs: str,
        new_artifacts: Sequence[ArtifactRecord] = (),
    ) -> list[ArtifactRecord]:
        """Record a finished step and the artifacts it made, in one transaction."""
        ...

    def list_step_runs(self, run_id: str) -> list[StepRunRecord]: ...

    def get_step_run(self, step_run_id: str) -> StepRunRecord: ...

    def step_logs(self, step_run_id: str) -> str: ...

    def run_name_of_step_run(self, step_run_id: str) -> str: ...

    def find_cached_step_run(self, cache_key: str, artifact_store_id: str) -> StepRunRecord | None:
        """The newest successful step run with this cache key in this artifact store."""
        ...

    def previous_step_run(
        self, pipeline_name: str, invocation: str, artifact_store_id: str
    ) -> StepRunRecord | None:
        """The newest successful run of the same step of the same pipeline."""
        ...

    def list_artifacts(self, limit: int | None = None) -> list[ArtifactRecord]: ...

    def get_artifact(self, artifact_id: str) -> ArtifactRecord: ...

    def get_artifacts(self, artifact_ids: Sequence[str]) -> dict[str, ArtifactRecord]: ...

    def mark_artifact_damaged(self, artifact_id: str, reason: str) -> None:
        """Record why an artifact cannot be read back, so the cache never reuses it again."""
        ...

    def artifact_users(self, artifact_id: str) -> list[tuple[str, str, str, str]]:
        """(direction, run name, step, input/output name) for each use of an artifact.

        Direction is `output` for the step run that wrote it, `cached` for step runs
        that reused it from the cache, `input` for step runs that read it.
        """
        ...


class Store(RunStore, Protocol):
    """Reads and writes components and stacks; each write is one transaction.

    Lookups raise `NotFoundError`, name clashes `AlreadyExistsError`, removing
    something still referenced `InUseError`; the messages are user-facing.
    """

    location: str

    def list_components(self, component_type: ComponentType | None = None) -> list[StackComponent]:
        """All components, or those of one type, ordered by type then name."""
        ...

    def get_component(self, component_type: ComponentType, name_or_id: str) -> StackComponent:
        """One component by exact name, full id or unique id prefix."""
        ...

    def create_component(self, component: StackComponent) -> None:
        """Add a new component; its (type, name) must be free."""
        ...

    def update_component(self, component: StackComponent) -> None:
        """Replace name, config, secrets, shared flag and update time of the component `id`."""
        ...

    def record_flavor_version(self, component_id: str, version: str) -> None:
        """Note that the component's config fits its flavor's model as of plugin `version`."""
        ...

    def delete_component(self, component_id: str) -> None:
        """Remove a component that no stack uses."""
        ...

    def stacks_using(self, component_id: str) -> list[str]:
        """Names of the stacks that contain this component."""
        ...

    def list_stacks(self) -> list[Stack]:
        """All stacks with their components, ordered by name."""
        ...

    def get_stack(self, name_or_id: str) -> Stack:
        """One stack by exact name, full id or unique id prefix."""
        ...

    def create_stack(
        self,
        stack: Stack,
        new_components: Sequence[StackComponent] = (),
        *,
        lacking: Mapping[ComponentType, Sequence[str]] | None = None,
    ) -> Stack:
        """Add a stack, first creating `new_components`, all in one transaction.

        A new component matching (flavor, config, the secrets it carries) a stored
        one of the same type and name is that one; a different one is a
        `ConfigError`; one to be created that lacks secrets (`lacking`) is a
        `MissingSecretsError`. Returns the stack as stored.
        """
        ...

    def update_stack(self, stack: Stack) -> None:
        """Replace name, shared flag, update time and components of the stack with this id."""
        ...

    def delete_stack(self, stack_id: str) -> None:
        """Remove a stack (its components stay registered)."""
        ...
