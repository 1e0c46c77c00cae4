"""A cached output is served only while its files are the ones written; damage reruns the step."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from pipeline_helpers import artifact_path, reasons, statuses
from runstack import Client
from runstack.errors import RunstackError
from runstack.history.results import PipelineRun
from runstack.pipelines.runner import PipelineRunError

FLOW = """
@step
def load(n: int = 3) -> list[int]:
    return list(range(n))


@step
def total(values: list[int]) -> int:
    return sum(values)


@pipeline
def flow() -> None:
    total(load())
"""

TOTAL_CHANGED = FLOW.replace("sum(values)", "sum(values) + 0")
DAMAGED = "cached output damaged"

ImportFlow = Callable[[str], ModuleType]


@pytest.fixture
def first_run(import_module: ImportFlow) -> PipelineRun:
    run: PipelineRun = import_module(FLOW).flow()
    return run


def value_file(run: PipelineRun) -> Path:
    """The one file of `load`'s output (the JSON materializer writes `value.json`)."""
    return artifact_path(run.steps["load"].outputs["output"]) / "value.json"


def assert_rebuilt(second: PipelineRun, reason: str) -> None:
    assert statuses(second) == {"load": "completed", "total": "completed"}
    assert reasons(second)["load"].startswith(reason), reasons(second)
    assert second.steps["total"].outputs["output"].load() == 3


def test_a_truncated_cached_file_reruns_the_step(
    first_run: PipelineRun, import_module: ImportFlow
) -> None:
    path = value_file(first_run)
    path.write_bytes(path.read_bytes()[:4])
    assert_rebuilt(import_module(FLOW).flow(), DAMAGED)


def test_a_missing_file_in_a_cached_output_reruns_the_step(
    first_run: PipelineRun, import_module: ImportFlow
) -> None:
    value_file(first_run).unlink()
    assert_rebuilt(import_module(FLOW).flow(), DAMAGED)


def test_a_damaged_file_is_named_in_the_reason(
    first_run: PipelineRun, import_module: ImportFlow
) -> None:
    path = value_file(first_run)
    path.write_bytes(path.read_bytes() + b" ")
    reason = reasons(import_module(FLOW).flow())["load"]
    assert "value.json" in reason and first_run.name in reason, reason


def test_unreadable_content_of_the_same_size_names_the_artifact_and_is_never_served_again(
    first_run: PipelineRun, import_module: ImportFlow
) -> None:
    path = value_file(first_run)
    content = path.read_bytes()
    path.write_bytes(content.replace(b"]", b"?"))
    artifact = first_run.steps["load"].outputs["output"]

    with pytest.raises(PipelineRunError) as failed:
        import_module(TOTAL_CHANGED).flow()  # `total` reruns and reads the cached output
    message = str(failed.value)
    assert artifact.id in message and artifact.name in message, message
    assert "step 'load'" in message and first_run.name in message, message
    assert failed.value.run.steps["total"].status.value == "failed"

    assert_rebuilt(import_module(FLOW).flow(), DAMAGED)


def test_loading_an_unreadable_artifact_in_python_names_its_step_and_run(
    first_run: PipelineRun, import_module: ImportFlow
) -> None:
    path = value_file(first_run)
    path.write_bytes(path.read_bytes().replace(b"[", b"{"))
    with pytest.raises(RunstackError, match=f"step 'load' of run '{first_run.name}'"):
        first_run.steps["load"].outputs["output"].load()
    assert_rebuilt(import_module(FLOW).flow(), DAMAGED)


def test_outputs_recorded_without_a_file_list_are_checked_for_existence_only(
    first_run: PipelineRun, import_module: ImportFlow, runstack_home: Path
) -> None:
    """Artifacts saved before runstack kept their files (a migrated store) still cache."""
    with sqlite3.connect(runstack_home / "runstack.db") as connection:
        connection.execute("UPDATE artifacts SET files = NULL")
    connection.close()
    assert statuses(import_module(FLOW).flow()) == {"load": "cached", "total": "cached"}
    shutil.rmtree(artifact_path(first_run.steps["load"].outputs["output"]))
    assert_rebuilt(import_module(FLOW).flow(), "cached artifact missing")


def test_outputs_stay_reusable_after_the_run_that_made_them_is_deleted(
    first_run: PipelineRun, import_module: ImportFlow
) -> None:
    """The run that reused them still holds them; the cache names it as their origin."""
    second = import_module(FLOW).flow()
    Client().runs.delete(first_run.name)
    third = import_module(FLOW).flow()
    assert reasons(third) == {
        "load": f"cached from run {second.name}",
        "total": f"cached from run {second.name}",
    }
    assert third.steps["total"].outputs["output"].load() == 3


def test_an_unreadable_artifact_whose_run_was_deleted_says_so(
    first_run: PipelineRun, import_module: ImportFlow
) -> None:
    import_module(FLOW).flow()
    Client().runs.delete(first_run.name)
    path = value_file(first_run)
    path.write_bytes(path.read_bytes().replace(b"]", b"?"))
    with pytest.raises(PipelineRunError, match="it was made by a run since deleted"):
        import_module(TOTAL_CHANGED).flow()
    assert_rebuilt(import_module(FLOW).flow(), DAMAGED)
