"""What a running step knows about itself: `get_step_context()`.

The context is made where the step's code runs (a thread of this process, a worker
process, a Dask worker) from the step's work, and set in a ContextVar around the
step: two steps running at once on two threads each see their own. A thread a step
starts itself sees none unless it runs with the step's context copied:
`threading.Thread(target=contextvars.copy_context().run, args=(work,))`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from runstack.component_types import ComponentType
from runstack.components.alerter import BaseAlerter
from runstack.components.artifact_store import BaseArtifactStore
from runstack.components.base import BaseComponent
from runstack.components.experiment_tracker import BaseExperimentTracker
from runstack.components.orchestrator import BaseOrchestrator
from runstack.errors import ConfigError, RunstackError
from runstack.runs import ArtifactRecord, MetadataValue, checked_metadata


class NoStepContextError(RunstackError):
    """`get_step_context()` was called where no step is running."""


@dataclass(frozen=True)
class StepStack:
    """The run's stack with its components built, one attribute per `ComponentType` (None where
    the stack has none); built once per run and shipped with every step's work."""

    name: str
    orchestrator: BaseOrchestrator
    artifact_store: BaseArtifactStore
    step_operator: BaseComponent | None = None
    experiment_tracker: BaseExperimentTracker | None = None
    model_deployer: BaseComponent | None = None
    model_registry: BaseComponent | None = None
    container_registry: BaseComponent | None = None
    image_builder: BaseComponent | None = None
    alerter: BaseAlerter | None = None
    annotator: BaseComponent | None = None
    data_validator: BaseComponent | None = None
    feature_store: BaseComponent | None = None

    @classmethod
    def of(cls, name: str, built: Mapping[ComponentType, BaseComponent]) -> StepStack:
        """The stack named `name` made of `built`, which holds an orchestrator and an artifact
        store (the flavors' bases are checked as each component is built)."""
        components: dict[str, Any] = {kind.value: component for kind, component in built.items()}
        return cls(name=name, **components)

    @functools.cached_property
    def components(self) -> tuple[tuple[ComponentType, BaseComponent], ...]:
        """The stack's components in the fixed order of `ComponentType`, with their types
        (found once: every step run goes through them)."""
        found = ((kind, getattr(self, kind.value)) for kind in ComponentType)
        return tuple((kind, component) for kind, component in found if component is not None)


@dataclass(frozen=True)
class StepContext:
    """A running step's run, pipeline, name, parameters, outputs and stack (read-only).

    `step_name` is the step's id in the pipeline (`train_2` for the second call of
    `train`), `step_run_id` the id of this run of it; `output_uris` say where in the artifact
    store each output will be written; `experiment_tracker_enabled` whether the step opted
    into the stack's tracker. `metadata` is what was recorded with `add_metadata`,
    `run_metadata` what the step logged for its run and `output_metadata` for each output;
    all three reach the store with the step's record, wherever the step ran.
    `saved_artifacts` and `loaded_artifacts` (name -> id) are what its code saved and loaded
    with `save_artifact` and `load_artifact`, which the step run is linked to. `model` is
    the `runstack.Model` bound to the version the step runs under (None without a model).
    """

    run_id: str
    run_name: str
    pipeline_name: str
    step_name: str
    step_run_id: str
    parameters: Mapping[str, Any]
    output_names: tuple[str, ...]
    output_uris: Mapping[str, str]
    stack: StepStack
    experiment_tracker_enabled: bool
    metadata: dict[str, MetadataValue] = field(default_factory=dict)
    saved_artifacts: list[ArtifactRecord] = field(default_factory=list)
    loaded_artifacts: dict[str, str] = field(default_factory=dict)
    run_metadata: dict[str, MetadataValue] = field(default_factory=dict)
    output_metadata: dict[str, dict[str, MetadataValue]] = field(default_factory=dict)
    # Any: the Model class sits above this layer, on the client it looks versions up with.
    model: Any = None

    def add_metadata(self, values: Mapping[str, MetadataValue]) -> None:
        """Keep `values` (JSON) on the step run's record (`run describe` shows them): how a
        component says where it recorded the step (a tracking run's id and URI), or the step
        what it found. Later values replace earlier ones of the same key."""
        self.metadata.update(checked_metadata(values))

    def add_run_metadata(self, values: Mapping[str, MetadataValue]) -> None:
        """Keep `values` on the run's record under `<step>::<key>`, as ZenML names what a step
        logs for its run, so that steps logging the same key do not overwrite each other."""
        checked = checked_metadata(values)
        self.run_metadata.update({f"{self.step_name}::{key}": v for key, v in checked.items()})

    def add_output_metadata(
        self, metadata: Mapping[str, MetadataValue], output_name: str | None = None
    ) -> None:
        """Keep `metadata` on the artifact the output `output_name` is saved as (the step's one
        output when not named), as ZenML's `StepContext.add_output_metadata` does."""
        checked = checked_metadata(metadata)
        self.output_metadata.setdefault(self._output_named(output_name), {}).update(checked)

    def _output_named(self, output_name: str | None) -> str:
        """The output `output_name` names, or the step's only one; ConfigError otherwise."""
        outputs = ", ".join(self.output_names) or "none"
        if output_name is None:
            if len(self.output_names) == 1:
                return self.output_names[0]
            raise ConfigError(
                f"step {self.step_name!r} has {len(self.output_names)} outputs ({outputs}); "
                "name the one the metadata is for with output_name=... (artifact_name=... in "
                "log_metadata)"
            )
        if output_name not in self.output_names:
            raise ConfigError(
                f"step {self.step_name!r} has no output {output_name!r}; its outputs: {outputs}"
            )
        return output_name


_current: ContextVar[StepContext] = ContextVar("runstack_step_context")


def running_step_context() -> StepContext | None:
    """The context of the step whose code calls it, or None outside one: for code that works
    in and outside steps alike (`save_artifact`, `log_metadata`)."""
    return _current.get(None)


def get_step_context() -> StepContext:
    """The context of the step whose code calls it; NoStepContextError anywhere else."""
    try:
        return _current.get()
    except LookupError:
        raise NoStepContextError(
            "get_step_context() works only inside a running step; call it from a step's code "
            "while a pipeline runs it (a step called as a plain function has none), and in a "
            "thread the step starts, run the code in contextvars.copy_context()"
        ) from None


def enter_step(context: StepContext) -> Token[StepContext]:
    """Make `context` the one `get_step_context()` returns in this thread, until `leave_step`."""
    return _current.set(context)


def leave_step(token: Token[StepContext]) -> None:
    """Give back the context `enter_step` replaced (none, outside nested runs)."""
    _current.reset(token)
