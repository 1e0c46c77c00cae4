"""The orchestrator API an outside author uses: the task graph, plan() and the contract,
with a sequential orchestrator written as an outside plugin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline_helpers import statuses
from runstack import pipeline, step
from runstack.components import BaseOrchestrator, Task, TaskGraph, TaskStatus
from runstack.errors import ConfigError
from runstack.pipelines.runner import PipelineRunError
from runstack.testing import assert_flavor_contract, assert_orchestrator_contract, parse_table


def noop() -> None:
    pass


def fail() -> None:
    raise RuntimeError("broken")


# -- the task graph --------------------------------------------------------------


def test_the_task_graph_hands_out_tasks_once_their_upstream_completed() -> None:
    graph = TaskGraph(
        [
            Task("load", noop),
            Task("train", noop, frozenset({"load"})),
            Task("check", noop, frozenset({"load"})),
            Task("report", noop, frozenset({"train", "check"})),
        ]
    )
    assert [task.name for task in graph.ready()] == ["load"]
    assert graph.ready() == []
    graph.done("load")
    assert [task.name for task in graph.ready()] == ["train", "check"]
    graph.done("check")
    assert graph.ready() == []
    graph.done("train")
    assert [task.name for task in graph.ready()] == ["report"]
    assert graph.is_active()
    graph.done("report")
    assert not graph.is_active()
    assert {name: r.status for name, r in graph.results().items()} == dict.fromkeys(
        ["load", "train", "check", "report"], TaskStatus.COMPLETED
    )


def test_the_task_graph_skips_everything_downstream_of_a_failure_naming_it() -> None:
    graph = TaskGraph(
        [
            Task("load", noop),
            Task("train", noop, frozenset({"load"})),
            Task("evaluate", noop, frozenset({"train"})),
            Task("report", noop, frozenset({"evaluate", "side"})),
            Task("side", noop),
        ]
    )
    assert [task.name for task in graph.ready()] == ["load", "side"]
    graph.done("load")
    graph.done("side")
    assert [task.name for task in graph.ready()] == ["train"]
    graph.done("train", RuntimeError("diverged"))
    assert graph.ready() == []
    assert not graph.is_active()
    results = graph.results()
    assert list(results) == ["load", "train", "evaluate", "report", "side"]
    assert results["train"].status is TaskStatus.FAILED
    assert str(results["train"].error) == "diverged"
    assert [(results[n].status, results[n].blocked_by) for n in ("evaluate", "report")] == [
        (TaskStatus.SKIPPED, "train"),
        (TaskStatus.SKIPPED, "train"),
    ]


@pytest.mark.parametrize(
    ("tasks", "says"),
    [
        ([Task("a", noop), Task("a", noop)], "task names must be unique; repeated: a"),
        ([Task("a", noop, frozenset({"z"}))], "task 'a' depends on unknown task(s): z"),
        (
            [Task("a", noop, frozenset({"b"})), Task("b", noop, frozenset({"a"}))],
            "the tasks form a cycle",
        ),
    ],
)
def test_a_bad_task_graph_is_refused(tasks: list[Task], says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        TaskGraph(tasks)
    assert says in str(refused.value)


def test_running_the_task_graph_on_threads_returns_every_result() -> None:
    ran: list[str] = []
    results = TaskGraph(
        [
            Task("first", lambda: ran.append("first")),
            Task("broken", fail, frozenset({"first"})),
            Task("after", lambda: ran.append("after"), frozenset({"broken"})),
            Task("last", lambda: ran.append("last"), frozenset({"first"})),
        ]
    ).run(max_parallel=2)
    assert sorted(ran) == ["first", "last"]
    assert {name: r.status.value for name, r in results.items()} == {
        "first": "completed",
        "broken": "failed",
        "after": "skipped",
        "last": "completed",
    }


def test_running_the_task_graph_on_no_thread_is_refused() -> None:
    with pytest.raises(ConfigError, match="max_parallel must be at least 1, got 0"):
        TaskGraph([Task("a", noop)]).run(max_parallel=0)


def test_plan_can_be_iterated_more_than_once() -> None:
    plan = BaseOrchestrator.plan(
        [Task("report", noop, frozenset({"train"})), Task("train", noop), Task("x", noop)]
    )
    assert [task.name for task in plan] == ["train", "x", "report"]
    assert [task.name for task in plan] == ["train", "x", "report"]


# -- an orchestrator written by an outside author --------------------------------


def test_a_sequential_orchestrator_on_the_task_graph_meets_the_contract(
    sequential: BaseOrchestrator,
) -> None:
    from acme_sequential.plugin import SEQUENTIAL

    assert_flavor_contract(SEQUENTIAL)
    assert_orchestrator_contract(sequential)


def test_a_pipeline_runs_on_the_sequential_orchestrator(sequential: BaseOrchestrator) -> None:
    @step
    def make() -> int:
        return 1

    @step
    def explode(value: int) -> int:
        raise ValueError("no")

    @step
    def use(value: int) -> int:
        return value + 1

    @pipeline(stack="sequential")
    def flow() -> None:
        value = make()
        use(explode(value))
        use(value)

    with pytest.raises(PipelineRunError) as failed:
        flow()
    assert statuses(failed.value.run) == {
        "make": "completed",
        "explode": "failed",
        "use": "skipped",
        "use_2": "completed",
    }
    assert failed.value.run.steps["use"].record.reason == "upstream step 'explode' failed"


def test_the_contract_fails_an_orchestrator_that_runs_tasks_on_the_main_thread() -> None:
    class OnTheMainThread(BaseOrchestrator):
        def execute(self, tasks: Any, settings: Any = None) -> Any:
            graph = TaskGraph(tasks)
            while batch := graph.ready():
                for task in batch:
                    try:
                        task.run()
                    except Exception as error:
                        graph.done(task.name, error)
                    else:
                        graph.done(task.name)
            return graph.results()

    from runstack.flavors import FlavorConfig

    with pytest.raises(AssertionError, match="Ctrl-C"):
        assert_orchestrator_contract(OnTheMainThread(id="x", name="x", config=FlavorConfig()))


# -- per-step settings, and where a step ran -------------------------------------------

RACKS_PLUGIN = """
from runstack import Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType


class RacksConfig(FlavorConfig):
    pass


class RacksSettings(FlavorConfig):
    rack: str = "any"


@hookimpl
def register_flavors(register):
    register(
        Flavor(
            name="racks",
            component_type=ComponentType.ORCHESTRATOR,
            config_class=RacksConfig,
            settings_class=RacksSettings,
            implementation="acme_racks.orchestrator:RacksOrchestrator",
            description="Runs each step on the rack its settings name.",
        )
    )
"""

RACKS_ORCHESTRATOR = """
import threading
from dataclasses import replace

from runstack.components import BaseOrchestrator, TaskGraph, running_on


class RacksOrchestrator(BaseOrchestrator):
    def execute(self, tasks, settings=None):
        self.rack = threading.local()

        def on_its_rack(task):
            def run():
                self.rack.name = task.settings.rack
                return task.run()

            return run

        return TaskGraph([replace(t, run=on_its_rack(t)) for t in tasks]).run(max_parallel=2)

    def call(self, function, work, timeout=None):
        with running_on(f"rack {self.rack.name}"):
            return function(work)
"""


def test_each_step_gets_its_settings_and_its_record_says_where_it_ran(
    install_plugin: Callable[..., Path], cli_ok: Callable[..., str]
) -> None:
    install_plugin(
        "acme-racks",
        {"acme_racks.plugin": RACKS_PLUGIN, "acme_racks.orchestrator": RACKS_ORCHESTRATOR},
        entry_points={"racks": "acme_racks.plugin"},
    )
    cli_ok("orchestrator", "register", "racks", "--flavor=racks")
    cli_ok("stack", "register", "racks", "-o", "racks", "-a", "default")

    @step(enable_cache=False)
    def make() -> int:
        return 1

    @pipeline(settings={"orchestrator.racks": {"rack": "a"}})
    def flow() -> None:
        make()
        make.with_options(settings={"orchestrator.racks": {"rack": "b"}})()

    on_racks = flow.with_options(stack="racks")()
    assert {s.name: s.record.worker for s in on_racks.steps.values()} == {
        "make": "rack a",
        "make_2": "rack b",
    }
    described = parse_table(cli_ok("run", "describe", on_racks.name))
    assert [(row["STEP"], row["WORKER"]) for row in described] == [
        ("make", "rack a"),
        ("make_2", "rack b"),
    ]
    on_local = flow()  # the same code; the local orchestrator names no worker
    assert {s.record.worker for s in on_local.steps.values()} == {""}
    assert "WORKER" not in parse_table(cli_ok("run", "describe", on_local.name))[0]
