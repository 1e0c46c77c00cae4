"""`on_dask.py burn SECONDS PROCESSES`: 4 independent CPU-bound steps on a LocalCluster of one
single-threaded worker, then of two; prints both runs' seconds.

`on_dask.py chain LENGTH PROCESSES` prints the per-step overhead of a LENGTH-step chain of
trivial steps on a one-worker LocalCluster, and on the local orchestrator beside it.
Clusters start before the clock does (PROCESSES=0: workers as threads, for --quick).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time

from bench_steps import burn
from chain_steps import chain
from distributed import LocalCluster

from runstack import Client, Pipeline, pipeline


@pipeline(name="burn_four", enable_cache=False)
def burn_four(seconds: float) -> None:
    for _ in range(4):
        burn(seconds)


def timed(run: Pipeline, **parameters: float) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        run(**parameters)
    return time.perf_counter() - started


def on_dask(workers: int, processes: bool, name: str) -> LocalCluster:
    """A LocalCluster, and a stack `name` whose dask orchestrator uses it."""
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=processes,
        protocol="tcp",
        dashboard_address=":0",
    )
    client = Client()
    client.register_component("orchestrator", name, "dask", {"address": cluster.scheduler_address})
    client.register_stack(name, {"orchestrator": name, "artifact_store": "default"})
    return cluster


def main(mode: str, size: str, processes: str) -> dict[str, float]:
    if mode == "burn":
        seconds = {}
        for workers, name in ((1, "one"), (2, "two")):
            with on_dask(workers, processes == "1", name):
                run = burn_four.with_options(stack=name)
                timed(run, seconds=0.01)  # imports and plugins on the workers
                seconds[name] = timed(run, seconds=float(size))
        return seconds
    length = int(size)
    overhead = {}
    with on_dask(1, processes == "1", "dask"):
        for stack in ("dask", "default"):
            long, short = (
                chain(n).with_options(enable_cache=False, stack=stack) for n in (length, 1)
            )
            timed(short)
            overhead[stack] = (timed(long) - timed(short)) / (length - 1)
    return {"dask": overhead["dask"], "local": overhead["default"]}


if __name__ == "__main__":  # the cluster's worker processes import this module again
    print(json.dumps(main(*sys.argv[1:])))
