"""The local orchestrator: a task graph run on this machine, in threads or worker processes."""

from __future__ import annotations

import collections
import graphlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from runstack.components import BaseOrchestrator, Task, TaskResult, TaskStatus
from runstack.flavors import FlavorConfig
from runstack_local_orchestrator.config import LocalOrchestratorConfig, LocalOrchestratorSettings

if TYPE_CHECKING:
    from runstack_local_orchestrator.workers import WorkerPool

W = TypeVar("W")
R = TypeVar("R")


class LocalOrchestrator(BaseOrchestrator):
    """Starts each task as soon as its upstream tasks completed, up to `max_parallel` at once.

    A failed task skips everything downstream of it; tasks already running, and
    independent branches, still finish. In `processes` mode each step's code runs
    in a pool of worker processes.
    """

    config: LocalOrchestratorConfig
    _workers: WorkerPool | None = None

    @property
    def max_parallel(self) -> int:
        return self.config.max_parallel or os.cpu_count() or 1

    def describe(self) -> dict[str, Any]:
        return {"max_parallel": self.max_parallel, "mode": self.config.mode}

    def execute(
        self, tasks: Sequence[Task], settings: FlavorConfig | None = None
    ) -> dict[str, TaskResult]:
        scheduler = _Scheduler(self.plan(tasks), tasks)
        workers, mode = self.max_parallel, self.config.mode
        if isinstance(settings, LocalOrchestratorSettings):
            workers = settings.max_parallel or workers
            mode = settings.mode or mode
        if mode == "processes":
            from runstack_local_orchestrator.workers import WorkerPool

            self._workers = WorkerPool(workers)
        try:
            return scheduler.run(workers)
        finally:
            if self._workers is not None:
                self._workers.close()
                self._workers = None

    def call(self, function: Callable[[W], R], work: W, timeout: float | None = None) -> R:
        workers = self._workers
        if workers is None:
            return super().call(function, work, timeout)
        from runstack_local_orchestrator.workers import pack, unpack

        result: R = unpack(workers.run(pack(function, work), timeout))
        return result


class _Scheduler:
    """Worker threads that take ready tasks themselves: a finished task hands over to the
    next one on the same thread, with no trip through the main thread per step."""

    def __init__(self, sorter: graphlib.TopologicalSorter[str], tasks: Sequence[Task]) -> None:
        self.sorter = sorter
        self.tasks = {task.name: task for task in tasks}
        self.results: dict[str, TaskResult] = {}
        self.blocked_by: dict[str, str] = {}
        self.ready: collections.deque[str] = collections.deque()
        self.changed = threading.Condition()
        self.finished = threading.Event()
        self.stopping = False
        self._release_ready()

    def run(self, workers: int) -> dict[str, TaskResult]:
        """Run every task on `workers` threads; on Ctrl-C start nothing new, let running finish;
        on a second Ctrl-C stop waiting for them."""
        threads = [
            threading.Thread(target=self._work, name=f"runstack-step-{n}", daemon=True)
            for n in range(workers)
        ]
        try:
            for thread in threads:  # a step may start, and Ctrl-C come, before the last one
                thread.start()
            while not self.finished.wait(timeout=0.25):  # wakes regularly so Ctrl-C is seen
                pass
        except KeyboardInterrupt:
            with self.changed:
                self.stopping = True
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
        return {name: self.results[name] for name in self.tasks}

    def _work(self) -> None:
        while True:
            with self.changed:
                while not self.ready and self.sorter.is_active() and not self.stopping:
                    self.changed.wait()
                if self.stopping or not self.ready:
                    return
                name = self.ready.popleft()
            error: BaseException | None = None
            try:
                self.tasks[name].run()
            except BaseException as failure:  # even SystemExit: the run must not hang
                error = failure
            with self.changed:
                self._finish(name, error)
                if self.sorter.is_active():
                    # Wake only as many idle workers as there is new work: waking them
                    # all costs every idle thread a GIL round trip per finished step.
                    self.changed.notify(max(len(self.ready) - 1, 0))
                else:
                    self.finished.set()
                    self.changed.notify_all()

    def _finish(self, name: str, error: BaseException | None) -> None:
        """Record a result and release what it unblocks (called with the lock held)."""
        if error is None:
            self.results[name] = TaskResult(name, TaskStatus.COMPLETED)
        else:
            self.blocked_by[name] = name
            self.results[name] = TaskResult(name, TaskStatus.FAILED, error=error)
        self.sorter.done(name)
        self._release_ready()

    def _release_ready(self) -> None:
        """Queue newly ready tasks; skip (and pass on) those behind a failed task."""
        released = True
        while released:
            released = False
            for name in self.sorter.get_ready():
                upstream = sorted(self.tasks[name].upstream)
                failed = next((u for u in upstream if u in self.blocked_by), None)
                if failed is None:
                    self.ready.append(name)
                    continue
                self.blocked_by[name] = self.blocked_by[failed]
                self.results[name] = TaskResult(
                    name, TaskStatus.SKIPPED, blocked_by=self.blocked_by[name]
                )
                self.sorter.done(name)
                released = True
