"""`@pipeline`: a function that wires steps together; calling it runs them on the active stack,
and calling it inside another pipeline places its steps in that one."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, Unpack, overload

from runstack.errors import ConfigError
from runstack.pipelines.annotations import describe_type, strip_annotated
from runstack.pipelines.graph import Invocation, PipelineGraph, check_parameter, current_graph
from runstack.pipelines.parameter_types import expected_type
from runstack.pipelines.pipeline_context import PipelineContext, building_pipeline
from runstack.pipelines.retry import DEFAULT_BACKOFF
from runstack.pipelines.run_config import (
    RunConfig,
    Settings,
    StepRunConfig,
    TrackerChoice,
    load_run_config,
    merge_changes,
    merge_settings,
)
from runstack.pipelines.steps import DecoratorOptions, checked_options, option_values

if TYPE_CHECKING:
    from runstack.history.results import PipelineRun
    from runstack.pipelines.models import Model
    from runstack.pipelines.retry_config import StepRetryConfig
    from runstack.pipelines.step_hooks import HookSpecification, StepHooks

DEFAULT_RETRY_DELAY = 1.0

T = TypeVar("T")


@dataclass(frozen=True)
class PipelineOptions:
    """Options of a pipeline; a run config file (`config_path`) is applied on top of them."""

    name: str | None = None
    enable_cache: bool | None = None
    retries: int | None = None
    retry_delay: float | None = None
    timeout: float | None = None
    experiment_tracker: TrackerChoice | None = None
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    config_path: Path | None = None
    run_name: str | None = None
    stack: str | None = None
    retry: StepRetryConfig | None = None
    on_failure: HookSpecification | None = None
    on_success: HookSpecification | None = None
    model: Model | None = None


@dataclass(frozen=True)
class ResolvedStep:
    """One invocation with every option layer applied: decorator, pipeline, run config."""

    invocation: Invocation
    parameters: dict[str, Any]
    enable_cache: bool
    retries: int
    retry_delay: float
    timeout: float | None
    experiment_tracker: TrackerChoice
    settings: Settings
    extra: dict[str, Any]
    retry_backoff: float = DEFAULT_BACKOFF
    hooks: StepHooks | None = None
    model: Model | None = None

    def config(self) -> dict[str, Any]:
        """What is recorded with the run for this step."""
        return {
            "enable_cache": self.enable_cache,
            "retries": self.retries,
            "retry_delay": self.retry_delay,
            "timeout": self.timeout,
            "experiment_tracker": self.experiment_tracker,
            "settings": self.settings,
            "extra": self.extra,
        }


@dataclass(frozen=True)
class CompiledPipeline:
    """Everything a run needs, fixed before the first step starts."""

    name: str
    parameters: dict[str, Any]
    steps: dict[str, ResolvedStep]
    order: list[str]
    enable_cache: bool
    settings: Settings
    extra: dict[str, Any]
    run_name: str | None
    stack: str | None
    model: Model | None = None

    def config(self) -> dict[str, Any]:
        """The resolved configuration recorded with the run."""
        return {
            "enable_cache": self.enable_cache,
            "settings": self.settings,
            "extra": self.extra,
            "steps": {name: step.config() for name, step in self.steps.items()},
        }


class Pipeline:
    """A pipeline function and its options."""

    def __init__(self, function: Callable[..., Any], options: PipelineOptions) -> None:
        self.function = function
        self._set_options(options)
        self.signature = inspect.signature(function)
        functools.update_wrapper(self, function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the pipeline on the active stack (or `with_options(stack=...)`) and return the
        run; inside another pipeline, add its steps there and return what its function returns."""
        graph = current_graph()
        if graph is not None:
            return self._compose(graph, args, kwargs)
        from runstack.pipelines.runner import run_pipeline

        return run_pipeline(self.compile(*args, **kwargs))

    def _compose(self, graph: PipelineGraph, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """ZenML's composition: the function runs into the calling pipeline's graph, its
        arguments (values or outputs of that pipeline's steps) as its parameters."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as error:
            raise ConfigError(f"pipeline {self.name!r}: {error}") from None
        with graph.expanding(self.name, self.function):
            return self.function(*bound.args, **bound.kwargs)

    def __repr__(self) -> str:
        return f"<pipeline {self.name}>"

    @property
    def last_run(self) -> PipelineRun:
        """This pipeline's newest run, as `Client().get_pipeline(name).last_run` (ZenML's
        `my_pipeline.last_run`)."""
        from runstack.client import Client

        return Client().get_pipeline(self.name).last_run

    @functools.cached_property
    def parameter_annotations(self) -> dict[str, Any]:
        """The parameters' annotations, to check values against; none if they cannot be resolved
        (a pipeline's annotations were never required to be importable)."""
        try:
            hints = typing.get_type_hints(self.function, include_extras=True)
        except (NameError, TypeError):
            return {}
        return {name: strip_annotated(hint) for name, hint in hints.items() if name != "return"}

    def with_options(self, **changes: Any) -> Pipeline:
        """A copy with options changed, e.g. `with_options(config_path="run.toml")`."""
        return Pipeline(self.function, self._changed(changes))

    def configure(self, **changes: Any) -> Pipeline:
        """Change this pipeline's options in place and return it (ZenML's `configure`)."""
        self._set_options(self._changed(changes))
        return self

    def _changed(self, changes: dict[str, Any]) -> PipelineOptions:
        if isinstance(changes.get("config_path"), str):
            changes["config_path"] = Path(changes["config_path"])
        changes = merge_changes(self.options.settings, self.options.extra, changes)
        try:
            return replace(self.options, **changes)
        except TypeError as error:
            raise ConfigError(f"pipeline {self.name!r}: {error}") from None

    def _set_options(self, options: PipelineOptions) -> None:
        """Check `options` and make them this pipeline's: what `__init__` and `configure` share."""
        self.name, self.retry_layer, self.hooks = checked_options(
            "pipeline", self.function, options
        )
        self.options = options

    def compile(self, *args: Any, **kwargs: Any) -> CompiledPipeline:
        """Build the DAG by running the pipeline function with step calls recorded."""
        options = self.options
        config = load_run_config(options.config_path) if options.config_path else RunConfig()
        source = f"the run config {options.config_path}"
        bound = self._bind(args, kwargs, config.parameters, source)
        parameters = {
            name: check_parameter(
                value,
                f"pipeline {self.name!r}",
                name,
                expected_type(self.signature.parameters[name], self.parameter_annotations, value),
            )
            for name, value in bound.arguments.items()
        }
        extra = {**options.extra, **config.extra}
        graph = PipelineGraph(self.name)
        context = PipelineContext(name=self.name, model=options.model, extra=extra)
        with (
            graph.building(),
            graph.expanding(self.name, self.function),
            building_pipeline(context),
        ):
            self.function(*bound.args, **bound.kwargs)
        if not graph.invocations:
            raise ConfigError(
                f"pipeline {self.name!r} calls no step; a pipeline needs at least one"
            )
        order = graph.order()
        enable_cache = _first(config.enable_cache, options.enable_cache, True)
        settings = merge_settings(options.settings, config.settings)
        unknown_steps = sorted(set(config.steps) - set(graph.invocations))
        if unknown_steps:
            raise ConfigError(
                f"{source} configures unknown step {unknown_steps[0]!r}; "
                f"{self.name!r} has: {', '.join(graph.invocations)}"
            )
        steps = {
            invocation_id: self._resolve(
                invocation, config, config.steps.get(invocation_id), enable_cache, settings, extra
            )
            for invocation_id, invocation in graph.invocations.items()
        }
        return CompiledPipeline(
            name=self.name,
            parameters=parameters,
            steps=steps,
            order=order,
            enable_cache=enable_cache,
            settings=settings,
            extra=extra,
            run_name=config.run_name or options.run_name,
            stack=options.stack,
            model=options.model,
        )

    def _bind(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        configured: dict[str, Any],
        source: str,
    ) -> inspect.BoundArguments:
        """The pipeline function's arguments: the call's and the run config's, defaults last.

        A parameter given in both places with different values is refused rather than
        one silently winning; a missing one says every way to give it.
        """
        takes = self.signature.parameters
        named = {n: p for n, p in takes.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        unknown = sorted(set(kwargs) - set(takes))
        if unknown and len(named) == len(takes):
            raise ConfigError(
                f"pipeline {self.name!r} has no parameter {unknown[0]!r}; "
                f"it takes: {', '.join(takes) or 'none'}"
            )
        try:
            bound = self.signature.bind_partial(*args, **kwargs)
        except TypeError as error:
            raise ConfigError(f"pipeline {self.name!r}: {error}") from None
        unknown = sorted(set(configured) - set(takes))
        if unknown:
            raise ConfigError(
                f"{source} sets unknown pipeline parameter {unknown[0]!r}; "
                f"{self.name!r} takes: {', '.join(takes) or 'none'}"
            )
        for name, value in configured.items():
            if name in bound.arguments and bound.arguments[name] != value:
                raise ConfigError(
                    f"pipeline {self.name!r}: parameter {name!r} is given twice: "
                    f"{bound.arguments[name]!r} (in the call or --param) and {value!r} "
                    f"(in {source}); give it in one place"
                )
        bound.arguments.update(configured)
        for name, parameter in named.items():
            if name not in bound.arguments and parameter.default is parameter.empty:
                annotation = self.parameter_annotations.get(name, Any)
                kind = "" if annotation is Any else f" ({describe_type(annotation)})"
                raise ConfigError(
                    f"pipeline {self.name!r} needs a value for parameter {name!r}{kind}: pass "
                    f"it in the call, as --param {name}=VALUE, or in a run config's "
                    "[parameters] (--config)"
                )
        try:
            bound = self.signature.bind(*bound.args, **bound.kwargs)
        except TypeError as error:
            raise ConfigError(f"pipeline {self.name!r}: {error}") from None
        bound.apply_defaults()
        return bound

    def _resolve(
        self,
        invocation: Invocation,
        config: RunConfig,
        step_config: StepRunConfig | None,
        pipeline_cache: bool,
        pipeline_settings: Settings,
        pipeline_extra: dict[str, Any],
    ) -> ResolvedStep:
        step_config = step_config or StepRunConfig()
        step = invocation.step
        step_options = step.options
        unknown = sorted(set(step_config.parameters) - set(invocation.parameters))
        if unknown:
            raise ConfigError(
                f"the run config {self.options.config_path} sets {unknown[0]!r} for step "
                f"{invocation.id!r}, which is not one of its parameters "
                f"({', '.join(invocation.parameters) or 'none'})"
            )
        _refuse_conflicts(invocation, step_config.parameters)
        parameters = {
            **invocation.parameters,
            **{
                name: check_parameter(
                    value, f"step {invocation.id!r}", name, invocation.step.input_annotations[name]
                )
                for name, value in step_config.parameters.items()
            },
        }
        step_cache = _first(step_config.enable_cache, step_options.enable_cache, True)
        return ResolvedStep(
            invocation=invocation,
            parameters=parameters,
            enable_cache=pipeline_cache and step_cache,
            retries=_first(
                step_config.retries,
                step.retry_layer.retries,
                config.retries,
                self.retry_layer.retries,
                0,
            ),
            retry_delay=_first(
                step_config.retry_delay,
                step.retry_layer.delay,
                config.retry_delay,
                self.retry_layer.delay,
                DEFAULT_RETRY_DELAY,
            ),
            timeout=_first_set(
                step_config.timeout, step_options.timeout, config.timeout, self.options.timeout
            ),
            experiment_tracker=_first_set(
                step_config.experiment_tracker,
                step_options.experiment_tracker,
                config.experiment_tracker,
                self.options.experiment_tracker,
            )
            or False,
            settings=merge_settings(pipeline_settings, step_options.settings, step_config.settings),
            extra={**pipeline_extra, **step_options.extra, **step_config.extra},
            retry_backoff=_first(
                step.retry_layer.backoff, self.retry_layer.backoff, DEFAULT_BACKOFF
            ),
            hooks=_hooks(step.hooks, self.hooks),
            model=step_options.model or self.options.model,
        )


def _refuse_conflicts(invocation: Invocation, configured: Mapping[str, Any]) -> None:
    """A step parameter the pipeline's call passes and the run config sets to another value is
    refused with ZenML's error, rather than one silently winning; the same value is fine."""
    conflicts = [
        f"`{name}`: config=`{value}` | runtime=`{invocation.parameters[name]}`"
        for name, value in configured.items()
        if name in invocation.given and invocation.parameters[name] != value
    ]
    if conflicts:
        plural = len(conflicts) > 1
        raise ConfigError(
            f"Configured parameter{'s' if plural else ''} for the step '{invocation.id}' "
            f"conflict{'s' if plural else ''} with parameter{'s' if plural else ''} passed in "
            f"runtime: {'; '.join(conflicts)}; set step parameters in one place (the run "
            "config or the code)"
        )


def _hooks(step: StepHooks | None, pipeline: StepHooks | None) -> StepHooks | None:
    """A step's hooks over its pipeline's, kind by kind (None: neither declares any)."""
    if step is None or pipeline is None:
        return step or pipeline
    return step.over(pipeline)


def _first(*values: T | None) -> T:
    return next(value for value in values if value is not None)


def _first_set(*values: T | None) -> T | None:
    """The first layer that sets an option without a default (None: no layer does)."""
    return next((value for value in values if value is not None), None)


@overload
def pipeline(function: Callable[..., Any], /) -> Pipeline: ...


@overload
def pipeline(**options: Unpack[DecoratorOptions]) -> Callable[[Callable[..., Any]], Pipeline]: ...


def pipeline(
    function: Callable[..., Any] | None = None, /, **options: Unpack[DecoratorOptions]
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Make a function a pipeline: `@pipeline` or `@pipeline(enable_cache=False)`."""
    chosen = PipelineOptions(**option_values(options))
    if function is not None:
        return Pipeline(function, chosen)
    return lambda decorated: Pipeline(decorated, chosen)
