"""The local orchestrator against the contract every orchestrator flavor must pass."""

from __future__ import annotations

import os
import threading

from runstack import Client, pipeline, step
from runstack.components import BaseOrchestrator, Task, TaskStatus
from runstack.flavors import Flavor
from runstack.testing import assert_flavor_contract, assert_orchestrator_contract
from runstack_local_orchestrator.config import LocalOrchestratorSettings
from runstack_local_orchestrator.plugin import register_flavors


def registered_flavors() -> list[Flavor]:
    flavors: list[Flavor] = []
    register_flavors(register=flavors.append)
    return flavors


def build(max_parallel: int | None = None, name: str = "under_test") -> BaseOrchestrator:
    client = Client()
    config = {} if max_parallel is None else {"max_parallel": max_parallel}
    component = client.register_component("orchestrator", name, "local", config)
    orchestrator = client.build_component(component)
    assert isinstance(orchestrator, BaseOrchestrator)
    return orchestrator


def test_flavor_meets_the_contract() -> None:
    [flavor] = registered_flavors()
    assert (flavor.component_type.value, flavor.name) == ("orchestrator", "local")
    assert_flavor_contract(flavor)


def test_orchestrator_meets_the_contract() -> None:
    assert_orchestrator_contract(build(max_parallel=2), LocalOrchestratorSettings(max_parallel=1))
    assert_orchestrator_contract(build(max_parallel=1, name="serial"))
    processes = LocalOrchestratorSettings(mode="processes")
    assert_orchestrator_contract(build(max_parallel=2, name="processes"), processes)


def test_independent_tasks_run_at_the_same_time() -> None:
    both_started = threading.Barrier(2, timeout=10)
    results = build(max_parallel=2).execute(
        [Task("left", both_started.wait), Task("right", both_started.wait)]
    )
    assert {r.status for r in results.values()} == {TaskStatus.COMPLETED}


def test_one_worker_runs_tasks_one_at_a_time() -> None:
    running = 0
    most = 0
    lock = threading.Lock()
    overlapped = threading.Event()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            if running > 1:
                overlapped.set()
        overlapped.wait(timeout=0.1)  # long enough for a second worker, were there one, to start
        with lock:
            running -= 1

    build(max_parallel=1).execute([Task(f"t{i}", work) for i in range(3)])
    assert most == 1


def test_processes_mode_meets_the_contract() -> None:
    client = Client()
    component = client.register_component(
        "orchestrator", "workers", "local", {"max_parallel": 2, "mode": "processes"}
    )
    orchestrator = client.build_component(component)
    assert isinstance(orchestrator, BaseOrchestrator)
    assert_orchestrator_contract(orchestrator)


def test_processes_mode_runs_step_code_in_worker_processes() -> None:
    @step
    def where(label: str) -> int:
        print(f"{label} running")
        return os.getpid()

    @pipeline(settings={"orchestrator": {"mode": "processes", "max_parallel": 2}})
    def spread() -> None:
        where("left")
        where("right")

    run = spread()
    pids = {name: s.outputs["output"].load() for name, s in run.steps.items()}
    assert set(pids) == {"where", "where_2"}
    assert os.getpid() not in pids.values()
    assert run.steps["where"].logs.strip() == "left running"
    assert run.steps["where_2"].logs.strip() == "right running"
