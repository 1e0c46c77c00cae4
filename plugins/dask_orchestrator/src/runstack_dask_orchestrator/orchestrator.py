"""The Dask orchestrator: the core's task graph walked here, each step's code run as a Dask task.

Only `call(function, work)` travels to the workers; recording steps, the cache and the
progress output stay in this process, on the threads `TaskGraph.run` starts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from runstack.components import (
    BaseOrchestrator,
    CallAbandoned,
    CallTimeout,
    Task,
    TaskGraph,
    TaskResult,
    running_on,
)
from runstack.errors import ConfigError, RunstackError
from runstack.flavors import FlavorConfig
from runstack_dask_orchestrator.config import DaskOrchestratorConfig, DaskOrchestratorSettings

if TYPE_CHECKING:
    from runstack_dask_orchestrator.cluster import DaskCluster

W = TypeVar("W")
R = TypeVar("R")

_CHECK_WORKERS = 2.0  # seconds between checks that a waiting step still has a worker


class WorkerDied(RunstackError):
    """Every Dask worker that ran the step died while running it (Dask's retries included)."""


class WorkerImportError(RunstackError):
    """A Dask worker could not import what the step's code needs."""


class DaskOrchestrator(BaseOrchestrator):
    """Starts each step as a Dask task once its upstream steps completed; independent steps
    run at once, on as many workers as the cluster has threads."""

    config: DaskOrchestratorConfig
    _cluster: DaskCluster | None = None
    _step_settings: threading.local  # the settings of the step each step thread runs

    @property
    def location(self) -> str:
        return self.config.address or "a LocalCluster on this machine, started for each run"

    def describe(self) -> dict[str, Any]:
        return {"scheduler": self.location}

    @property
    def shares_console(self) -> bool:
        """A LocalCluster's workers are this process's children and print to its console;
        workers started apart print to theirs."""
        return not self.config.address

    def execute(
        self, tasks: Sequence[Task], settings: FlavorConfig | None = None
    ) -> dict[str, TaskResult]:
        from runstack_dask_orchestrator.cluster import DaskCluster

        step_settings = threading.local()

        def with_settings(task: Task) -> Callable[[], object]:
            def run() -> object:
                step_settings.value = task.settings or settings
                return task.run()

            return run

        graph = TaskGraph([replace(task, run=with_settings(task)) for task in tasks])
        self._step_settings = step_settings
        cluster = self._cluster = DaskCluster.connect(self.config)
        try:
            return graph.run(max_parallel=cluster.threads())
        finally:
            self._cluster = None  # a call still waiting gives up (a second Ctrl-C)
            cluster.close()

    def call(self, function: Callable[[W], R], work: W, timeout: float | None = None) -> R:
        cluster = self._cluster
        if cluster is None:
            raise CallAbandoned("the run stopped waiting for this step")
        from distributed import CancelledError
        from distributed.scheduler import KilledWorker

        resources = self._resources()
        if resources:
            cluster.check_resources(resources)
        future = cluster.client.submit(
            _on_worker, _pack(function, work), pure=False, resources=resources or None
        )
        try:
            result: R = _wait(cluster, future, timeout)
            cluster.finished.append(future)
        except KilledWorker as error:
            last = getattr(error.last_worker, "address", error.last_worker)
            raise WorkerDied(
                f"Dask worker {last} died while running the step, and so did every worker "
                f"it was retried on ({error.allowed_failures + 1} in all)"
            ) from None
        except CancelledError:
            if self._cluster is None:  # `execute` let go of the cluster: a second Ctrl-C
                raise CallAbandoned("the run stopped waiting for this step") from None
            raise WorkerDied(
                f"the Dask scheduler at {cluster.address} dropped the step's task (did the "
                "scheduler stop?)"
            ) from None
        except TimeoutError:
            future.cancel()
            raise CallTimeout(
                f"timed out after {timeout:g} s; its Dask task was cancelled"
            ) from None
        except ImportError as error:  # the task's code or data did not unpickle on the worker
            raise WorkerImportError(
                f"a Dask worker could not import module {error.name!r}: install it on the "
                "workers (they need the pipeline's code and its dependencies)"
            ) from error
        return result

    def _resources(self) -> dict[str, float]:
        """The Dask resources of the step this thread runs (its settings, or the run's)."""
        settings = getattr(self._step_settings, "value", None)
        return settings.resources if isinstance(settings, DaskOrchestratorSettings) else {}


def _wait(cluster: DaskCluster, future: Any, timeout: float | None) -> Any:
    """The future's result; a cluster whose workers all died fails the step instead of
    leaving it waiting for good (TimeoutError past `timeout`)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = _CHECK_WORKERS if deadline is None else deadline - time.monotonic()
        try:
            return future.result(timeout=max(min(left, _CHECK_WORKERS), 0))
        except TimeoutError:
            if deadline is not None and time.monotonic() >= deadline:
                raise
        if not cluster.has_workers():
            raise WorkerDied(
                f"the Dask cluster at {cluster.address} has no worker left to run the step"
            )


def _pack(function: Callable[[W], R], work: W) -> bytes:
    """The call as bytes, so only the worker unpickles the step's code (the scheduler never
    needs the pipeline's modules); code or data that cannot travel is a clear error."""
    import cloudpickle

    try:
        return bytes(cloudpickle.dumps((function, work)))
    except Exception as error:
        raise ConfigError(
            f"the step cannot be sent to a Dask worker: {type(error).__name__}: {error}; "
            "make what it uses picklable"
        ) from error


def _on_worker(payload: bytes) -> Any:
    """Run on a Dask worker: the step's code, with the worker's address as where it ran."""
    import cloudpickle
    from distributed import get_worker

    function, work = cloudpickle.loads(payload)
    with running_on(get_worker().address):
        return function(work)
