"""A running run's heartbeat: a background thread records that its process is still at work,
so readers anywhere can tell a run that stopped reporting from one that is running."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from runstack.errors import RunstackError
from runstack.processes import heartbeat_interval
from runstack.stacks import now

if TYPE_CHECKING:
    from runstack.store.base import Store


@contextmanager
def beating(store: Store, run_id: str) -> Iterator[None]:
    """Record a heartbeat for the run every interval while the block runs."""
    stop = threading.Event()
    interval = heartbeat_interval()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                store.runs.record_heartbeat(run_id, now())
            except RunstackError:
                # A store that cannot take the beat (full, replaced) fails the run's own
                # next write with the reason; a missed beat only ages the heartbeat.
                continue

    thread = threading.Thread(target=beat, name=f"runstack-heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
