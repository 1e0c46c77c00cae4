"""What an orchestrator does: run a graph of tasks, each after the tasks it depends on."""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from runstack.components.base import BaseComponent
from runstack.components.task_graph import Task, TaskGraph, TaskResult
from runstack.errors import RunstackError
from runstack.flavor_config import FlavorConfig

W = TypeVar("W")
R = TypeVar("R")

_worker: ContextVar[str] = ContextVar("runstack_worker", default="")


@contextmanager
def running_on(worker: str) -> Iterator[None]:
    """Say where the step code called inside runs (a Dask worker's address, say), on the
    worker itself: the step's record keeps it and `run describe` shows it."""
    token = _worker.set(worker)
    try:
        yield
    finally:
        _worker.reset(token)


def current_worker() -> str:
    """The worker named by the innermost `running_on` of this thread; "" outside one."""
    return _worker.get()


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
        `TaskGraph(tasks).run(max_parallel)` does all of this.
        """

    def __reduce__(self) -> tuple[Any, ...]:
        """Travel (in a step's context, to where the step runs) as a copy built from the
        config: what `execute` set up (a worker pool, a cluster connection) stays here."""
        return _built, (type(self), self.id, self.name, self.config)

    @property
    def shares_console(self) -> bool:
        """Whether what a step prints reaches this process's console as the step runs (it
        runs here, or in a process started from here). An orchestrator whose workers run
        apart says False; runstack then prints each finished step's log itself."""
        return True

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
    def plan(tasks: Sequence[Task]) -> tuple[Task, ...]:
        """Check the graph (unique names, known upstreams, no cycle); its tasks in an order
        that puts each after its upstream tasks."""
        graph = TaskGraph(tasks)
        order: list[Task] = []
        while batch := graph.ready():
            order += batch
            for task in batch:
                graph.done(task.name)
        return tuple(order)


def _built(
    kind: type[BaseOrchestrator], id: str, name: str, config: FlavorConfig
) -> BaseOrchestrator:
    return kind(id=id, name=name, config=config)


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
