"""The run's stack, built once when a run starts: every component, for every step's context."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runstack.component_types import ComponentType
from runstack.components import StepStack
from runstack.errors import ConfigError

if TYPE_CHECKING:
    from runstack.client import Client
    from runstack.pipelines.definition import CompiledPipeline
    from runstack.stacks import Stack


def build_run_stack(client: Client, stack: Stack, compiled: CompiledPipeline) -> StepStack:
    """Every component of `stack` built, after checking that the stack has what the steps ask
    for, before anything of the run is recorded."""
    _check_trackers(stack, compiled)
    built = {
        kind: client.build_component(component) for kind, component in stack.components.items()
    }
    return StepStack.of(stack.name, built)


def _check_trackers(stack: Stack, compiled: CompiledPipeline) -> None:
    """Refuse a run whose steps ask for an experiment tracker the stack does not have."""
    tracker = stack.components.get(ComponentType.EXPERIMENT_TRACKER)
    for name in compiled.order:
        wanted = compiled.steps[name].experiment_tracker
        if wanted is False:
            continue
        if tracker is None:
            raise ConfigError(
                f"step {name!r} asks for an experiment tracker (experiment_tracker={wanted!r}) "
                f"but stack {stack.name!r} has none; add one with 'runstack stack update "
                f"{stack.name} -e TRACKER' or run on another stack"
            )
        if isinstance(wanted, str) and wanted != tracker.name:
            raise ConfigError(
                f"step {name!r} asks for the experiment tracker {wanted!r} but stack "
                f"{stack.name!r} has {tracker.name!r}; name that one, or set a stack whose "
                f"tracker is {wanted!r} ('runstack stack set')"
            )
