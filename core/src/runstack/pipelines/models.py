"""`Model`: ZenML's model of a pipeline or step, whose version each run makes or reuses and
links every artifact it produces to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from runstack.errors import ConfigError
from runstack.models import STAGE_NAMES, ModelSpec, ModelStages, ModelVersionRecord
from runstack.names import check_name

if TYPE_CHECKING:
    from runstack.history.model_versions import ModelVersion
    from runstack.history.results import Artifact
    from runstack.store.base import Store


@dataclass(frozen=True, kw_only=True)
class Model(ModelSpec):
    """`@pipeline(model=Model(name="iris", version=None))`: each run makes the next numbered
    version (or reuses the one `version` names) and links every output to it.

    Inside a step, `get_step_context().model` is the version the step runs under (`version` is
    then its name); elsewhere `id`, `number`, `stage` and `get_artifact` look it up.
    """

    _record: ModelVersionRecord | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_name(self.name, "model")
        if isinstance(self.version, bool) or not isinstance(self.version, str | int | None):
            raise ConfigError(
                f"model {self.name!r}: version must be a name, a number, a stage or None, "
                f"not {type(self.version).__name__}"
            )
        if isinstance(self.version, str) and self.version not in STAGE_NAMES:
            check_name(self.version, "model version")
        tags = self.tags or []
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise ConfigError(f"model {self.name!r}: tags must be a list of strings")

    @property
    def id(self) -> str:
        return self._found().id

    @property
    def number(self) -> int:
        return self._found().number

    @property
    def stage(self) -> ModelStages:
        return self._found().stage

    def get_artifact(self, name: str, version: str | int | None = None) -> Artifact:
        """The newest artifact named `name` linked to this model version."""
        return self._model_version().get_artifact(name, version)

    def load_artifact(self, name: str, version: str | int | None = None) -> Any:
        """The value of `get_artifact(name)`."""
        return self.get_artifact(name, version).load()

    def set_stage(self, stage: str, force: bool = False) -> None:
        """Put this model version in a stage (see `ModelVersion.set_stage`)."""
        version = self._model_version()
        version.set_stage(stage, force)
        if self._record is not None:  # the bound version's record, kept current as ZenML's is
            object.__setattr__(self, "_record", version.record)

    def spec(self) -> ModelSpec:
        """What the store is asked for, without what a run bound to it."""
        return ModelSpec(**{f.name: getattr(self, f.name) for f in fields(ModelSpec)})

    def _found(self) -> ModelVersionRecord:
        return self._record or self._model_version().record

    def _model_version(self) -> ModelVersion:
        from runstack.client import Client

        wanted = self.version if self._record is None else self._record.id
        return Client().get_model_version(self.name, wanted)


def prepare_versions(store: Store, models: Mapping[str, Model]) -> dict[str, Model]:
    """Each step's model bound to the version the run runs it under: one version per distinct
    model name and version as given, however many steps name it."""
    versions: dict[tuple[str, str | int | None], Model] = {}
    for model in models.values():
        key = (model.name, model.version)
        if key not in versions:
            record = store.models.prepare_version(model.spec())
            versions[key] = replace(model, version=record.name, _record=record)
    return {step: versions[(model.name, model.version)] for step, model in models.items()}
