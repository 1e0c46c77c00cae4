"""Authoring and running pipelines from Python: wiring, options, run configs, parallel
branches, captured logs, failures and retries."""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import pytest

from pipeline_helpers import artifact_path, reasons, statuses
from runstack import Client, Pipeline, RunstackError, Step, pipeline, step
from runstack.pipelines.runner import PipelineRunError


@step
def numbers(count: int = 3) -> list[int]:
    return list(range(count))


@step
def total(values: list[int]) -> int:
    return sum(values)


@pipeline
def summing(count: int = 3) -> None:
    total(numbers(count=count))


def test_a_step_called_outside_a_pipeline_just_runs_the_function() -> None:
    assert numbers(count=2) == [0, 1]
    assert total([1, 2, 3]) == 6
    assert Client().runs.list() == []


def test_outputs_are_named_output_output_n_or_by_annotated() -> None:
    @step
    def single() -> int:
        return 1

    @step
    def pair() -> tuple[int, str]:
        return 2, "b"

    @step
    def named() -> tuple[Annotated[int, "count"], str]:
        return 3, "c"

    @step
    def nothing() -> None:
        pass

    @pipeline
    def outputs() -> None:
        single()
        pair()
        named()
        nothing()

    run = outputs()
    loaded = {
        name: {output: artifact.load() for output, artifact in step_run.outputs.items()}
        for name, step_run in run.steps.items()
    }
    assert loaded == {
        "single": {"output": 1},
        "pair": {"output_0": 2, "output_1": "b"},
        "named": {"count": 3, "output_1": "c"},
        "nothing": {},
    }


def test_handles_wire_steps_and_inputs_are_loaded_from_the_store() -> None:
    made: list[dict[str, list[int]]] = []
    received: list[Any] = []

    @step
    def make(size: int) -> tuple[Annotated[dict[str, list[int]], "data"], Annotated[int, "size"]]:
        made.append({"values": list(range(size))})
        return made[-1], size

    @step
    def use(data: dict[str, list[int]], size: int) -> None:
        received.extend([data, size])

    @pipeline
    def wiring() -> None:
        data, size = make(size=3)
        use(data, size=size)

    run = wiring()
    assert received == [made[0], 3]
    assert received[0] is not made[0]
    artifact = run.steps["make"].outputs["data"]
    assert artifact.uri == f"wiring/{run.id}/make/data"
    assert artifact_path(artifact).is_dir()
    assert run.steps["use"].inputs["data"].id == artifact.id


@pytest.mark.parametrize("wait_for", ["no-output step", "output handle", "several outputs"])
def test_after_orders_steps_without_a_data_dependency(wait_for: str) -> None:
    @step
    def slow_nothing() -> None:
        time.sleep(0.05)

    @step
    def slow_one() -> int:
        time.sleep(0.05)
        return 1

    @step
    def slow_two() -> tuple[int, int]:
        time.sleep(0.05)
        return 1, 2

    @step
    def later() -> None:
        pass

    first = {"no-output step": slow_nothing, "output handle": slow_one, "several outputs": slow_two}

    @pipeline(settings={"orchestrator": {"max_parallel": 2}})
    def ordered() -> None:
        later().after(first[wait_for]())

    run = ordered()
    before, after = run.steps[first[wait_for].name].record, run.steps["later"].record
    assert before.finished is not None and after.started is not None
    assert after.started >= before.finished


def test_a_step_used_several_times_gets_numbered_ids() -> None:
    @step
    def increment(value: int) -> int:
        return value + 1

    @pipeline
    def chain() -> None:
        increment(increment(increment(0)))

    run = chain()
    assert list(run.steps) == ["increment", "increment_2", "increment_3"]
    assert run.steps["increment_3"].outputs["output"].load() == 3


def test_parameters_are_recorded_with_the_run() -> None:
    @step
    def scale(values: list[float], factor: float, label: str = "x") -> list[float]:
        return [value * factor for value in values]

    @pipeline
    def scaling(factor: float = 2.0) -> None:
        scale([1.0, 2.0], factor=factor)

    run = Client().runs.get(scaling(factor=3.0).id)
    assert run.record.parameters == {"factor": 3.0}
    assert run.steps["scale"].record.parameters == {
        "values": [1.0, 2.0],
        "factor": 3.0,
        "label": "x",
    }
    assert run.steps["scale"].outputs["output"].load() == [3.0, 6.0]


def test_a_run_prints_its_stack_its_name_and_a_line_per_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = summing()
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "Running pipeline 'summing' on stack 'default' "
        "(orchestrator 'default', artifact store 'default').",
        f"Run '{run.name}' (id {run.id}).",
    ]
    assert [line.split(" (")[0] for line in lines[2:6]] == [
        "  … numbers started",
        "  ✔ numbers completed",
        "  … total started",
        "  ✔ total completed",
    ]
    assert lines[6].startswith(f"Run '{run.name}' completed in ")
    assert lines[6].endswith(": 2 completed.")


def test_names_come_from_the_decorators_or_with_options() -> None:
    @step(name="fetch")
    def download() -> int:
        return 1

    @pipeline(name="nightly")
    def job() -> None:
        download()
        total.with_options(name="sum")([1, 2])

    assert job().record.pipeline_name == "nightly"
    run = job.with_options(name="weekly")()
    assert run.record.pipeline_name == "weekly"
    assert list(run.steps) == ["fetch", "sum"]


def test_options_are_layered_decorator_then_call_then_run_config(tmp_path: Path) -> None:
    @step(retries=1, extra={"team": "data"}, settings={"orchestrator": {"max_parallel": 2}})
    def configured() -> None:
        pass

    @step
    def plain() -> None:
        pass

    @pipeline(retries=4, retry_delay=0, timeout=60, extra={"owner": "ana", "project": "churn"})
    def layered() -> None:
        configured.with_options(extra={"stage": "fit"})()
        plain()

    config = tmp_path / "run.toml"
    config.write_text(
        '[extra]\nticket = "ML-1"\n'
        "[steps.plain]\nretries = 2\nretry_delay = 0.5\ntimeout = 30\n"
        'extra = { stage = "report" }\n'
        "[steps.plain.settings.orchestrator]\nmax_parallel = 1\n",
        encoding="utf-8",
    )
    run = layered.with_options(extra={"owner": "bo"}, config_path=config)()
    pipeline_extra = {"owner": "bo", "project": "churn", "ticket": "ML-1"}
    assert run.record.config["extra"] == pipeline_extra
    assert run.record.config["steps"] == {
        "configured": {
            "enable_cache": True,
            "retries": 1,
            "retry_delay": 0,
            "timeout": 60,
            "experiment_tracker": False,
            "settings": {"orchestrator": {"max_parallel": 2}},
            "extra": {**pipeline_extra, "team": "data", "stage": "fit"},
        },
        "plain": {
            "enable_cache": True,
            "retries": 2,
            "retry_delay": 0.5,
            "timeout": 30,
            "experiment_tracker": False,
            "settings": {"orchestrator": {"max_parallel": 1}},
            "extra": {**pipeline_extra, "stage": "report"},
        },
    }


def test_a_run_config_sets_name_parameters_caching_and_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("run.toml").write_text(
        'run_name = "counting-{date}"\n'
        "enable_cache = false\n"
        "[parameters]\ncount = 4\n"
        "[settings.orchestrator]\nmax_parallel = 1\n"
        "[steps.numbers]\nretries = 3\n",
        encoding="utf-8",
    )
    summing()
    run = summing.with_options(config_path="run.toml")()
    assert run.name == f"counting-{run.record.started:%Y_%m_%d}"
    assert run.record.parameters == {"count": 4}
    assert run.steps["numbers"].record.parameters == {"count": 4}
    assert run.steps["total"].outputs["output"].load() == 6
    assert reasons(run) == {"numbers": "caching disabled", "total": "caching disabled"}
    assert run.record.config["settings"] == {"orchestrator": {"max_parallel": 1}}
    assert run.record.config["steps"]["numbers"]["retries"] == 3


def meeting_pipeline(barrier: threading.Barrier) -> Pipeline:
    """Two independent steps that each wait for the other at `barrier`; True if they met."""

    @step
    def meet(side: str) -> bool:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return False
        return True

    @pipeline
    def meeting() -> None:
        meet(side="left")
        meet(side="right")

    return meeting


@pytest.mark.parametrize(
    ("max_parallel", "timeout", "met"),
    [pytest.param(2, 10.0, True, id="parallel"), pytest.param(1, 0.2, False, id="serial")],
)
def test_independent_branches_overlap_up_to_max_parallel(
    max_parallel: int, timeout: float, met: bool
) -> None:
    meeting = meeting_pipeline(threading.Barrier(2, timeout=timeout))
    run = meeting.with_options(settings={"orchestrator": {"max_parallel": max_parallel}})()
    assert [step_run.outputs["output"].load() for step_run in run.steps.values()] == [met, met]


def test_each_step_keeps_what_it_printed_and_logged_even_in_parallel(
    capsys: pytest.CaptureFixture[str],
) -> None:
    barrier = threading.Barrier(2, timeout=10)

    @step
    def chatty(side: str) -> None:
        for turn in range(2):
            print(f"{side} out {turn}")
            print(f"{side} err {turn}", file=sys.stderr)
            logging.getLogger("chatty").warning("%s log %d", side, turn)
            barrier.wait()

    @pipeline(settings={"orchestrator": {"max_parallel": 2}})
    def talk() -> None:
        chatty(side="left")
        chatty(side="right")

    run = talk()
    for name, side, other in (("chatty", "left", "right"), ("chatty_2", "right", "left")):
        logs = run.steps[name].logs
        for turn in range(2):
            assert f"{side} out {turn}\n" in logs
            assert f"{side} err {turn}\n" in logs
            assert f"WARNING chatty: {side} log {turn}\n" in logs
        assert other not in logs
    assert "left out 0" in capsys.readouterr().out


def failing_pipeline(sibling_started: threading.Event) -> Pipeline:
    """`explode` fails while `sibling` runs; `after_explode` depends on it, `after_sibling` not."""

    @step
    def source() -> int:
        return 3

    def parse(row: int) -> int:
        raise ValueError(f"bad row {row}")

    @step
    def explode(row: int) -> int:
        sibling_started.wait(10)
        return parse(row)

    @step
    def after_explode(value: int) -> None:
        pass

    @step
    def sibling() -> int:
        sibling_started.set()
        time.sleep(0.1)
        return 1

    @step
    def after_sibling(value: int) -> int:
        return value + 1

    @pipeline(settings={"orchestrator": {"max_parallel": 3}})
    def fragile() -> None:
        after_explode(explode(source()))
        after_sibling(sibling())

    return fragile


def test_a_failing_step_fails_the_run_skips_downstream_and_lets_siblings_finish() -> None:
    with pytest.raises(PipelineRunError) as raised:
        failing_pipeline(threading.Event())()
    run = raised.value.run
    assert isinstance(raised.value, RunstackError)
    assert run.status.value == "failed"
    assert statuses(run) == {
        "source": "completed",
        "explode": "failed",
        "after_explode": "skipped",
        "sibling": "completed",
        "after_sibling": "completed",
    }
    assert reasons(run)["after_explode"] == "upstream step 'explode' failed"
    assert run.steps["after_sibling"].outputs["output"].load() == 2
    assert str(raised.value) == (
        f"run {run.name!r} failed: step 'explode' raised ValueError: bad row 3 "
        f"(full log: runstack run logs {run.name} explode)"
    )
    assert Client().runs.get(run.name).record.error == "step 'explode' raised ValueError: bad row 3"


def test_a_failure_shows_the_user_traceback_once_and_logs_the_full_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(PipelineRunError) as raised:
        failing_pipeline(threading.Event())()
    shown = capsys.readouterr().out
    assert shown.count("Traceback (most recent call last)") == 1
    assert "in explode\n" in shown
    assert "in parse\n" in shown
    assert 'raise ValueError(f"bad row {row}")' in shown
    assert "runner.py" not in shown
    failed = raised.value.run.steps["explode"]
    assert failed.record.error.rstrip() in shown
    assert "runstack/pipelines/execution.py" in failed.logs
    assert failed.logs.rstrip().endswith("ValueError: bad row 3")


def flaky_step(failures: int) -> Step:
    """A step that raises on its first `failures` attempts, then returns the attempt count."""
    attempts: list[int] = []

    @step
    def flaky() -> int:
        attempts.append(len(attempts) + 1)
        if len(attempts) <= failures:
            raise ConnectionError(f"attempt {len(attempts)} lost the connection")
        return len(attempts)

    return flaky


def retrying_pipeline(flaky: Step, how: str, retries: int, tmp_path: Path) -> Pipeline:
    """A pipeline that runs `flaky` with `retries` (and no delay) set in the way `how` names."""
    if how == "step options":
        flaky = flaky.with_options(retries=retries, retry_delay=0)

    @pipeline
    def retrying() -> None:
        flaky()

    if how == "pipeline options":
        return retrying.with_options(retries=retries, retry_delay=0)
    config = tmp_path / "run.toml"
    config.write_text(f"[steps.flaky]\nretries = {retries}\nretry_delay = 0\n", encoding="utf-8")
    return retrying.with_options(config_path=config) if how == "run config" else retrying


RETRY_SOURCES = ["step options", "pipeline options", "run config"]


@pytest.mark.parametrize("how", RETRY_SOURCES)
def test_retries_rerun_a_failing_step_and_record_the_attempts(how: str, tmp_path: Path) -> None:
    run = retrying_pipeline(flaky_step(failures=2), how, 2, tmp_path)()
    flaky = run.steps["flaky"]
    assert flaky.status.value == "completed"
    assert flaky.record.attempts == 3
    assert flaky.outputs["output"].load() == 3
    assert "attempt 1 failed: ConnectionError: attempt 1 lost the connection" in flaky.logs
    assert "attempt 2 failed: ConnectionError: attempt 2 lost the connection" in flaky.logs


@pytest.mark.parametrize("how", RETRY_SOURCES)
def test_a_step_that_keeps_failing_fails_after_its_last_retry(how: str, tmp_path: Path) -> None:
    with pytest.raises(PipelineRunError, match="attempt 2 lost the connection") as raised:
        retrying_pipeline(flaky_step(failures=5), how, 1, tmp_path)()
    flaky = raised.value.run.steps["flaky"]
    assert flaky.status.value == "failed"
    assert flaky.record.attempts == 2


def test_progress_without_a_terminal_says_when_each_step_starts_is_retried_and_ends(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # pytest's captured stdout is no terminal: what CI logs get.
    run = retrying_pipeline(flaky_step(failures=2), "step options", 2, tmp_path)()
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    start = lines.index("… flaky started")
    assert lines[start + 1] == (
        f"↻ flaky retried 2 times ('runstack run logs {run.name} flaky' shows each failed attempt)"
    )
    assert lines[start + 2].startswith("✔ flaky completed (")


def test_info_logs_of_a_step_are_kept_when_logging_is_unconfigured(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @step
    def chatty() -> int:
        logging.getLogger("chatty").info("an info line")
        logging.getLogger("chatty").warning("a warning line")
        return 1

    @pipeline
    def talking() -> None:
        chatty()

    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers.clear()
    root.setLevel(logging.WARNING)
    try:
        run = talking()
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    logs = run.steps["chatty"].logs
    assert "INFO chatty: an info line" in logs
    assert "WARNING chatty: a warning line" in logs
    assert "a warning line" in capsys.readouterr().err
    assert root.level == saved_level
