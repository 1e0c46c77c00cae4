"""A model version as ZenML's client gives it: `Client().get_model_version("iris", "production")`,
with the artifacts and runs linked to it and the stage it is in."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runstack.errors import NotFoundError

if TYPE_CHECKING:
    from runstack.history.artifact_stores import ArtifactStores
    from runstack.history.results import Artifact, PipelineRun
    from runstack.models import ModelLink, ModelRecord, ModelStages, ModelVersionRecord


@dataclass(repr=False)
class ModelVersion:
    """One version of a model: `name` is the version's (its number unless named), `model` the
    model's record; `set_stage` changes it in the store and here."""

    record: ModelVersionRecord
    artifact_stores: ArtifactStores

    def __repr__(self) -> str:
        record = self.record
        return f"<ModelVersion {record.model_name} {record.name} ({record.stage.value})>"

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def number(self) -> int:
        return self.record.number

    @property
    def stage(self) -> ModelStages:
        return self.record.stage

    @property
    def model(self) -> ModelRecord:
        return self.artifact_stores.store.models.get(self.record.model_id)

    @property
    def links(self) -> builtins.list[ModelLink]:
        """The step runs under this version with each output they made or reused, oldest first."""
        return self.artifact_stores.store.models.links(self.record.id)

    @property
    def pipeline_runs(self) -> dict[str, PipelineRun]:
        """The runs that ran steps under this version, by name, oldest first."""
        from runstack.history.results import PipelineRun

        ids = dict.fromkeys(link.run_id for link in self.links)
        runs = (PipelineRun.load(self.artifact_stores, run_id) for run_id in ids)
        return {run.name: run for run in runs}

    def set_stage(self, stage: str, force: bool = False) -> None:
        """Put this version in `staging`, `production`, `archived` or `none`; the version
        already in `staging`/`production` is archived with `force=True`, else this is refused."""
        store = self.artifact_stores.store
        self.record = store.models.set_stage(self.record.id, str(stage), force)

    def linked_artifacts(self) -> builtins.list[tuple[ModelLink, Artifact]]:
        """Each output a step under this version made or reused, with the step run's link."""
        from runstack.history.results import Artifact

        links = [link for link in self.links if link.artifact_id is not None]
        ids = sorted({link.artifact_id for link in links if link.artifact_id is not None})
        records = self.artifact_stores.store.artifacts.get_many(ids)
        return [
            (link, Artifact(records[link.artifact_id], self.artifact_stores))
            for link in links
            if link.artifact_id in records
        ]

    def get_artifact(self, name: str, version: str | int | None = None) -> Artifact:
        """The newest artifact named `name` (of that `version` if given) linked to this version:
        made or reused from the cache by a step that ran under it."""
        artifacts = [artifact for _, artifact in self.linked_artifacts()]
        wanted_version = None if version is None else str(version)
        named = [
            a for a in artifacts if a.name == name and wanted_version in (None, a.record.version)
        ]
        if not named:
            linked = ", ".join(sorted({a.name for a in artifacts})) or "none"
            wanted = name if version is None else f"{name} version {version}"
            raise NotFoundError(
                f"model {self.record.model_name!r} version {self.name!r} has no artifact "
                f"{wanted!r}; linked artifacts: {linked}"
            )
        return max(named, key=lambda artifact: artifact.record.created)
