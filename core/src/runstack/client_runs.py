"""The run half of `runstack.Client`: runs, pipelines, artifacts and their lineage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runstack.component_types import ComponentType
from runstack.errors import ConfigError

if TYPE_CHECKING:
    from runstack.components import BaseArtifactStore, BaseComponent
    from runstack.pipelines.results import Artifact, PipelineRun
    from runstack.runs import ArtifactRecord, PipelineSummary, RunRecord, RunStatus
    from runstack.stacks import Stack, StackComponent
    from runstack.store.base import Store


class RunQueries:
    """Mixed into `Client`: everything about what ran, on which stack, making what."""

    if TYPE_CHECKING:

        @property
        def store(self) -> Store: ...

        def get_stack(self, name_or_id: str | None = None) -> Stack: ...
        def get_component(self, component_type: Any, name_or_id: str) -> StackComponent: ...
        def build_component(self, component: StackComponent) -> BaseComponent: ...

    def artifact_store(self, component_id: str) -> BaseArtifactStore:
        """The artifact store with this component id, built once per client."""
        from runstack.components import BaseArtifactStore

        built: dict[str, BaseArtifactStore] = self.__dict__.setdefault("_artifact_stores", {})
        if component_id not in built:
            component = self.get_component(ComponentType.ARTIFACT_STORE, component_id)
            store = self.build_component(component)
            assert isinstance(store, BaseArtifactStore)
            built[component_id] = store
        return built[component_id]

    def get_run(self, name_or_id: str) -> PipelineRun:
        """A run with its steps and their artifacts, by run name or id."""
        from runstack.pipelines.results import PipelineRun

        return PipelineRun.load(self, name_or_id)  # type: ignore[arg-type]

    def list_runs(
        self,
        *,
        pipeline: str | None = None,
        stack: str | None = None,
        status: str | RunStatus | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Runs, newest first; filter by pipeline name, stack (name or id) and status."""
        stack_id = None if stack is None else self.get_stack(stack).id
        return self.store.list_runs(
            pipeline=pipeline, stack_id=stack_id, status=_status(status), limit=limit
        )

    def count_runs(
        self,
        *,
        pipeline: str | None = None,
        stack: str | None = None,
        status: str | RunStatus | None = None,
    ) -> int:
        """How many runs `list_runs` would return without a limit."""
        stack_id = None if stack is None else self.get_stack(stack).id
        return self.store.count_runs(pipeline=pipeline, stack_id=stack_id, status=_status(status))

    def delete_run(self, name_or_id: str, *, force: bool = False) -> RunRecord:
        """Delete a run's records, and the files of artifacts no other run uses.

        A run still marked running is deleted only with `force`. Files are removed
        only inside run folders; what is left in place, and why, is warned about.
        """
        from runstack.pipelines.run_files import remove_run_files
        from runstack.runs import RunStatus

        run = self.store.get_run(name_or_id)
        if run.status is RunStatus.RUNNING and not force:
            raise ConfigError(
                f"run {run.name!r} is still running; wait for it to finish, or pass --force "
                "to delete it anyway"
            )
        own_step_runs = {step_run.id for step_run in self.store.list_step_runs(run.id)}
        orphans = self.store.delete_run(run.id)
        remove_run_files(self, run, own_step_runs, orphans)
        return run

    def list_pipelines(self) -> list[PipelineSummary]:
        return self.store.list_pipelines()

    def list_artifacts(self, limit: int | None = None) -> list[ArtifactRecord]:
        return self.store.list_artifacts(limit)

    def get_artifact(self, artifact_id: str) -> Artifact:
        """An artifact by id (or a unique id prefix); `.load()` reads it back."""
        from runstack.pipelines.results import Artifact

        return Artifact(self.store.get_artifact(artifact_id), self)  # type: ignore[arg-type]

    def artifact_lineage(self, artifact_id: str) -> dict[str, Any]:
        """Which step made an artifact, which cached steps reused it, which read it, by run."""
        artifact = self.store.get_artifact(artifact_id)
        users = self.store.artifact_users(artifact.id)

        def uses(wanted: str, role: str) -> list[dict[str, str]]:
            return [
                {"run": run, "step": step, role: name}
                for direction, run, step, name in users
                if direction == wanted
            ]

        return {
            "artifact": artifact.to_dict(),
            "produced_by": uses("output", "output"),
            "reused_by": uses("cached", "output"),
            "consumed_by": uses("input", "input"),
        }


def _status(status: str | RunStatus | None) -> RunStatus | None:
    from runstack.runs import RunStatus

    if status is None or isinstance(status, RunStatus):
        return status
    try:
        return RunStatus(status.lower())
    except ValueError:
        known = ", ".join(s.value for s in RunStatus)
        raise ConfigError(f"unknown run status {status!r}; use one of: {known}") from None
