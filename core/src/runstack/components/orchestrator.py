"""What an orchestrator does: run a graph of tasks, each after the tasks it depends on."""

from __future__ import annotations

import graphlib
import threading
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from runstack.components.base import BaseComponent
from runstack.errors import ConfigError, RunstackError
from runstack.flavors import FlavorConfig

W = TypeVar("W")
R = TypeVar("R")


class TaskStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Task:
    """One unit of work (a step, later) and the names of the tasks that must finish first."""

    name: str
    run: Callable[[], object]
    upstream: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TaskResult:
    """How a task ended; a skipped task names the failed task upstream of it in `blocked_by`."""

    name: str
    status: TaskStatus
    error: BaseException | None = None
    blocked_by: str = ""


class CallTimeout(RunstackError, TimeoutError):
    """A step's code ran past its timeout; the message says what became of it."""


class CallAbandoned(RunstackError):
    """The run stopped waiting for a step's code (a second Ctrl-C); the run records it."""


class BaseOrchestrator(BaseComponent):
    """Runs a task graph: a failed task skips everything downstream of it, nothing else."""

    @abstractmethod
    def execute(
        self, tasks: Sequence[Task], settings: FlavorConfig | None = None
    ) -> dict[str, TaskResult]:
        """Run every task once its upstream tasks completed; return a result per task.

        `settings` are the run's settings for this orchestrator, validated with
        its flavor's `settings_class`. Ctrl-C (KeyboardInterrupt) must start no
        further task and propagate once the running ones have returned; a second
        Ctrl-C propagates at once (stopping what runs elsewhere if it can).
        """

    def call(self, function: Callable[[W], R], work: W, timeout: float | None = None) -> R:
        """Run a step's code where this orchestrator runs code: by default, right here.

        `function` and `work` pickle with cloudpickle, so an orchestrator may ship
        them to a worker process or another machine and return the result. Past
        `timeout` seconds raise CallTimeout; here the code runs on a thread that
        cannot be stopped, so it is left running and no longer waited for.
        """
        if timeout is None:
            return function(work)
        return _call_with_timeout(function, work, timeout)

    @staticmethod
    def plan(tasks: Sequence[Task]) -> graphlib.TopologicalSorter[str]:
        """Check the graph (unique names, known upstreams, no cycle) and return its sorter."""
        names = [task.name for task in tasks]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigError(f"task names must be unique; repeated: {', '.join(duplicates)}")
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for task in tasks:
            unknown = sorted(task.upstream - set(names))
            if unknown:
                raise ConfigError(
                    f"task {task.name!r} depends on unknown task(s): {', '.join(unknown)}"
                )
            sorter.add(task.name, *task.upstream)
        try:
            sorter.prepare()
        except graphlib.CycleError as error:
            cycle = " -> ".join(error.args[1])
            raise ConfigError(f"the tasks form a cycle: {cycle}; remove one of its edges") from None
        return sorter


def _call_with_timeout(function: Callable[[W], R], work: W, timeout: float) -> R:
    outcome: list[R] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(function(work))
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=run, name="runstack-timed-step", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise CallTimeout(
            f"timed out after {timeout:g} s; a thread cannot be stopped, so the step's code "
            "was left running and the run no longer waits for it"
        )
    if failure:
        raise failure[0]
    return outcome[0]
