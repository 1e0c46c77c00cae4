"""The local orchestrator: a task graph run on this machine, in threads or worker processes."""

from __future__ import annotations

import functools
import graphlib
import os
import queue
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from runstack.components import BaseOrchestrator, Task, TaskResult, TaskStatus
from runstack.flavors import FlavorConfig
from runstack_local_orchestrator.config import LocalOrchestratorConfig, LocalOrchestratorSettings

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

W = TypeVar("W")
R = TypeVar("R")


class LocalOrchestrator(BaseOrchestrator):
    """Starts each task as soon as its upstream tasks completed, up to `max_parallel` at once.

    A failed task skips everything downstream of it; tasks already running, and
    independent branches, still finish. A task that is alone in being ready runs
    on the calling thread (a chain pays no thread hand-off per step). In
    `processes` mode each step's code runs in a pool of worker processes.
    """

    config: LocalOrchestratorConfig
    _processes: ProcessPoolExecutor | None = None

    @property
    def max_parallel(self) -> int:
        return self.config.max_parallel or os.cpu_count() or 1

    def describe(self) -> dict[str, Any]:
        return {"max_parallel": self.max_parallel, "mode": self.config.mode}

    def execute(
        self, tasks: Sequence[Task], settings: FlavorConfig | None = None
    ) -> dict[str, TaskResult]:
        sorter = self.plan(tasks)
        workers, mode = self.max_parallel, self.config.mode
        if isinstance(settings, LocalOrchestratorSettings):
            workers = settings.max_parallel or workers
            mode = settings.mode or mode
        if mode == "processes":
            self._processes = _start_processes(workers)
        threads = ThreadPoolExecutor(workers, thread_name_prefix="runstack-step")
        try:
            return _run(sorter, tasks, threads)
        except KeyboardInterrupt:
            threads.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            threads.shutdown(wait=True)
            if self._processes is not None:
                self._processes.shutdown(wait=True, cancel_futures=True)
                self._processes = None

    def call(self, function: Callable[[W], R], work: W) -> R:
        if self._processes is None:
            return function(work)
        import cloudpickle

        payload = cloudpickle.dumps((function, work))
        result: R = cloudpickle.loads(self._processes.submit(_call_pickled, payload).result())
        return result


def _run(
    sorter: graphlib.TopologicalSorter[str], tasks: Sequence[Task], pool: ThreadPoolExecutor
) -> dict[str, TaskResult]:
    by_name = {task.name: task for task in tasks}
    results: dict[str, TaskResult] = {}
    blocked_by: dict[str, str] = {}
    # Finished tasks arrive on a queue: waiting on the set of running futures instead
    # costs O(running) per completion, which dominates a wide fan-out.
    finished: queue.SimpleQueue[tuple[str, Future[object]]] = queue.SimpleQueue()
    running = 0

    def finish(name: str, error: BaseException | None) -> None:
        if error is None:
            results[name] = TaskResult(name, TaskStatus.COMPLETED)
        else:
            blocked_by[name] = name
            results[name] = TaskResult(name, TaskStatus.FAILED, error=error)
        sorter.done(name)

    while sorter.is_active():
        startable = []
        for name in sorter.get_ready():
            failed = next((u for u in sorted(by_name[name].upstream) if u in blocked_by), None)
            if failed is None:
                startable.append(name)
                continue
            blocked_by[name] = blocked_by[failed]
            results[name] = TaskResult(
                name, TaskStatus.SKIPPED, reason=f"upstream task {blocked_by[name]!r} failed"
            )
            sorter.done(name)
        if len(startable) == 1 and running == 0:
            try:
                by_name[startable[0]].run()
            except Exception as error:
                finish(startable[0], error)
            else:
                finish(startable[0], None)
            continue
        for name in startable:
            future = pool.submit(by_name[name].run)
            future.add_done_callback(functools.partial(_report, finished, name))
            running += 1
        if running:
            name, future = _next_finished(finished)
            running -= 1
            finish(name, future.exception())
    return {task.name: results[task.name] for task in tasks}


def _report(
    finished: queue.SimpleQueue[tuple[str, Future[object]]], name: str, future: Future[object]
) -> None:
    finished.put((name, future))


def _next_finished(
    finished: queue.SimpleQueue[tuple[str, Future[object]]],
) -> tuple[str, Future[object]]:
    """Block until a task finishes, waking regularly so that Ctrl-C is noticed at once."""
    while True:
        try:
            return finished.get(timeout=0.25)
        except queue.Empty:
            continue


def _start_processes(workers: int) -> ProcessPoolExecutor:
    """Worker processes, started now: forking later, with step threads running, is unsafe."""
    import multiprocessing  # with the pool below, ~10 ms that thread mode never pays
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context(method), initializer=_ignore_ctrl_c
    )
    for future in [pool.submit(int) for _ in range(workers)]:
        future.result()
    return pool


def _ignore_ctrl_c() -> None:
    """Ctrl-C is the parent's to handle: it lets running steps finish, then stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _call_pickled(payload: bytes) -> bytes:
    import cloudpickle

    function, work = cloudpickle.loads(payload)
    return bytes(cloudpickle.dumps(function(work)))
