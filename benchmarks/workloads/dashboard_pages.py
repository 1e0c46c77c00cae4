"""`dashboard_pages.py RUNS REPEATS`: how long each dashboard page takes to answer over HTTP
with RUNS runs in the store, in milliseconds (REPEATS times each, after one warm-up).

The runs are recorded through the store API directly (running 10,000 pipelines would take
minutes), beside one real run whose run, step and artifact pages are timed too. The floor is
the dashboard's stylesheet: the same server and client, no page to build.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import threading
import time
import urllib.request
from datetime import timedelta

import uvicorn

from runstack import Client, pipeline, step
from runstack.dashboard.app import create_dashboard
from runstack.listening import bound_socket
from runstack.runs import RunRecord, RunStatus
from runstack.stacks import new_id, now


@step
def numbers() -> list[int]:
    print("three numbers")
    return [1, 2, 3]


@step
def total(values: list[int]) -> int:
    return sum(values)


@pipeline(name="measured")
def measured() -> None:
    total(numbers())


def record_runs(client: Client, count: int) -> None:
    """`count` finished runs on the active stack, of two pipelines, a second apart."""
    stack = client.active_stack
    start = now() - timedelta(seconds=count + 60)
    for index in range(count):
        started = start + timedelta(seconds=index)
        run = RunRecord(
            id=new_id(),
            name=f"recorded-{index}",
            pipeline_name="recorded" if index % 2 else "other",
            status=RunStatus.RUNNING,
            stack_id=stack.id,
            stack_name=stack.name,
            artifact_store_id=stack.artifact_store.id,
            owner=client.user,
            config={},
            parameters={"index": index},
            started=started,
        )
        client.store.runs.create(run)
        status = RunStatus.FAILED if index % 7 == 0 else RunStatus.COMPLETED
        client.store.runs.finish(run.id, status, started + timedelta(seconds=0.5), "")


def answer(url: str) -> None:
    """Read a page to its end on a new connection, as a browser's first visit does."""
    with urllib.request.urlopen(url) as response:
        response.read()


def main() -> None:
    count, repeats = int(sys.argv[1]), int(sys.argv[2])
    with contextlib.redirect_stdout(io.StringIO()):
        run = measured()
    client = Client()
    record_runs(client, count)
    stack = client.active_stack.id
    artifact = run.steps["numbers"].outputs["output"].id
    last = max(1, -(-(count + 1) // 50))
    pages = {
        "floor": "/static/dashboard.css",
        "stacks": "/stacks",
        "stack, newest runs": f"/stacks/{stack}",
        "stack, oldest runs": f"/stacks/{stack}?page={last}",
        "components": "/components",
        "flavors and plugins": "/flavors",
        "runs": "/runs",
        "runs, by pipeline and status": "/runs?pipeline=recorded&status=completed",
        "runs, oldest": f"/runs?page={last}",
        "run": f"/runs/{run.id}",
        "step log": f"/runs/{run.id}/steps/numbers",
        "artifact": f"/artifacts/{artifact}",
    }
    app = create_dashboard(lambda request: Client(store=client.store, flavors=client.flavors))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    listener = bound_socket("127.0.0.1", 0, "runstack dashboard")
    threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    times: dict[str, list[float]] = {}
    for name, path in pages.items():
        answer(base + path)
        times[name] = []
        for _ in range(repeats):
            started = time.perf_counter()
            answer(base + path)
            times[name].append((time.perf_counter() - started) * 1000)
    server.should_exit = True
    print(json.dumps(times))


main()
