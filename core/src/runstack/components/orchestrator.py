"""What an orchestrator does: run a graph of tasks, each after the tasks it depends on."""

from __future__ import annotations

import graphlib
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from runstack.components.base import BaseComponent
from runstack.errors import ConfigError
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


class BaseOrchestrator(BaseComponent):
    """Runs a task graph: a failed task skips everything downstream of it, nothing else."""

    @abstractmethod
    def execute(
        self, tasks: Sequence[Task], settings: FlavorConfig | None = None
    ) -> dict[str, TaskResult]:
        """Run every task once its upstream tasks completed; return a result per task.

        `settings` are the run's settings for this orchestrator, validated with
        its flavor's `settings_class`. Ctrl-C (KeyboardInterrupt) must start no
        further task and propagate once the running ones have returned.
        """

    def call(self, function: Callable[[W], R], work: W) -> R:
        """Run a step's code where this orchestrator runs code: by default, right here.

        `function` and `work` pickle with cloudpickle, so an orchestrator may ship
        them to a worker process or another machine and return the result.
        """
        return function(work)

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
