"""The Dask cluster a run uses: a running scheduler reached by its address, or a LocalCluster
started for the run; either way a connected client, or one line saying why there is none."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from runstack.errors import ConfigError, RunstackError
from runstack_dask_orchestrator.config import DaskOrchestratorConfig

if TYPE_CHECKING:
    from distributed import Client, LocalCluster


_SEND_INTERVAL = 0.001  # seconds between the client's messages to the scheduler


class SchedulerUnreachable(RunstackError):
    """The Dask scheduler did not answer, or has no worker to run steps on."""


class DaskCluster:
    """A connected client, and the LocalCluster behind it when the run started one."""

    def __init__(
        self, client: Client, address: str, patience: float, local: LocalCluster | None = None
    ) -> None:
        # The client batches what it sends the scheduler, 10 ms apart: right for thousands of
        # small tasks, but each step of a chain waits on the last, so every step paid 10 ms.
        # Steps are few and long; 1 ms keeps batching and cuts a step's round trip by a third.
        if client.scheduler_comm is not None:  # connected (it is, once Client() returns)
            client.scheduler_comm.interval = _SEND_INTERVAL
        self.client = client
        # Each finished step's future, held until the run ends: releasing one sends the
        # scheduler and the worker messages that the next step's then waits behind.
        self.finished: list[Any] = []
        self.address = address
        self.patience = patience
        self._local = local

    @classmethod
    def connect(cls, config: DaskOrchestratorConfig) -> DaskCluster:
        """Reach the configured scheduler (or start a LocalCluster) within `connect_timeout`."""
        from distributed import Client, LocalCluster

        timeout = config.connect_timeout
        if not config.address:
            with _deaf_to_ctrl_c():
                local = LocalCluster(
                    n_workers=config.n_workers,
                    threads_per_worker=config.threads_per_worker,
                    processes=config.processes,
                    dashboard_address=":0",  # any free port: two clusters may run at once
                )
            client = Client(local, set_as_default=False)
            return cls(client, local.scheduler_address, timeout, local)
        try:
            client = Client(config.address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise SchedulerUnreachable(
                f"cannot reach the Dask scheduler at {config.address} (no answer within "
                f"{timeout:g} s); check the orchestrator's address and that the scheduler runs"
            ) from error
        cluster = cls(client, config.address, timeout)
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            cluster.close()
            raise SchedulerUnreachable(
                f"the Dask scheduler at {config.address} has no worker (waited {timeout:g} s); "
                "start one with `dask worker " + config.address + "`"
            ) from None
        return cluster

    def has_workers(self) -> bool:
        """Whether a worker is there to run a step, or comes within `patience` seconds (a nanny
        restarting a dead one); all of a LocalCluster's may have died for good."""
        try:
            self.client.wait_for_workers(1, timeout=self.patience)
        except TimeoutError:
            return False
        return True

    def threads(self) -> int:
        """How many tasks the cluster's workers run at once (at least 1)."""
        threads: dict[str, int] = self.client.nthreads()
        return max(sum(threads.values()), 1)

    def check_resources(self, resources: dict[str, float]) -> None:
        """Refuse a step no worker could ever run: Dask would keep it waiting for good."""
        workers: dict[str, Any] = self.client.scheduler_info()["workers"]
        for info in workers.values():
            offered = info.get("resources") or {}
            if all(offered.get(name, 0) >= amount for name, amount in resources.items()):
                return
        wanted = ", ".join(f"{name}={amount:g}" for name, amount in resources.items())
        raise ConfigError(
            f"no worker of the Dask scheduler at {self.address} has the resources {wanted}; "
            f"start one with `dask worker {self.address} --resources {wanted.replace(', ', ',')}`"
        )

    def close(self) -> None:
        """Disconnect, and stop the LocalCluster if this run started it."""
        self.finished.clear()
        with contextlib.suppress(Exception):
            self.client.close()
        if self._local is not None:
            with contextlib.suppress(Exception):
                self._local.close()


@contextlib.contextmanager
def _deaf_to_ctrl_c() -> Iterator[None]:
    """Start worker processes that ignore SIGINT: a terminal's Ctrl-C reaches the whole process
    group, and Ctrl-C is the run's to handle (running steps finish), not theirs to die of."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited through exec
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
