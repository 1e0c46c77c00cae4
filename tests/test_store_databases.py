"""The store behaves the same on its two databases, an SQLite file and a PostgreSQL server:
registrations, lookups, runs recorded by the runner, the cache, deletions and crashes, and
writers racing from many threads."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import pytest

from pipeline_helpers import statuses
from runstack import Client, pipeline, step
from runstack.errors import AlreadyExistsError, InUseError, NotFoundError
from runstack.pipelines.runner import run_pipeline
from runstack.processes import this_host
from runstack.runs import ArtifactRecord, RunRecord, RunStatus, StepRunRecord, StepStatus
from runstack.stacks import new_id, now
from runstack.store.sql_store import SqlStore

THREADS = 8


@pytest.fixture
def client(store: SqlStore) -> Client:
    return Client(store=store)


def error_of(action: Callable[[], object]) -> str:
    with pytest.raises((AlreadyExistsError, NotFoundError, InUseError)) as caught:
        action()
    return str(caught.value)


def run_record(client: Client, name: str, **changes: Any) -> RunRecord:
    """A run starting now on the default stack, as the runner records one."""
    stack = client.get_stack("default")
    run = RunRecord(
        id=new_id(),
        name=name,
        pipeline_name="summing",
        status=RunStatus.RUNNING,
        stack_id=stack.id,
        stack_name=stack.name,
        artifact_store_id=stack.artifact_store.id,
        owner="default",
        config={},
        parameters={},
        started=now(),
    )
    return replace(run, **changes)


def step_record(run_id: str, invocation: str) -> StepRunRecord:
    return StepRunRecord(
        id=new_id(),
        run_id=run_id,
        invocation=invocation,
        step_name=invocation,
        status=StepStatus.RUNNING,
        started=now(),
        finished=None,
        cache_key=new_id(),
        cache_parts={},
        parameters={},
    )


# -- components and stacks ----------------------------------------------------------------


def test_components_are_registered_listed_updated_renamed_and_deleted(
    client: Client, tmp_path: Path
) -> None:
    for name in ("b_store", "A_store", "a_store"):
        client.register_component("artifact_store", name, "local", {"path": str(tmp_path / name)})
    names = [c.name for c in client.list_components("artifact_store")]
    assert names == ["A_store", "a_store", "b_store", "default"]  # byte order, as SQLite sorts

    client.update_component("artifact_store", "a_store", {"path": str(tmp_path / "moved")})
    client.rename_component("artifact_store", "a_store", "c_store")
    renamed = client.get_component("artifact_store", "c_store")
    assert renamed.config == {"path": str(tmp_path / "moved")}
    assert error_of(lambda: client.rename_component("artifact_store", "c_store", "b_store")) == (
        "an artifact store named 'b_store' already exists; choose another name"
    )
    assert error_of(
        lambda: client.register_component("artifact_store", "b_store", "local", {"path": "/x"})
    ) == (
        "an artifact store named 'b_store' already exists; choose another name or update the "
        "existing one"
    )

    client.delete_component("artifact_store", "c_store")
    assert [c.name for c in client.list_components("artifact_store")] == [
        "A_store",
        "b_store",
        "default",
    ]
    assert error_of(lambda: client.delete_component("artifact_store", "default")) == (
        "the artifact store 'default' is used by the stack(s) 'default'; remove it from them or "
        "delete those stacks first"
    )


def test_stacks_are_registered_updated_renamed_copied_and_deleted(
    client: Client, tmp_path: Path
) -> None:
    client.register_component("artifact_store", "elsewhere", "local", {"path": str(tmp_path)})
    client.register_stack("mine", {"orchestrator": "default", "artifact_store": "default"})
    client.update_stack("mine", {"artifact_store": "elsewhere"})
    client.rename_stack("mine", "ours")
    client.copy_stack("ours", "theirs")

    stacks = {s.name: s for s in client.list_stacks()}
    assert list(stacks) == ["default", "ours", "theirs"]
    assert stacks["ours"].artifact_store.name == stacks["theirs"].artifact_store.name == "elsewhere"
    assert error_of(lambda: client.rename_stack("theirs", "ours")) == (
        "a stack named 'ours' already exists; choose another name"
    )
    assert error_of(lambda: client.delete_component("artifact_store", "elsewhere")).endswith(
        "is used by the stack(s) 'ours', 'theirs'; remove it from them or delete those stacks first"
    )

    client.delete_stack("theirs")
    assert [s.name for s in client.list_stacks()] == ["default", "ours"]
    shared = client.share_stack("ours")
    assert shared.shared and all(c.shared for c in shared.components.values())


def test_lookups_by_name_id_and_id_prefix_mean_the_same_on_both(client: Client) -> None:
    stack = client.register_stack("mine", {"orchestrator": "default", "artifact_store": "default"})

    assert client.get_stack(stack.id).name == "mine"
    assert client.get_stack(stack.id[:8]).name == "mine"
    assert client.get_stack(stack.id[:8].upper()).name == "mine"
    for prefix in ("_" + stack.id[1:6], "%" + stack.id[1:6]):
        with pytest.raises(NotFoundError) as missing:
            client.get_stack(prefix)
        assert str(missing.value).startswith(
            f"no stack named {prefix!r}; registered: default, mine"
        )
    orchestrator = client.get_component("orchestrator", "default")
    assert client.get_component("orchestrator", orchestrator.id[:6]).id == orchestrator.id
    assert error_of(lambda: client.get_component("orchestrator", "nope")) == (
        "no orchestrator named 'nope'; registered: default (see 'runstack orchestrator list')"
    )


# -- runs, through the runner -------------------------------------------------------------


@step
def numbers(count: int = 4) -> Annotated[list[int], "values"]:
    return list(range(count))


@step
def total(values: list[int]) -> int:
    print(f"adding {len(values)} numbers")
    return sum(values)


@pipeline
def summing(count: int = 4) -> None:
    total(numbers(count=count))


def test_a_pipeline_run_is_recorded_read_back_cached_and_deleted(client: Client) -> None:
    first = run_pipeline(summing.compile(count=5), client)
    assert first.steps["total"].outputs["output"].load() == 10

    again = client.runs.get(first.name)
    assert statuses(again) == {"numbers": "completed", "total": "completed"}
    assert again.record.stack_name == "default"
    assert "adding 5 numbers" in again.steps["total"].logs
    assert client.runs.get(first.id[:8]).id == first.id

    cached = run_pipeline(summing.compile(count=5), client)
    assert statuses(cached) == {"numbers": "cached", "total": "cached"}
    assert cached.steps["total"].record.cached_from == again.steps["total"].record.id
    rerun = run_pipeline(summing.compile(count=6), client)
    assert statuses(rerun) == {"numbers": "completed", "total": "completed"}

    assert [r.name for r in client.runs.list()] == [rerun.name, cached.name, first.name]
    assert client.runs.count(pipeline="summing", status="completed") == 3
    [summary] = client.runs.pipelines()
    assert (summary.name, summary.runs) == ("summing", 3)
    lineage = client.artifacts.lineage(first.steps["numbers"].outputs["values"].id)
    assert [use["run"] for use in lineage["produced_by"]] == [first.name]
    assert [use["run"] for use in lineage["reused_by"]] == [cached.name]
    assert [use["run"] for use in lineage["consumed_by"]] == [first.name, cached.name]

    client.runs.delete(first.name)
    assert [r.name for r in client.runs.list()] == [rerun.name, cached.name]
    # The cached run still reads the outputs the deleted run made.
    assert client.runs.get(cached.name).steps["total"].outputs["output"].load() == 10
    client.runs.delete(cached.name)
    with pytest.raises(NotFoundError):
        client.artifacts.get(first.steps["total"].outputs["output"].id)


def test_runs_are_read_a_page_at_a_time_newest_first_on_both(
    client: Client, store: SqlStore
) -> None:
    start = now()
    names = []
    for index in range(7):  # the last two start at the same moment: the name breaks the tie
        run = run_record(client, f"paged-{index}", started=start + timedelta(seconds=min(index, 5)))
        store.runs.create(run)
        names.append(run.name)
    newest_first = names[::-1]
    assert [r.name for r in client.runs.list(limit=3, offset=2)] == newest_first[2:5]
    assert [r.name for r in client.runs.list(stack="default", limit=3, offset=5)] == (
        newest_first[5:]
    )
    assert [r.name for r in client.runs.list(pipeline="summing", offset=4)] == newest_first[4:]
    assert client.runs.list(limit=3, offset=7) == []


@step
def noisy(text: str = "a\x00b") -> str:
    print(f"got {text}")
    return text


@pipeline
def printing_nul() -> None:
    noisy()


def test_a_step_printing_a_nul_character_is_recorded(client: Client) -> None:
    run = run_pipeline(printing_nul.compile(), client)

    again = client.runs.get(run.name)
    assert statuses(again) == {"noisy": "completed"}
    assert again.steps["noisy"].outputs["output"].load() == "a\x00b"
    assert again.steps["noisy"].record.parameters == {"text": "a\x00b"}
    assert again.steps["noisy"].logs.startswith("got a")


def test_a_run_whose_process_died_reads_as_crashed(client: Client, store: SqlStore) -> None:
    exited = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    run = run_record(client, "left_running", pid=int(exited.stdout), host=this_host())
    store.runs.create(run)
    store.step_runs.start(step_record(run.id, "numbers"), 0)

    read = client.runs.get("left_running")
    assert read.status is RunStatus.CRASHED
    assert f"the process running it died (pid {run.pid} on {run.host})" in read.record.error
    assert statuses(read) == {"numbers": "crashed"}
    assert [r.status for r in client.runs.list(status="running")] == []


# -- writers racing -----------------------------------------------------------------------


def in_threads(work: Callable[[int], Any]) -> list[Any]:
    """Run `work(n)` on THREADS threads at once; what each returned or raised."""
    results: list[Any] = [None] * THREADS
    start = threading.Barrier(THREADS)

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = work(n)
        except Exception as error:  # each thread's outcome is checked by the test
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_threads_registering_one_name_let_exactly_one_win(client: Client, tmp_path: Path) -> None:
    results = in_threads(
        lambda n: client.register_component(
            "artifact_store", "contested", "local", {"path": str(tmp_path / str(n))}
        )
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == THREADS - 1
    assert {str(e) for e in errors} == {
        "an artifact store named 'contested' already exists; choose another name or update the "
        "existing one"
    }
    [winner] = [r for r in results if not isinstance(r, Exception)]
    assert client.get_component("artifact_store", "contested").config == winner.config


def test_threads_recording_runs_at_once_lose_nothing(client: Client, store: SqlStore) -> None:
    artifact_store_id = client.get_stack("default").artifact_store.id
    steps = 5

    def record(n: int) -> list[int]:
        run = run_record(client, f"run_{n}", pipeline_name=f"pipeline_{n % 2}")
        store.runs.create(run)
        versions = []
        for position in range(steps):
            started = step_record(run.id, f"step_{position}")
            store.step_runs.start(started, position)
            # Every run makes an artifact of one shared name: versions are handed out in turn.
            artifact = ArtifactRecord(
                id=new_id(),
                name="shared_output",
                version=0,
                uri=f"{run.id}/{position}",
                type_name="builtins.int",
                materializer="json",
                size=1,
                artifact_store_id=artifact_store_id,
                producer_step_run_id=started.id,
                created=now(),
            )
            finished = replace(
                started, status=StepStatus.COMPLETED, finished=now(), outputs={"o": artifact.id}
            )
            [stored] = store.step_runs.finish(finished, position, "", [artifact])
            versions.append(stored.version)
        store.runs.finish(run.id, RunStatus.COMPLETED, now(), "")
        return versions

    results = in_threads(record)

    assert not [r for r in results if isinstance(r, Exception)], results
    versions = sorted(int(v) for r in results for v in r)
    assert versions == list(range(1, THREADS * steps + 1))
    runs = client.runs.list()
    assert sorted(r.name for r in runs) == sorted(f"run_{n}" for n in range(THREADS))
    assert {r.status for r in runs} == {RunStatus.COMPLETED}
    assert all(len(store.step_runs.list(r.id)) == steps for r in runs)
    assert sorted(p.name for p in client.runs.pipelines()) == ["pipeline_0", "pipeline_1"]


def test_threads_reading_while_others_write_see_whole_records(
    client: Client, tmp_path: Path
) -> None:
    def work(n: int) -> int:
        if n % 2:
            client.register_component(
                "artifact_store", f"store_{n}", "local", {"path": str(tmp_path / str(n))}
            )
            return 0
        return sum(len(client.list_stacks()) for _ in range(20))

    results = in_threads(work)

    assert not [r for r in results if isinstance(r, Exception)], results
    names = {c.name for c in client.list_components("artifact_store")}
    assert names == {"default", *(f"store_{n}" for n in range(1, THREADS, 2))}


def test_threads_importing_one_stack_file_create_its_new_component_once(
    client: Client, team_stack_file: Path
) -> None:

    results = in_threads(lambda n: client.import_stack(team_stack_file, f"team_{n}"))

    assert not [r for r in results if isinstance(r, Exception)], results
    [team_store] = [c for c in client.list_components("artifact_store") if c.name == "team_store"]
    members = {s.name: s.artifact_store.id for s in client.list_stacks() if s.name != "default"}
    assert members == {f"team_{n}": team_store.id for n in range(THREADS)}
