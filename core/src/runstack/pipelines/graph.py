"""The DAG a pipeline function builds when it runs in compile mode.

Inside a `@pipeline` function, calling a step records an `Invocation` and
returns handles to its future outputs; passing a handle (or a tuple of them, such
as a step's several outputs whole) to another step makes a data dependency,
`.after(...)` an order-only one. A pipeline called there adds its steps to the graph.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runstack.errors import ConfigError
from runstack.history.results import Artifact
from runstack.names import check_name
from runstack.pipelines.annotations import describe_type, matches
from runstack.pipelines.external import ExternalArtifact
from runstack.pipelines.parameter_types import check_type, expected_type
from runstack.topological import prepared_sorter

if TYPE_CHECKING:
    from runstack.pipelines.steps import Step

_CURRENT: ContextVar[PipelineGraph | None] = ContextVar("runstack_pipeline_graph", default=None)


def current_graph() -> PipelineGraph | None:
    """The graph being built, when a pipeline function is being compiled."""
    return _CURRENT.get()


class OutputHandle:
    """A step output that does not exist yet: pass it to another step to depend on it."""

    def __init__(self, invocation: Invocation, name: str) -> None:
        self.invocation = invocation
        self.name = name

    def after(self, *others: Any) -> OutputHandle:
        """Run this handle's step only after the steps of `others` have finished."""
        self.invocation.after(*others)
        return self

    def __repr__(self) -> str:
        return f"<output {self.name!r} of step {self.invocation.id!r}>"


class StepOutputs(tuple[OutputHandle, ...]):
    """The handles of a step with several outputs; unpack it, pass it whole to a step (which
    receives the tuple of their values), or order it with `.after`."""

    invocation: Invocation

    def after(self, *others: Any) -> StepOutputs:
        self.invocation.after(*others)
        return self


@dataclass
class Invocation:
    """One use of a step in a pipeline: its id, parameters, inputs and ordering edges.

    `inputs` has one entry per output it reads, as lineage records it; a parameter given a
    tuple of outputs reads `name[0]`, `name[1]`, ..., which `gathered` lists for it.
    `external` holds the inputs given from outside the pipeline (see `pipelines.external`).
    """

    id: str
    step: Step
    position: int
    graph: PipelineGraph
    parameters: dict[str, Any]
    inputs: dict[str, OutputHandle]
    gathered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    order_after: set[str] = field(default_factory=set)
    external: dict[str, ExternalArtifact | Artifact] = field(default_factory=dict)
    given: frozenset[str] = frozenset()
    """The parameters the call passed (the others have their defaults): a run config may not
    give those a different value."""

    @property
    def upstream(self) -> frozenset[str]:
        return frozenset({h.invocation.id for h in self.inputs.values()} | self.order_after)

    def after(self, *others: Any) -> Invocation:
        """Add order edges: this invocation starts once those steps have finished."""
        for other in others:
            upstream = _invocation_of(other)
            if upstream is None or upstream.graph is not self.graph:
                raise ConfigError(
                    f"step {self.id!r}: after= and .after() take ids or outputs of steps of "
                    f"the same pipeline, got {other!r}"
                )
            self.order_after.add(upstream.id)
        return self

    def __repr__(self) -> str:
        return f"<invocation {self.id!r}>"


def _invocation_of(value: Any) -> Invocation | None:
    if isinstance(value, Invocation):
        return value
    if isinstance(value, (OutputHandle, StepOutputs)):
        return value.invocation
    return None


class PipelineGraph:
    """The invocations of one pipeline, in the order the pipeline function made them."""

    def __init__(self, pipeline_name: str) -> None:
        self.pipeline_name = pipeline_name
        self.invocations: dict[str, Invocation] = {}
        self._uses: dict[str, int] = {}
        self._expanding: list[tuple[str, Callable[..., Any]]] = []

    @contextmanager
    def building(self) -> Iterator[PipelineGraph]:
        """Make step calls in this block add invocations to this graph."""
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)

    @contextmanager
    def expanding(self, name: str, function: Callable[..., Any]) -> Iterator[None]:
        """Mark a pipeline function as running into this graph (the pipeline's own, or one it
        calls); one already running would call itself without end, so it is refused."""
        if any(running is function for _, running in self._expanding):
            path = " -> ".join([*(running for running, _ in self._expanding), name])
            raise ConfigError(
                f"pipeline {name!r} calls itself ({path}); a pipeline may call steps and "
                "other pipelines, never itself"
            )
        self._expanding.append((name, function))
        try:
            yield
        finally:
            self._expanding.pop()

    def add(self, step: Step, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Record a step call and return handles to its outputs.

        As in ZenML, `id="name"` names the call and `after=[...]` (step ids, or outputs of
        earlier calls) orders it, unless the step has parameters of those names.
        """
        chosen = kwargs.pop("id", None) if "id" not in step.signature.parameters else None
        after = kwargs.pop("after", None) if "after" not in step.signature.parameters else None
        invocation_id = check_name(self._chosen_id(chosen) or self._unique_id(step.name), "step")
        try:
            bound = step.signature.bind(*args, **kwargs)
        except TypeError as error:
            raise ConfigError(f"step {invocation_id!r}: {error}") from None
        given = frozenset(bound.arguments)
        bound.apply_defaults()
        parameters: dict[str, Any] = {}
        inputs: dict[str, OutputHandle] = {}
        gathered: dict[str, tuple[str, ...]] = {}
        external: dict[str, ExternalArtifact | Artifact] = {}
        for name, value in bound.arguments.items():
            if isinstance(value, ExternalArtifact | Artifact):
                external[name] = value
            elif isinstance(value, OutputHandle):
                inputs[name] = self._own(invocation_id, name, value)
            elif _is_outputs_tuple(value):
                _check_takes_tuple(step, invocation_id, name, value)
                keys = tuple(f"{name}[{index}]" for index in range(len(value)))
                for key, handle in zip(keys, value, strict=True):
                    inputs[key] = self._own(invocation_id, name, handle)
                gathered[name] = keys
            else:
                expected = expected_type(
                    step.signature.parameters[name], step.input_annotations, value
                )
                parameters[name] = check_parameter(value, f"step {invocation_id!r}", name, expected)
        invocation = Invocation(
            id=invocation_id,
            step=step,
            position=len(self.invocations),
            graph=self,
            parameters=parameters,
            inputs=inputs,
            gathered=gathered,
            external=external,
            given=given & parameters.keys(),
        )
        self.invocations[invocation_id] = invocation
        if after is not None:
            invocation.after(*self._earlier(invocation_id, after))
        if not step.outputs:
            return invocation
        handles = [OutputHandle(invocation, spec.name) for spec in step.outputs]
        if len(handles) == 1:
            return handles[0]
        outputs = StepOutputs(handles)
        outputs.invocation = invocation
        return outputs

    def _own(self, invocation_id: str, name: str, handle: OutputHandle) -> OutputHandle:
        """The handle, once it is sure to be an output of a step of this pipeline."""
        if handle.invocation.graph is not self:
            raise ConfigError(
                f"step {invocation_id!r}: input {name!r} is an output of another "
                "pipeline; pass outputs only between steps of the same pipeline"
            )
        return handle

    def _chosen_id(self, chosen: Any) -> str | None:
        """The id given with `id=`, once it is text no earlier call of this pipeline has."""
        if chosen is None:
            return None
        if not isinstance(chosen, str):
            raise ConfigError(f"a step's id= takes text, got {chosen!r}")
        if chosen in self.invocations:
            raise ConfigError(
                f"pipeline {self.pipeline_name!r} calls two steps with id {chosen!r}; give each "
                "call its own id"
            )
        return chosen

    def _earlier(self, invocation_id: str, after: Any) -> list[Any]:
        """What `after=` names, as invocations or outputs: ids are looked up among the calls
        made before this one (a step can only wait for steps already called)."""
        named = list(after) if isinstance(after, (list, tuple, set, frozenset)) else [after]
        found: list[Any] = []
        for other in named:
            if isinstance(other, str):
                if other not in self.invocations or other == invocation_id:
                    earlier = ", ".join(i for i in self.invocations if i != invocation_id)
                    raise ConfigError(
                        f"step {invocation_id!r}: after= names {other!r}, which no step called "
                        f"before it has as id; ids so far: {earlier or 'none'}"
                    )
                found.append(self.invocations[other])
            else:
                found.append(other)
        return found

    def _unique_id(self, name: str) -> str:
        """`train` the first time, then `train_2`, `train_3`, ... (skipping ids in use)."""
        number = self._uses.get(name, 0)
        candidate = name if number == 0 else f"{name}_{number + 1}"
        while candidate in self.invocations:
            number += 1
            candidate = f"{name}_{number + 1}"
        self._uses[name] = number + 1
        return candidate

    def order(self) -> list[str]:
        """Invocation ids in a valid execution order; a cycle is an error naming it."""
        sorter = prepared_sorter(
            {invocation.id: invocation.upstream for invocation in self.invocations.values()},
            lambda cycle: (
                f"pipeline {self.pipeline_name!r} has a cycle: {cycle}; "
                "remove one of its .after() edges"
            ),
        )
        order: list[str] = []
        while sorter.is_active():
            ready = sorter.get_ready()
            order.extend(ready)
            sorter.done(*ready)
        return order


def _is_outputs_tuple(value: Any) -> bool:
    """A step's several outputs passed whole, or any tuple of outputs: one input of a tuple."""
    return (
        isinstance(value, tuple) and bool(value) and all(isinstance(v, OutputHandle) for v in value)
    )


def _check_takes_tuple(step: Step, invocation_id: str, name: str, value: tuple[Any, ...]) -> None:
    """Outputs passed whole reach the step as one tuple: its parameter must take one."""
    annotation = step.input_annotations[name]
    if not matches((), annotation):  # the empty tuple fits exactly the annotations a tuple fits
        raise ConfigError(
            f"step {invocation_id!r}: input {name!r} is annotated {describe_type(annotation)} "
            f"but is given {len(value)} outputs, which the step receives as one tuple; "
            "annotate it as a tuple, or pass one output"
        )


def check_parameter(value: Any, owner: str, name: str, annotation: Any = Any) -> Any:
    """A parameter must be JSON data (it is recorded with the run and part of the cache key)
    that fits its annotation."""
    if isinstance(value, Invocation):
        raise ConfigError(
            f"{owner}: input {name!r} is {value!r}, a step without outputs; wait for it "
            "with after= instead"
        )
    if isinstance(value, (list, tuple)) and any(isinstance(v, OutputHandle) for v in value):
        raise ConfigError(
            f"{owner}: input {name!r} is a {type(value).__name__} holding outputs of steps; "
            "a step takes outputs one by one, or several as a tuple of outputs only"
        )
    if inspect.isgenerator(value) or isinstance(value, Iterator):
        raise ConfigError(
            f"{owner}: input {name!r} is a generator or iterator, which cannot be recorded; "
            "pass a list, or produce the data in a step"
        )
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{owner}: parameter {name!r} is of type {type(value).__name__}, which is not "
            "JSON-serialisable; pass plain data (numbers, strings, lists, dicts) or "
            "produce the object in a step and pass its output"
        ) from None
    check_type(value, annotation, owner, name)
    return value
