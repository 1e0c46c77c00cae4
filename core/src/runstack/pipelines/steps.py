"""`@step`: a plain function whose typed outputs runstack persists between steps."""

from __future__ import annotations

import functools
import inspect
import sys
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import NoneType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    TypeAlias,
    TypedDict,
    Unpack,
    get_args,
    get_origin,
    overload,
)

from runstack.errors import ConfigError
from runstack.names import check_name
from runstack.pipelines.annotations import strip_annotated
from runstack.pipelines.fingerprint import code_fingerprint
from runstack.pipelines.retry import RetryLayer, retries_given
from runstack.pipelines.run_config import (
    TrackerChoice,
    check_experiment_tracker,
    check_retries,
    check_timeout,
    merge_changes,
)

if TYPE_CHECKING:
    from runstack.materializers.base import Materializer
    from runstack.pipelines.artifact_config import ArtifactConfig
    from runstack.pipelines.definition import PipelineOptions
    from runstack.pipelines.models import Model
    from runstack.pipelines.retry_config import StepRetryConfig
    from runstack.pipelines.step_hooks import HookSpecification, StepHooks

OutputMaterializers: TypeAlias = "type[Materializer] | Mapping[str, type[Materializer]]"


@dataclass(frozen=True)
class OutputSpec:
    """One output of a step, the type it is annotated with (`Any` if unannotated), and how its
    artifact is recorded: `named` when the annotation gave its name (`Annotated[T, "name"]`
    or an `ArtifactConfig` with a name), `config` its version, tags and type (None: the
    defaults, a new version of its name, no tags, `DataArtifact`)."""

    name: str
    annotation: Any
    named: bool = False
    config: ArtifactConfig | None = None
    materializer: type[Materializer] | None = None
    """The one `output_materializers=` chose; None: the annotation or the value's type chooses."""

    def artifact_name(self, pipeline: str, invocation: str) -> str:
        """ZenML's rule: the name the annotation gave, else `{pipeline}::{step}::{output}`."""
        if self.config is not None and self.config.name:
            return self.config.name
        return self.name if self.named else f"{pipeline}::{invocation}::{self.name}"


@dataclass(frozen=True)
class StepOptions:
    """Options a step carries; `None` means "not set here", so later layers can fill it."""

    name: str | None = None
    enable_cache: bool | None = None
    retries: int | None = None
    retry_delay: float | None = None
    timeout: float | None = None
    experiment_tracker: TrackerChoice | None = None
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    output_materializers: OutputMaterializers | None = None
    retry: StepRetryConfig | None = None
    on_failure: HookSpecification | None = None
    on_success: HookSpecification | None = None
    model: Model | None = None


class Step:
    """A step function with its options; called inside a `@pipeline`, it adds itself to the DAG.

    Called anywhere else it just runs the function, so steps stay testable as
    ordinary Python.
    """

    def __init__(self, function: Callable[..., Any], options: StepOptions) -> None:
        self.function = function
        self._set_options(options)
        self.signature = inspect.signature(function)
        for parameter in self.signature.parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise ConfigError(
                    f"step {self.name!r} takes *{parameter.name}; steps need named parameters, "
                    "so that inputs and parameters can be recorded"
                )
        hints = _type_hints(function, self.name)
        self.input_annotations = {
            name: strip_annotated(hints.get(name, Any)) for name in self.signature.parameters
        }
        outputs = _output_specs(hints.get("return", Any), function)
        _check_output_names(self.name, outputs)
        self.outputs = _with_materializers(self.name, outputs, options.output_materializers)
        functools.update_wrapper(self, function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from runstack.pipelines.graph import current_graph

        graph = current_graph()
        if graph is None:
            return self.function(*args, **kwargs)
        return graph.add(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<step {self.name}>"

    @property
    def entrypoint(self) -> Callable[..., Any]:
        """The plain function, as ZenML's `my_step.entrypoint(...)` calls it."""
        return self.function

    def with_options(self, **changes: Any) -> Step:
        """A copy of the step with some options changed: `train.with_options(retries=2)`."""
        return Step(self.function, self._changed(changes))

    def configure(self, **changes: Any) -> Step:
        """Change this step's options in place and return it (ZenML's `configure`); every
        pipeline that calls it afterwards sees the change."""
        self._set_options(self._changed(changes))
        return self

    def _changed(self, changes: dict[str, Any]) -> StepOptions:
        changes = merge_changes(self.options.settings, self.options.extra, changes)
        try:
            return replace(self.options, **changes)
        except TypeError as error:
            raise ConfigError(f"step {self.name!r}: {error}") from None

    def _set_options(self, options: StepOptions) -> None:
        """Check `options` and make them this step's: what `__init__` and `configure` share."""
        self.name, self.retry_layer, self.hooks = checked_options("step", self.function, options)
        self.options = options

    @functools.cached_property
    def source_hash(self) -> str:
        """A hash of the function's code and the user code and constants it reaches, once.

        Hashing the compiled code rather than the source text is ~100x cheaper (no
        tokenizing of the file) and ignores comments, formatting and line moves.
        """
        return code_fingerprint(self.function)


class DecoratorOptions(TypedDict, total=False):
    """What `@step(...)` and `@pipeline(...)` accept."""

    name: str | None
    enable_cache: bool | None
    retries: int | None
    retry_delay: float | None
    timeout: float | None
    experiment_tracker: TrackerChoice | None
    settings: Mapping[str, Mapping[str, Any]] | None
    extra: Mapping[str, Any] | None
    retry: StepRetryConfig | None
    on_failure: HookSpecification | None
    on_success: HookSpecification | None
    model: Model | None


class StepDecoratorOptions(DecoratorOptions, total=False):
    """What `@step(...)` accepts beyond what pipelines do."""

    output_materializers: OutputMaterializers | None


def option_values(options: DecoratorOptions) -> dict[str, Any]:
    """Decorator keywords as dataclass fields: absent tables become empty ones."""
    values: dict[str, Any] = dict(options)
    values["settings"] = dict(options.get("settings") or {})
    values["extra"] = dict(options.get("extra") or {})
    return values


@overload
def step(function: Callable[..., Any], /) -> Step: ...


@overload
def step(**options: Unpack[StepDecoratorOptions]) -> Callable[[Callable[..., Any]], Step]: ...


def step(
    function: Callable[..., Any] | None = None, /, **options: Unpack[StepDecoratorOptions]
) -> Step | Callable[[Callable[..., Any]], Step]:
    """Make a function a step: `@step` or `@step(enable_cache=False, retries=2)`.

    `experiment_tracker=True` runs it with the stack's experiment tracker (the run is
    refused on a stack without one; ZenML's `experiment_tracker="name"` also checks that
    the tracker has that name); its code sees so in `get_step_context()`.
    `output_materializers=` saves its outputs with a materializer class of your choice (one
    for every output, or a dict by output name), as ZenML's does.
    """
    chosen = StepOptions(**option_values(options))
    if function is not None:
        return Step(function, chosen)
    return lambda decorated: Step(decorated, chosen)


def checked_options(
    kind: str, function: Callable[..., Any], options: StepOptions | PipelineOptions
) -> tuple[str, RetryLayer, StepHooks | None]:
    """What a step's and a pipeline's options are checked for alike, when declared or
    configured: their name, retries, hooks, timeout, experiment tracker and model."""
    check_retries(options.retries, options.retry_delay)
    check_timeout(options.timeout)
    check_experiment_tracker(options.experiment_tracker)
    check_model(options.model)
    name = check_name(chosen_name(options.name, function), kind)
    owner = f"{kind} {name!r}"
    hooks = None
    if options.on_failure is not None or options.on_success is not None:
        from runstack.pipelines.step_hooks import StepHooks  # most steps have none

        hooks = StepHooks.checked(owner, options.on_failure, options.on_success)
    return (
        name,
        retries_given(owner, options.retries, options.retry_delay, options.retry),
        hooks,
    )


def check_model(model: object) -> None:
    """`model=` takes a `Model` (ZenML's `Model(name=...)`), or None."""
    if model is None:
        return
    from runstack.pipelines.models import Model

    if not isinstance(model, Model):
        raise ConfigError(f"model must be a Model(name=...), not {type(model).__name__}")


def chosen_name(name: str | None, function: Callable[..., Any]) -> str:
    """The `name=` option, else the function's name (an explicit empty name is an error)."""
    return function.__name__ if name is None else name


def _check_output_names(step: str, outputs: list[OutputSpec]) -> None:
    """Output names become folders of the step: each must pass the name rule, once."""
    seen = set()
    for output in outputs:
        try:
            check_name(output.name, "output")
        except ConfigError as error:
            raise ConfigError(f"step {step!r}: {error}") from None
        if output.name in seen:
            raise ConfigError(
                f"step {step!r} has two outputs named {output.name!r}; give each its own name"
            )
        seen.add(output.name)


def _with_materializers(
    step: str, outputs: list[OutputSpec], chosen: OutputMaterializers | None
) -> list[OutputSpec]:
    """The outputs with the materializers `output_materializers=` names, checked when the step
    is declared: a class for every output, or a dict from output names to classes."""
    if chosen is None:
        return outputs
    from runstack.materializers.base import Materializer

    names = [output.name for output in outputs]
    by_name = dict(chosen) if isinstance(chosen, Mapping) else dict.fromkeys(names, chosen)
    for name, materializer in by_name.items():
        if name not in names:
            raise ConfigError(
                f"step {step!r}: output_materializers names output {name!r}, which the step "
                f"does not have; its outputs: {', '.join(names) or 'none'}"
            )
        if not (isinstance(materializer, type) and issubclass(materializer, Materializer)):
            raise ConfigError(
                f"step {step!r}: output_materializers takes runstack Materializer subclasses "
                f"(from runstack.materializers), got {materializer!r} for output {name!r}"
            )
    return [replace(output, materializer=by_name.get(output.name)) for output in outputs]


def _type_hints(function: Callable[..., Any], name: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function, include_extras=True)
    except (NameError, TypeError) as error:
        raise ConfigError(
            f"step {name!r} has annotations that cannot be resolved ({error}); "
            "import the types it names at module level"
        ) from None


def _output_specs(annotation: Any, function: Callable[..., Any]) -> list[OutputSpec]:
    """`-> None`: no output; `-> tuple[A, B]` with a `return a, b`: two (ZenML's rule, see
    return_statements.py); anything else: one, named `output`."""
    if annotation is None or annotation is NoneType:
        return []
    if _several_outputs(annotation, function):
        return [_named(arg, f"output_{index}") for index, arg in enumerate(get_args(annotation))]
    return [_named(annotation, "output")]


def _several_outputs(annotation: Any, function: Callable[..., Any]) -> bool:
    """A fixed-length tuple annotation of a function that returns a tuple literal, or whose
    source cannot be read (the annotation alone then decides, as runstack always did)."""
    if get_origin(annotation) is not tuple or not get_args(annotation):
        return False
    if ... in get_args(annotation):
        return False
    from runstack.pipelines.return_statements import returns_tuple_literal

    return returns_tuple_literal(function) is not False


def _named(annotation: Any, default: str) -> OutputSpec:
    """An output named by `Annotated[T, "name"]` or `Annotated[T, ArtifactConfig(name=...)]`,
    else by `default`."""
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        names = [item for item in metadata if isinstance(item, str)]
        config = _artifact_config(metadata)
        name = names[0] if names else (config.name if config else None)
        return OutputSpec(default if name is None else name, base, name is not None, config)
    return OutputSpec(default, annotation)


def _artifact_config(metadata: list[Any]) -> ArtifactConfig | None:
    """The `ArtifactConfig` among an annotation's metadata. There can be none before its module
    is imported, so a run whose steps use none never imports it (it costs start-up time)."""
    module = sys.modules.get("runstack.pipelines.artifact_config")
    if module is None:
        return None
    configs = [item for item in metadata if isinstance(item, module.ArtifactConfig)]
    return configs[0] if configs else None
