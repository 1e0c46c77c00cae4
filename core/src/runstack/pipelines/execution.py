"""Running one step's code: load its inputs, call it (with retries), check and save its outputs.

This is the part an orchestrator may run elsewhere (a worker process, later a
cluster): `StepWork` carries everything it needs and pickles with cloudpickle,
`perform` never raises, and what it returns is plain data.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from runstack.components import BaseArtifactStore, StepContext, StepStack, current_worker
from runstack.errors import ConfigError, RunstackError
from runstack.history.artifacts import (
    UnreadableArtifactError,
    load_artifact,
    output_uri,
    save_output,
)
from runstack.history.step_logs import (
    DEFAULT_LIMIT,
    BoundedLog,
    StoredLog,
    log_uri,
    store_log,
    tail,
)
from runstack.pipelines import capture
from runstack.pipelines.annotations import describe_type, matches
from runstack.pipelines.lifecycle import around_step
from runstack.pipelines.retry import DEFAULT_BACKOFF
from runstack.pipelines.steps import OutputSpec
from runstack.pipelines.tracebacks import user_traceback
from runstack.runs import ArtifactRecord, MetadataValue

if TYPE_CHECKING:
    from runstack.pipelines.models import Model
    from runstack.pipelines.step_hooks import StepHooks


@dataclass(frozen=True)
class StepWork:
    """One step's code and data, ready to run wherever the orchestrator runs code.

    `inputs` are keyed as lineage records them; `gathered` names the parameters given
    several outputs whole, with the keys of those outputs in order.
    """

    function: Callable[..., Any]
    pipeline: str
    run_id: str
    run_name: str
    invocation: str
    step_run_id: str
    parameters: dict[str, Any]
    inputs: dict[str, ArtifactRecord]
    outputs: list[OutputSpec]
    retries: int
    retry_delay: float
    stack: StepStack
    experiment_tracker: bool = False
    log_limit: int = DEFAULT_LIMIT
    gathered: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    retry_backoff: float = DEFAULT_BACKOFF
    hooks: StepHooks | None = None
    model: Model | None = None

    @property
    def artifact_store(self) -> BaseArtifactStore:
        return self.stack.artifact_store

    def context(self) -> StepContext:
        """What `get_step_context()` returns to the step's code, made where it runs."""
        return StepContext(
            run_id=self.run_id,
            run_name=self.run_name,
            pipeline_name=self.pipeline,
            step_name=self.invocation,
            step_run_id=self.step_run_id,
            parameters=MappingProxyType(self.parameters),
            output_names=tuple(spec.name for spec in self.outputs),
            output_uris=MappingProxyType(
                {
                    spec.name: output_uri(self.pipeline, self.run_id, self.invocation, spec.name)
                    for spec in self.outputs
                }
            ),
            stack=self.stack,
            experiment_tracker_enabled=self.experiment_tracker,
            model=self.model,
        )


@dataclass(frozen=True)
class WorkOutcome:
    """What running a step produced: its artifacts by output, or the error trimmed to the
    user's code.

    `unreadable` is the id of an input artifact its materializer could not load; `worker`
    is where it ran, as the orchestrator named it with `running_on` ("" if it did not);
    `printed` the last lines a failed step printed before its error (its log goes on
    with the traceback), for a console that did not see them; `metadata` what the
    components and the step recorded with `StepContext.add_metadata`, `run_metadata` what
    the step logged for its run (the artifacts carry what it logged for its outputs);
    `saved` and `loaded` what its code saved and loaded with `save_artifact` and
    `load_artifact`.
    """

    log: StoredLog
    attempts: int
    artifacts: dict[str, ArtifactRecord] = field(default_factory=dict)
    error: str = ""
    unreadable: str = ""
    worker: str = ""
    printed: str = ""
    metadata: dict[str, MetadataValue] = field(default_factory=dict)
    saved: list[ArtifactRecord] = field(default_factory=list)
    loaded: dict[str, str] = field(default_factory=dict)
    run_metadata: dict[str, MetadataValue] = field(default_factory=dict)


def perform(work: StepWork) -> WorkOutcome:
    """Run the step, its stack's components prepared around it, and capture what it prints
    and logs; failures come back as data.

    Its hooks run after its outcome is known (its last attempt, its outputs saved or
    not), with its context set and its components still prepared."""
    attempts = 0
    context = work.context()
    with capture.routing(), capture.capturing(work.log_limit) as log:
        try:
            hooks = work.hooks.around(context, log) if work.hooks else nullcontext()
            with around_step(context, log), hooks:
                arguments = {**work.parameters, **_loaded_inputs(work)}
                for attempts in range(1, work.retries + 2):
                    try:
                        result = work.function(**arguments)
                        break
                    except Exception as error:
                        if attempts > work.retries:
                            raise
                        delay = work.retry_delay * work.retry_backoff ** (attempts - 1)
                        log.write(
                            f"attempt {attempts} failed: {type(error).__name__}: {error}; "
                            f"retrying in {delay:g}s\n"
                        )
                        time.sleep(delay)
                values = check_outputs(work.invocation, work.outputs, result)
                artifacts = _save_outputs(work, values, context)
        except BaseException as error:  # SystemExit in a step is the step's failure too
            saved = [artifact.uri for artifact in context.saved_artifacts]
            _remove_outputs(work.artifact_store, [*context.output_uris.values(), *saved])
            if is_ctrl_c(error):
                raise
            printed = tail(log.getvalue())
            log.write("".join(traceback.format_exception(error)))
            return WorkOutcome(
                _stored(work, log),
                max(attempts, 1),
                error=user_traceback(error),
                unreadable=error.artifact_id if isinstance(error, UnreadableArtifactError) else "",
                worker=current_worker(),
                printed=printed,
                metadata=context.metadata,
                run_metadata=context.run_metadata,
            )
    return WorkOutcome(
        _stored(work, log),
        attempts,
        artifacts,
        worker=current_worker(),
        metadata=context.metadata,
        saved=context.saved_artifacts,
        loaded=context.loaded_artifacts,
        run_metadata=context.run_metadata,
    )


def _loaded_inputs(work: StepWork) -> dict[str, Any]:
    """Each input's value by parameter; a parameter given several outputs gets their tuple."""
    loaded = {key: load_artifact(work.artifact_store, a) for key, a in work.inputs.items()}
    for parameter, keys in work.gathered.items():
        loaded[parameter] = tuple(loaded.pop(key) for key in keys)
    return loaded


def _stored(work: StepWork, log: BoundedLog) -> StoredLog:
    """The step's log written beside its outputs, from wherever the step ran."""
    uri = log_uri(work.pipeline, work.run_id, work.invocation, work.step_run_id)
    return store_log(work.artifact_store, uri, log.getvalue())


def is_ctrl_c(error: BaseException) -> bool:
    """Whether `error` may be the user's Ctrl-C: only the main thread of a process that has
    Python's handler sees one; a KeyboardInterrupt elsewhere was raised by a step's code."""
    import signal  # only a failing step asks: a run that succeeds never pays for it

    return (
        isinstance(error, KeyboardInterrupt)
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )


def check_outputs(name: str, specs: list[OutputSpec], result: Any) -> dict[str, Any]:
    """The step's return value split into named outputs, each checked against its annotation."""
    if not specs:
        if result is not None:
            raise ConfigError(
                f"step {name!r} returned a value of type {type(result).__name__} but is "
                "annotated '-> None'; annotate its output type"
            )
        return {}
    if len(specs) == 1:
        values = [result]
    else:
        if not isinstance(result, (tuple, list)) or len(result) != len(specs):
            raise ConfigError(
                f"step {name!r} must return {len(specs)} values "
                f"({', '.join(s.name for s in specs)}), got {type(result).__name__}"
            )
        values = list(result)
    for spec, value in zip(specs, values, strict=True):
        if not matches(value, spec.annotation):
            raise ConfigError(
                f"step {name!r} output {spec.name!r} should be {describe_type(spec.annotation)}, "
                f"got {type(value).__name__}"
            )
    return {spec.name: value for spec, value in zip(specs, values, strict=True)}


def _save_outputs(
    work: StepWork, values: dict[str, Any], context: StepContext
) -> dict[str, ArtifactRecord]:
    """Write every output, with the metadata the step logged for it; on failure the caller
    removes what was written (`_remove_outputs`)."""
    artifacts = {}
    for spec in work.outputs:
        value = values[spec.name]
        try:
            artifacts[spec.name] = save_output(
                work.artifact_store,
                value,
                spec.annotation,
                name=spec.artifact_name(work.pipeline, work.invocation),
                uri=context.output_uris[spec.name],
                producer_step_run_id=work.step_run_id,
                **_recorded_as(spec),
                chosen=spec.materializer,
                metadata=context.output_metadata.get(spec.name),
            )
        except RunstackError:
            raise
        except Exception as error:
            raise ConfigError(
                f"step {work.invocation!r} could not save output {spec.name!r} "
                f"(a {type(value).__name__}): {type(error).__name__}: {error}"
            ) from error
    return artifacts


def _remove_outputs(store: BaseArtifactStore, uris: Iterable[str]) -> None:
    """A failed step leaves no outputs (nor values its code saved): a save that failed
    half-way, or a component that failed to clean up after the outputs were saved, would
    leave some behind."""
    for uri in uris:
        if store.exists(uri):
            store.rm(uri, recursive=True)


def _recorded_as(spec: OutputSpec) -> dict[str, Any]:
    """The version, tags and type an output's `ArtifactConfig` gives its artifact; with none, a
    new version of its name, no tags and ZenML's `DataArtifact` (`save_output`'s defaults)."""
    if spec.config is None:
        return {}
    config = spec.config
    return {
        "version": config.version or "",
        "tags": config.tags,
        "artifact_type": config.artifact_type.value,
    }
