"""A step's log lives in the artifact store beside its outputs; the records keep where it is,
its size and its last lines. A per-step limit keeps the last part, saying how much was cut."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from runstack import BaseArtifactStore, Client, Pipeline, pipeline, step
from runstack.history.results import PipelineRun

MARKER = "early-line-only-the-artifact-store-keeps"


@step
def chatty(lines: int) -> int:
    print(MARKER)
    for number in range(lines):
        print(f"line {number:05d} " + "x" * 60)
    return lines


@step
def quiet(count: int) -> int:
    return count + 1


@pipeline
def talking(lines: int = 2000) -> None:
    quiet(chatty(lines))


def log_file(run: PipelineRun, step_name: str) -> Path:
    """Where the step's log is on disk: beside its outputs, in the default local store."""
    record = run.steps[step_name].record
    client = Client()
    store = client.build_component(client.active_stack.artifact_store)
    assert isinstance(store, BaseArtifactStore)
    return Path(store.path(record.log_uri))


def test_a_step_log_is_written_beside_its_outputs_not_into_the_records(
    runstack_home: Path, cli_ok: Callable[..., str]
) -> None:
    run = talking()
    chatty_run = run.steps["chatty"]
    record = chatty_run.record
    assert record.log_uri == f"talking/{run.id}/chatty/{record.id}.log"
    assert log_file(run, "chatty").read_text().startswith(MARKER)
    assert record.log_size == log_file(run, "chatty").stat().st_size > 100_000
    assert MARKER.encode() not in (runstack_home / "runstack.db").read_bytes()
    assert run.steps["quiet"].record.log_uri == ""  # it printed nothing

    shown = cli_ok("run", "logs", run.name, "chatty")
    assert MARKER in shown and "line 01999" in shown
    assert Client().runs.get(run.name).steps["chatty"].logs.startswith(MARKER)


def test_the_records_keep_the_last_lines_when_the_log_cannot_be_read(
    cli_ok: Callable[..., str],
) -> None:
    run = talking()
    log_file(run, "chatty").unlink()
    shown = cli_ok("run", "logs", run.name, "chatty")
    assert "cannot be read" in shown
    assert "line 01999" in shown and MARKER not in shown


def test_a_log_over_the_limit_keeps_its_last_part_and_says_what_was_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNSTACK_STEP_LOG_LIMIT", "4KB")
    run = talking(lines=500)
    text = run.steps["chatty"].logs
    assert text.startswith("[runstack: the first ")
    assert "bytes of this step's log were cut; the last 4096 are kept" in text
    assert MARKER not in text and text.rstrip().endswith("line 00499 " + "x" * 60)
    assert log_file(run, "chatty").stat().st_size < 4096 + 200


def test_a_bad_limit_is_refused_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch, cli_error: Callable[..., str], tmp_path: Path
) -> None:
    monkeypatch.setenv("RUNSTACK_STEP_LOG_LIMIT", "lots")
    flow = tmp_path / "flow.py"
    flow.write_text(
        "from runstack import pipeline, step\n\n"
        "@step\ndef one() -> int:\n    return 1\n\n"
        "@pipeline\ndef flow() -> None:\n    one()\n"
    )
    assert cli_error("pipeline", "run", f"{flow}:flow") == (
        "Error: RUNSTACK_STEP_LOG_LIMIT='lots' is not a size; give bytes or a size such as "
        "10MB or 512KB (at least 1 byte)"
    )
    assert Client().runs.count() == 0


def test_a_log_written_by_a_worker_process_is_in_the_store_too() -> None:
    in_processes: Pipeline = talking.with_options(
        settings={"orchestrator.local": {"mode": "processes"}}
    )
    run = in_processes(lines=10)
    assert log_file(run, "chatty").read_text().startswith(MARKER)
    assert "line 00009" in run.steps["chatty"].logs


def test_logs_recorded_before_logs_moved_stay_readable(
    runstack_home: Path, cli_ok: Callable[..., str]
) -> None:
    run = talking(lines=1)
    with sqlite3.connect(runstack_home / "runstack.db") as connection:  # as an older runstack
        connection.execute(
            "UPDATE step_runs SET log_uri = '', log_size = NULL, logs = 'the whole old log' "
            "WHERE id = ?",
            (run.steps["chatty"].record.id,),
        )
    assert "the whole old log" in cli_ok("run", "logs", run.name, "chatty")


def test_deleting_a_run_removes_its_step_logs(cli_ok: Callable[..., str]) -> None:
    run = talking(lines=1)
    written = log_file(run, "chatty")
    assert written.exists()
    cli_ok("run", "delete", run.name, "--yes")
    assert not written.exists()
