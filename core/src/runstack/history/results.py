"""What a run gives back in Python: `run.steps["train"].outputs["model"].load()`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runstack.runs import ArtifactRecord, RunRecord, RunStatus, StepRunRecord, StepStatus

if TYPE_CHECKING:
    from runstack.components import BaseArtifactStore
    from runstack.history.artifact_stores import ArtifactStores


@dataclass(frozen=True, repr=False)
class Artifact:
    """A stored step output or saved value, one version of its name (ZenML's artifact version);
    `load()` reads it from its artifact store."""

    record: ArtifactRecord
    artifact_stores: ArtifactStores

    def __repr__(self) -> str:
        record = self.record
        return (
            f"<Artifact {record.name} v{record.version} ({record.type_name}, "
            f"{record.size} bytes) id={record.id[:8]}>"
        )

    def __getitem__(self, index: int) -> Artifact:
        """`outputs["model"][0]` is the artifact itself, for code written against ZenML
        versions whose outputs were lists of one."""
        if index not in (0, -1):
            raise IndexError(f"output {self.name!r} is one artifact; only [0] reads it as a list")
        return self

    def __len__(self) -> int:
        return 1

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def version(self) -> str:
        """The version of its name: `"3"`, or the text it was given (ZenML's versions are text)."""
        return self.record.version

    @property
    def tags(self) -> list[str]:
        return list(self.record.tags)

    @property
    def artifact_type(self) -> str:
        """ZenML's artifact type: `DataArtifact` unless an `ArtifactConfig` said otherwise."""
        return self.record.artifact_type

    @property
    def uri(self) -> str:
        return self.record.uri

    @property
    def run_metadata(self) -> dict[str, Any]:
        """What was logged about the artifact (`log_metadata`, `add_output_metadata`)."""
        return self.record.metadata

    @property
    def artifact_store(self) -> BaseArtifactStore:
        """The artifact store holding the files (`.path(artifact.uri)` on a local one)."""
        return self.artifact_stores.get(self.record.artifact_store_id)

    def load(self) -> Any:
        """The value, materialized again from the artifact store (never from memory)."""
        from runstack.history.artifacts import UnreadableArtifactError, load_artifact
        from runstack.history.integrity import record_unreadable

        try:
            return load_artifact(self.artifact_store, self.record)
        except UnreadableArtifactError as error:
            message = record_unreadable(self.artifact_stores.store, error.artifact_id, str(error))
            raise UnreadableArtifactError(message, error.artifact_id) from error


@dataclass(frozen=True, repr=False)
class StepRun:
    """One step of a run: status, why it ran or where it was cached from, inputs, outputs."""

    record: StepRunRecord
    inputs: dict[str, Artifact]
    outputs: dict[str, Artifact]
    artifact_stores: ArtifactStores
    artifact_store_id: str

    def __repr__(self) -> str:
        return (
            f"<StepRun {self.name} {self.status.value}, outputs: "
            f"{', '.join(self.outputs) or 'none'}>"
        )

    @property
    def id(self) -> str:
        """The step run's id (`log_metadata(..., step_id=...)` takes it)."""
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.invocation

    @property
    def status(self) -> StepStatus:
        return self.record.status

    @property
    def cached(self) -> bool:
        return self.record.status is StepStatus.CACHED

    @property
    def run_metadata(self) -> dict[str, Any]:
        """What the step and its components logged about this step run; a cached one shows
        what the step run it reuses had, as ZenML's do."""
        return self.record.metadata

    @property
    def logs(self) -> str:
        """What the step printed and logged, and its full traceback if it failed.

        Read from the artifact store, beside the step's outputs; if it cannot be read
        there, the last lines the records keep, after a note saying why."""
        return self._read_logs(self.record)

    def cached_origin(self) -> tuple[str, str] | None:
        """For a cached step: the run that made the outputs it reuses, and what the step
        printed there; None for a step that ran (or whose origin run was deleted)."""
        from runstack.errors import NotFoundError

        if self.record.cached_from is None:
            return None
        step_runs = self.artifact_stores.store.step_runs
        try:
            origin = step_runs.get(self.record.cached_from)
            run_name = step_runs.run_name(origin.id)
        except NotFoundError:
            return None
        return run_name, self._read_logs(origin)

    def _read_logs(self, record: StepRunRecord) -> str:
        from runstack.history.step_logs import read_log

        kept = self.artifact_stores.store.step_runs.logs(record.id)
        return read_log(
            record.log_uri, kept, lambda: self.artifact_stores.get(self.artifact_store_id)
        )


@dataclass(frozen=True, repr=False)
class PipelineRun:
    """A recorded run and its steps, in the order the pipeline declared them."""

    record: RunRecord
    steps: dict[str, StepRun]

    def __repr__(self) -> str:
        return (
            f"<PipelineRun {self.name} of {self.record.pipeline_name} {self.status.value}, "
            f"steps: {', '.join(self.steps)}>"
        )

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def status(self) -> RunStatus:
        return self.record.status

    @property
    def run_metadata(self) -> dict[str, Any]:
        """What was logged about the run, then each step's metadata as `<step>::<key>`, the
        keys ZenML shows a run's steps' metadata under."""
        found = dict(self.record.metadata)
        for step in self.steps.values():
            for key, value in step.run_metadata.items():
                found.setdefault(f"{step.name}::{key}", value)
        return found

    @classmethod
    def load(cls, artifact_stores: ArtifactStores, name_or_id: str) -> PipelineRun:
        store = artifact_stores.store
        record = store.runs.get(name_or_id)
        step_runs = store.step_runs.list(record.id)
        ids = {i for s in step_runs for i in (*s.inputs.values(), *s.outputs.values())}
        artifacts = {
            artifact_id: Artifact(artifact, artifact_stores)
            for artifact_id, artifact in store.artifacts.get_many(sorted(ids)).items()
        }
        steps = {
            s.invocation: StepRun(
                record=s,
                inputs={name: artifacts[i] for name, i in s.inputs.items() if i in artifacts},
                outputs={name: artifacts[i] for name, i in s.outputs.items() if i in artifacts},
                artifact_stores=artifact_stores,
                artifact_store_id=record.artifact_store_id,
            )
            for s in step_runs
        }
        return cls(record, steps)
