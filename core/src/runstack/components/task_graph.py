"""The task graph an orchestrator walks: which tasks may start, which are skipped, and why.

Every orchestrator needs the same walk (a task starts once its upstream tasks completed,
a failure skips what is downstream of it, Ctrl-C starts nothing new), so it lives here
once; an orchestrator only decides where each task's code runs and how many run at once.
"""

from __future__ import annotations

import collections
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from runstack.errors import ConfigError
from runstack.topological import prepared_sorter

if TYPE_CHECKING:
    from runstack.flavor_config import FlavorConfig


class TaskStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Task:
    """One step of a run and the names of the tasks that must complete first.

    `run` records the step in the store, so it runs in the orchestrator's own process;
    only what it hands to `BaseOrchestrator.call` may travel to another process or machine.
    `settings` are this step's settings for the orchestrator (the pipeline's, overridden
    key by key by the step's), validated with its flavor's `settings_class`; None if none.
    """

    name: str
    run: Callable[[], object]
    upstream: frozenset[str] = frozenset()
    settings: FlavorConfig | None = None


@dataclass(frozen=True)
class TaskResult:
    """How a task ended; a skipped task names the failed task upstream of it in `blocked_by`."""

    name: str
    status: TaskStatus
    error: BaseException | None = None
    blocked_by: str = ""


class TaskGraph:
    """The walk through one run's tasks: hand out the ready ones, record how each ended.

    Not thread-safe: an orchestrator that calls `ready` and `done` from several threads
    holds a lock around them (`run` does all of this for you).
    """

    def __init__(self, tasks: Sequence[Task]) -> None:
        """Check the graph (unique names, known upstreams, no cycle); ConfigError if not."""
        self._tasks = {task.name: task for task in tasks}
        if len(self._tasks) != len(tasks):
            names = [task.name for task in tasks]
            repeated = sorted({name for name in names if names.count(name) > 1})
            raise ConfigError(f"task names must be unique; repeated: {', '.join(repeated)}")
        for task in tasks:
            unknown = sorted(task.upstream - self._tasks.keys())
            if unknown:
                raise ConfigError(
                    f"task {task.name!r} depends on unknown task(s): {', '.join(unknown)}"
                )
        self._sorter = prepared_sorter(
            {task.name: task.upstream for task in tasks},
            lambda cycle: f"the tasks form a cycle: {cycle}; remove one of its edges",
        )
        self._results: dict[str, TaskResult] = {}
        self._blocked_by: dict[str, str] = {}

    def ready(self) -> list[Task]:
        """The tasks that may start now, each handed out once; tasks downstream of a failed
        one are never handed out but recorded as skipped."""
        ready: list[Task] = []
        released = True
        while released:
            released = False
            for name in self._sorter.get_ready():
                task = self._tasks[name]
                failed = next((u for u in sorted(task.upstream) if u in self._blocked_by), None)
                if failed is None:
                    ready.append(task)
                    continue
                self._blocked_by[name] = self._blocked_by[failed]
                self._results[name] = TaskResult(
                    name, TaskStatus.SKIPPED, blocked_by=self._blocked_by[name]
                )
                self._sorter.done(name)
                released = True
        return ready

    def done(self, name: str, error: BaseException | None = None) -> None:
        """Record that a task handed out by `ready` ended, with the error it raised if any."""
        if error is None:
            self._results[name] = TaskResult(name, TaskStatus.COMPLETED)
        else:
            self._blocked_by[name] = name
            self._results[name] = TaskResult(name, TaskStatus.FAILED, error=error)
        self._sorter.done(name)

    def is_active(self) -> bool:
        """Whether some task has not ended yet (waiting, ready or running)."""
        return self._sorter.is_active()

    def results(self) -> dict[str, TaskResult]:
        """How each task that ended did, in the order the tasks were given."""
        return {name: self._results[name] for name in self._tasks if name in self._results}

    def run(self, max_parallel: int) -> dict[str, TaskResult]:
        """Run every task's `run` on up to `max_parallel` threads of this process.

        Ctrl-C starts no further task, waits for the running ones and raises
        KeyboardInterrupt; a second Ctrl-C raises at once, leaving them running
        (stop what they started elsewhere in a `finally`).
        """
        if max_parallel < 1:
            raise ConfigError(f"max_parallel must be at least 1, got {max_parallel}")
        return _WorkerThreads(self).run(max_parallel)


class _WorkerThreads:
    """Worker threads that take ready tasks themselves: a finished task hands over to the
    next one on the same thread, with no trip through the main thread per task."""

    def __init__(self, graph: TaskGraph) -> None:
        self.graph = graph
        self.queue = collections.deque(graph.ready())
        self.changed = threading.Condition()
        self.finished = threading.Event()
        self.stopping = False
        if not graph.is_active():
            self.finished.set()

    def run(self, workers: int) -> dict[str, TaskResult]:
        threads: list[threading.Thread] = []
        try:  # a task may press Ctrl-C before the last thread started
            for n in range(workers):
                threads.append(threading.Thread(target=self._work, name=f"runstack-step-{n}"))
                threads[-1].daemon = True
                threads[-1].start()
            while not self.finished.wait(timeout=0.25):  # wakes regularly so Ctrl-C is seen
                pass
        except KeyboardInterrupt:
            self.stopping = True  # first, so no worker starts a task while the rest runs
            with self.changed:
                self.changed.notify_all()
            sys.stderr.write(
                "Stopping: no new step starts; the running ones finish "
                "(press Ctrl-C again to stop them now).\n"
            )
            sys.stderr.flush()
            for thread in threads:  # a second Ctrl-C ends this wait, and the run, at once
                while thread.is_alive():
                    thread.join(timeout=0.25)
            raise
        for thread in threads:
            thread.join()
        return self.graph.results()

    def _work(self) -> None:
        graph = self.graph
        while True:
            with self.changed:
                while not self.queue and graph.is_active() and not self.stopping:
                    self.changed.wait()
                if self.stopping or not self.queue:
                    return
                task = self.queue.popleft()
            error: BaseException | None = None
            try:
                task.run()
            except BaseException as failure:  # even SystemExit: the run must not hang
                error = failure
            with self.changed:
                graph.done(task.name, error)
                self.queue.extend(graph.ready())
                if graph.is_active():
                    # Wake only as many idle workers as there is new work: waking them
                    # all costs every idle thread a GIL round trip per finished task.
                    self.changed.notify(max(len(self.queue) - 1, 0))
                else:
                    self.finished.set()
                    self.changed.notify_all()
