"""The local orchestrator: a task graph run by a pool of threads on this machine."""

from __future__ import annotations

import graphlib
import os
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from runstack.components import BaseOrchestrator, Task, TaskResult, TaskStatus
from runstack.flavors import FlavorConfig
from runstack_local_orchestrator.config import LocalOrchestratorConfig, LocalOrchestratorSettings


class LocalOrchestrator(BaseOrchestrator):
    """Starts each task as soon as its upstream tasks completed, up to `max_parallel` at once.

    A failed task skips everything downstream of it; tasks already running, and
    independent branches, still finish.
    """

    config: LocalOrchestratorConfig

    @property
    def max_parallel(self) -> int:
        return self.config.max_parallel or os.cpu_count() or 1

    def describe(self) -> dict[str, Any]:
        return {"max_parallel": self.max_parallel}

    def execute(
        self, tasks: Sequence[Task], settings: FlavorConfig | None = None
    ) -> dict[str, TaskResult]:
        sorter = self.plan(tasks)
        workers = self.max_parallel
        if isinstance(settings, LocalOrchestratorSettings) and settings.max_parallel:
            workers = settings.max_parallel
        pool = ThreadPoolExecutor(workers, thread_name_prefix="runstack-step")
        try:
            return self._run(sorter, tasks, pool)
        except KeyboardInterrupt:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)

    @staticmethod
    def _run(
        sorter: graphlib.TopologicalSorter[str], tasks: Sequence[Task], pool: ThreadPoolExecutor
    ) -> dict[str, TaskResult]:
        by_name = {task.name: task for task in tasks}
        results: dict[str, TaskResult] = {}
        blocked_by: dict[str, str] = {}
        running: dict[Future[object], str] = {}
        while sorter.is_active():
            for name in sorter.get_ready():
                failed_upstream = next(
                    (u for u in sorted(by_name[name].upstream) if u in blocked_by), None
                )
                if failed_upstream is not None:
                    blocked_by[name] = blocked_by[failed_upstream]
                    results[name] = TaskResult(
                        name,
                        TaskStatus.SKIPPED,
                        reason=f"upstream task {blocked_by[name]!r} failed",
                    )
                    sorter.done(name)
                else:
                    running[pool.submit(by_name[name].run)] = name
            if not running:
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                error = future.exception()
                if error is None:
                    results[name] = TaskResult(name, TaskStatus.COMPLETED)
                else:
                    blocked_by[name] = name
                    results[name] = TaskResult(name, TaskStatus.FAILED, error=error)
                sorter.done(name)
        return {task.name: results[task.name] for task in tasks}
