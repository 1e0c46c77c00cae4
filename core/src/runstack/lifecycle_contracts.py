"""The contract kit's checks of what runs around a step: its context and its components'
lifecycle, through an orchestrator's `call` or for one component alone.

Apart from `runstack.testing` because the contract's steps run on the orchestrator's
workers, which import this module to run them: it needs nothing but runstack.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runstack.component_types import ComponentType
from runstack.components import (
    BaseArtifactStore,
    BaseComponent,
    BaseExperimentTracker,
    BaseOrchestrator,
    StepContext,
    StepStack,
    Task,
    TaskGraph,
    TaskResult,
    get_step_context,
)
from runstack.flavor_config import FlavorConfig

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fsspec.implementations.local import LocalFileSystem

    from runstack.pipelines.execution import StepWork, WorkOutcome

_FAILURE = "the contract's failing step"


class _ContractArtifactStore(BaseArtifactStore):
    """A folder of this machine, where the contract's steps write their logs."""

    def __init__(self, folder: str) -> None:
        super().__init__(id="contract-store", name="contract", config=FlavorConfig())
        self.folder = folder

    @property
    def root(self) -> str:
        return self.folder

    @property
    def filesystem(self) -> LocalFileSystem:
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem()


class _LifecycleRecorder(BaseExperimentTracker):
    """Writes each call it gets, with the process it got it in, to a file per step."""

    def __init__(self, folder: str) -> None:
        super().__init__(id="contract-recorder", name="recorder", config=FlavorConfig())
        self.folder = folder

    def record(self, context: StepContext, event: str) -> None:
        with Path(self.folder, f"{context.step_name}.txt").open("a") as calls:
            calls.write(f"{event} {os.getpid()}\n")

    def prepare_step_run(self, context: StepContext) -> None:
        self.record(context, "prepare")

    def cleanup_step_run(self, context: StepContext, failed: bool) -> None:
        self.record(context, f"cleanup failed={failed}")


def _contract_step(fail: bool) -> None:
    """A step that records the context it sees, in the process it runs in."""
    context = get_step_context()
    recorder = context.stack.experiment_tracker
    assert isinstance(recorder, _LifecycleRecorder), "the step's context lost its stack"
    recorder.record(context, f"step {context.step_name} of {context.run_name}")
    if fail:
        raise RuntimeError(_FAILURE)


def _plain_step(fail: bool) -> None:
    if fail:
        raise RuntimeError(_FAILURE)


def _work(
    name: str, function: Callable[..., Any], stack: StepStack, *, fail: bool, tracked: bool
) -> StepWork:
    """One step's work, as the runner hands it to `call`: no inputs, no outputs."""
    from runstack.pipelines.execution import StepWork

    return StepWork(
        function=function,
        pipeline="contract",
        run_id="contract-run-id",
        run_name="contract-run",
        invocation=name,
        step_run_id=f"{name}-id",
        parameters={"fail": fail},
        inputs={},
        outputs=[],
        retries=0,
        retry_delay=0.0,
        stack=stack,
        experiment_tracker=tracked,
    )


def assert_steps_run_in_their_context(
    orchestrator: BaseOrchestrator, settings: FlavorConfig | None
) -> None:
    """Two steps at once and a failing one, each through `call`: the context reaches each,
    and the components are prepared before and cleaned up after it, once, in its process."""
    from runstack.pipelines.execution import perform

    folder = tempfile.mkdtemp(prefix="runstack-contract-")
    stack = StepStack(
        name="contract",
        orchestrator=orchestrator,
        artifact_store=_ContractArtifactStore(folder),
        experiment_tracker=_LifecycleRecorder(folder),
    )
    names = ("left", "right", "failing")
    outcomes: dict[str, WorkOutcome] = {}

    def step_task(name: str) -> Task:
        work = _work(name, _contract_step, stack, fail=name == "failing", tracked=True)
        return Task(name, lambda: outcomes.__setitem__(name, orchestrator.call(perform, work)))

    try:
        orchestrator.execute([step_task(name) for name in names], settings)
        for name in names:
            failing = name == "failing"
            assert name in outcomes, f"call() returned nothing for step {name!r}"
            error = outcomes[name].error
            assert bool(error) is failing, f"step {name!r} failed: {error}"
            calls = Path(folder, f"{name}.txt").read_text().splitlines()
            events = [line.rpartition(" ")[0] for line in calls]
            assert events == [
                "prepare",
                f"step {name} of contract-run",
                f"cleanup failed={failing}",
            ], f"step {name!r}: the components saw {events}; expected one prepare, the step "
            "in its own context, and one cleanup"
            processes = {line.rpartition(" ")[2] for line in calls}
            assert len(processes) == 1, (
                f"step {name!r} ran in another process than its components' prepare and "
                "cleanup: ship perform(work) whole, as call() gets it"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _ContractOrchestrator(BaseOrchestrator):
    """Runs the steps of a component's contract here, one at a time."""

    def execute(
        self, tasks: Sequence[Task], settings: FlavorConfig | None = None
    ) -> dict[str, TaskResult]:
        return TaskGraph(tasks).run(max_parallel=1)


def assert_step_component_contract(
    component: BaseComponent, component_type: ComponentType | str
) -> None:
    """A component (an experiment tracker, an alerter) that travels with a step's work to
    where the step runs (it pickles with cloudpickle) and, arrived there, prepares and
    cleans up around steps that succeed and fail, tracked or not, without raising; the step
    finds it in its context as `stack.<component_type>`."""
    import cloudpickle

    from runstack.pipelines.execution import perform

    kind = ComponentType.parse(str(component_type))
    try:
        travelled = cloudpickle.loads(cloudpickle.dumps(component))
    except Exception as error:
        raise AssertionError(
            f"{component!r} cannot travel with a step's work ({type(error).__name__}: "
            f"{error}); keep its attributes picklable and open connections in "
            "prepare_step_run"
        ) from error
    assert type(travelled) is type(component), f"{component!r} arrived as {travelled!r}"
    folder = tempfile.mkdtemp(prefix="runstack-contract-")
    built: dict[ComponentType, BaseComponent] = {
        ComponentType.ORCHESTRATOR: _ContractOrchestrator(
            id="contract-orchestrator", name="contract", config=FlavorConfig()
        ),
        ComponentType.ARTIFACT_STORE: _ContractArtifactStore(folder),
        kind: travelled,
    }
    stack = StepStack.of("contract", built)
    try:
        for name, fail, tracked in (
            ("tracked", False, True),
            ("failing", True, True),
            ("untracked", False, False),
        ):
            outcome = perform(_work(name, _plain_step, stack, fail=fail, tracked=tracked))
            if fail:
                assert _FAILURE in outcome.error, (
                    f"around a failing step, {component!r} replaced its error: {outcome.error}"
                )
            else:
                assert not outcome.error, f"around a step, {component!r} failed: {outcome.error}"
            assert getattr(stack, kind.value) is travelled
    finally:
        shutil.rmtree(folder, ignore_errors=True)
