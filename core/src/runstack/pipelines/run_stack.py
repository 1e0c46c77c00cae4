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
    tracked = [name for name in compiled.order if compiled.steps[name].experiment_tracker]
    if tracked and ComponentType.EXPERIMENT_TRACKER not in stack.components:
        raise ConfigError(
            f"step {tracked[0]!r} asks for an experiment tracker (experiment_tracker=True) "
            f"but stack {stack.name!r} has none; add one with 'runstack stack update "
            f"{stack.name} -e TRACKER' or run on another stack"
        )
    built = {
        kind: client.build_component(component) for kind, component in stack.components.items()
    }
    return StepStack.of(stack.name, built)
