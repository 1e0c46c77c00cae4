"""The local orchestrator: a task graph run on this machine, in threads or worker processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from runstack.components import BaseOrchestrator, Task, TaskGraph, TaskResult
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
        graph = TaskGraph(tasks)
        workers, mode = self.max_parallel, self.config.mode
        if isinstance(settings, LocalOrchestratorSettings):
            workers = settings.max_parallel or workers
            mode = settings.mode or mode
        if mode == "processes":
            from runstack_local_orchestrator.workers import WorkerPool

            self._workers = WorkerPool(workers)
        try:
            return graph.run(max_parallel=workers)
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
