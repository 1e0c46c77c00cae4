"""`server_load.py DATABASE CLIENTS ROUNDS`: CLIENTS clients at once against one team server.

DATABASE is `sqlite` (a file in the server's home) or `postgresql` (a throwaway
server from this machine's binaries, as the tests start one). Each
client (a thread with its own HttpStore, so its own connections) does ROUNDS times:
list the stacks, register a component and a stack, record a run of two steps with
an artifact (as a pipeline run records it), and list the newest runs. Prints JSON:
the p50/p95 latency of one request, how many requests failed (a 500, "database is
locked", anything), and how many records were lost (asked for, then not found).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from runstack.component_types import ComponentType
from runstack.runs import ArtifactRecord, RunRecord, RunStatus, StepRunRecord, StepStatus
from runstack.stacks import Stack, StackComponent, new_id, now
from runstack.store.http import HttpStore

T = TypeVar("T")
RUNSTACK = Path(sys.executable).parent / "runstack"
# The tests' throwaway PostgreSQL (initdb and pg_ctl in a temporary folder) serves here too.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(home: Path, database: str) -> tuple[subprocess.Popen[bytes], str, str]:
    """A server on a free port, and a token of a new user: (process, URL, token)."""
    env = {**os.environ, "RUNSTACK_HOME": str(home)}
    db = database if "://" in database else str(home / "server.db")
    created = subprocess.run(
        [str(RUNSTACK), "server", "user", "create", "bench", "--db", db],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = created.stdout.split()[-1]
    port = free_port()
    server = subprocess.Popen(
        [str(RUNSTACK), "server", "start", "--port", str(port), "--db", db],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("the server did not start") from None
            time.sleep(0.05)
    return server, url, token


class Client:
    """One of the concurrent clients, timing each request it makes."""

    def __init__(self, index: int, url: str, token: str) -> None:
        self.index = index
        self.store = HttpStore(url, token, user="bench")
        self.timings: list[float] = []
        self.failures: list[str] = []
        self.made_runs: list[str] = []
        self.made_stacks: list[str] = []

    def timed(self, call: Callable[..., T], *arguments: Any, **options: Any) -> T | None:
        started = time.perf_counter()
        try:
            return call(*arguments, **options)
        except Exception as error:  # every failure counts, whatever it is
            self.failures.append(f"{type(error).__name__}: {error}")
            return None
        finally:
            self.timings.append(time.perf_counter() - started)

    def round(self, number: int) -> None:
        store = self.store
        self.timed(store.stacks.list)
        name = f"c{self.index}_r{number}"
        component = StackComponent.new(
            name=name,
            type=ComponentType.ARTIFACT_STORE,
            flavor="local",
            config={"path": f"/tmp/{name}"},
            owner="bench",
        )
        self.timed(store.components.create, component)
        orchestrator = self.timed(store.components.get, ComponentType.ORCHESTRATOR, "default")
        if orchestrator is None:
            return
        stack = Stack.new(
            name=name,
            owner="bench",
            components={
                ComponentType.ORCHESTRATOR: orchestrator,
                ComponentType.ARTIFACT_STORE: component,
            },
        )
        if self.timed(store.stacks.create, stack) is not None:
            self.made_stacks.append(name)
        self.record_run(stack, component, name)
        self.timed(store.runs.list, limit=20)

    def record_run(self, stack: Stack, artifact_store: StackComponent, name: str) -> None:
        store = self.store
        run = RunRecord(
            id=new_id(),
            name=f"load-{name}",
            pipeline_name="load",
            status=RunStatus.RUNNING,
            stack_id=stack.id,
            stack_name=stack.name,
            artifact_store_id=artifact_store.id,
            owner="bench",
            config={},
            parameters={"round": name},
            started=now(),
        )
        failed_before = len(self.failures)
        self.timed(store.runs.create, run)
        if len(self.failures) > failed_before:
            return
        for position, step in enumerate(("make", "use")):
            step_run = StepRunRecord(
                id=new_id(),
                run_id=run.id,
                invocation=step,
                step_name=step,
                status=StepStatus.RUNNING,
                started=now(),
                finished=None,
                cache_key=new_id(),
                cache_parts={},
                parameters={},
            )
            self.timed(store.step_runs.start, step_run, position)
            artifact = ArtifactRecord(
                id=new_id(),
                name=f"load::{step}::output",
                version="",
                uri=f"load/{run.id}/{step}/output",
                type_name="builtins.int",
                materializer="json",
                size=1,
                artifact_store_id=artifact_store.id,
                producer_step_run_id=step_run.id,
                created=now(),
            )
            finished = replace(
                step_run,
                status=StepStatus.COMPLETED,
                finished=now(),
                outputs={"output": artifact.id},
            )
            self.timed(store.step_runs.finish, finished, position, "", [artifact])
        self.timed(store.runs.finish, run.id, RunStatus.COMPLETED, now(), "")
        self.made_runs.append(run.name)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(database: str, clients: int, rounds: int) -> dict[str, object]:
    if database != "postgresql":
        return measure(database, clients, rounds)
    from postgres_server import postgres_server

    with postgres_server() as postgres:
        return measure(postgres.new_database(), clients, rounds)


def measure(database: str, clients: int, rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        server, url, token = start_server(Path(scratch), database)
        try:
            workers = [Client(i, url, token) for i in range(clients)]
            gate = threading.Barrier(clients)

            def work(client: Client) -> None:
                gate.wait()
                for number in range(rounds):
                    client.round(number)

            threads = [threading.Thread(target=work, args=(c,)) for c in workers]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            check = HttpStore(url, token, user="bench")
            runs = {r.name for r in check.runs.list(pipeline="load")}
            stacks = {s.name for s in check.stacks.list()}
            made_runs = {n for c in workers for n in c.made_runs}
            made_stacks = {n for c in workers for n in c.made_stacks}
            timings = [t for c in workers for t in c.timings]
            failures = [f for c in workers for f in c.failures]
            if failures:  # the figure counts them; the first says what went wrong
                print(f"first failure: {failures[0]}", file=sys.stderr)
            return {
                "requests": len(timings),
                "seconds": elapsed,
                "p50_ms": percentile(timings, 0.50) * 1000,
                "p95_ms": percentile(timings, 0.95) * 1000,
                "failures": len(failures),
                "locked": sum("locked" in f for f in failures),
                "lost": len(made_runs - runs) + len(made_stacks - stacks),
            }
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
