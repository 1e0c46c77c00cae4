"""Success and failure hooks as ZenML's docs write them (on steps, on pipelines, through
`with_options`, ZenML's ready alerter hooks), and the smaller names: `get_logger`,
`my_step.entrypoint`, `configure`, `retry=StepRetryConfig(...)` (issue 14)."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import runstack.logger
from runstack import (
    Client,
    StepRetryConfig,
    alerter_failure_hook,
    alerter_success_hook,
    get_logger,
    get_step_context,
    pipeline,
    step,
)
from runstack.errors import ConfigError
from runstack.pipelines.runner import PipelineRunError


@step
def load_data() -> list[int]:
    return [1, 2, 3]


@step
def train(data: list[int], fail: bool = False) -> float:
    if fail:
        raise RuntimeError("the loss is NaN")
    return sum(data) / len(data)


# -- retry=StepRetryConfig(...) ------------------------------------------------------------


def fail_counting(tries: str) -> int:
    """Count this attempt in the file `tries`, then fail naming it."""
    count = Path(tries)
    attempt = int(count.read_text()) + 1 if count.exists() else 1
    count.write_text(str(attempt))
    raise ConnectionError(f"attempt {attempt} failed")


def test_a_step_retry_config_sets_the_retries_their_delay_and_its_backoff(tmp_path: Path) -> None:
    @step(retry=StepRetryConfig(max_retries=2, delay=0.01, backoff=3))
    def flaky(tries: str) -> int:
        return fail_counting(tries)

    @pipeline
    def retried() -> None:
        flaky(str(tmp_path / "tries"))

    with pytest.raises(PipelineRunError, match="attempt 3 failed") as raised:
        retried()
    flaky_run = raised.value.run.steps["flaky"]
    assert flaky_run.record.attempts == 3
    assert "retrying in 0.01s" in flaky_run.logs
    assert "retrying in 0.03s" in flaky_run.logs  # delay x backoff


def test_step_retry_config_checks_its_values() -> None:
    with pytest.raises(ConfigError, match="max_retries must be a whole number >= 0, got -1"):
        StepRetryConfig(max_retries=-1)
    with pytest.raises(ConfigError, match="delay must be a number >= 0, got '10'"):
        StepRetryConfig(delay="10")  # type: ignore[arg-type]

    def patient() -> None: ...

    agreeing = step(retries=3, retry=StepRetryConfig(max_retries=3, delay=1))(patient)
    assert agreeing.options.retries == 3


# -- the smaller names ----------------------------------------------------------------------

logger = get_logger(__name__)


@step(enable_cache=False)
def logged(rows: int) -> int:
    logger.info(f"loaded {rows} rows")
    return rows


def test_get_logger_is_the_standard_library_s_and_its_records_reach_the_step_s_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert runstack.logger.get_logger("x.y") is logging.getLogger("x.y")
    root = logging.getLogger()  # as in a user's script: logging left unconfigured (not pytest's)
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", logging.WARNING)

    @pipeline
    def logging_pipeline() -> None:
        logged(3)

    run = logging_pipeline()
    assert f"INFO {__name__}: loaded 3 rows" in run.steps["logged"].logs


def test_a_step_s_entrypoint_is_the_plain_function() -> None:
    assert train.entrypoint([1, 2, 3]) == 2.0
    assert train.entrypoint is train.function


def test_configure_changes_a_step_or_pipeline_in_place_and_with_options_copies() -> None:
    @step
    def counted(n: int) -> int:
        return n

    @pipeline
    def counting() -> None:
        counted(1)

    copy = counted.with_options(enable_cache=False)
    assert copy is not counted and counted.options.enable_cache is None
    assert counted.configure(enable_cache=False) is counted
    assert counting.configure(name="counting_nightly") is counting

    first = counting()
    second = counting()
    assert first.record.pipeline_name == second.record.pipeline_name == "counting_nightly"
    assert second.steps["counted"].status.value == "completed"  # not cached: configured off
    with pytest.raises(ConfigError, match=r"step 'counted': .*unexpected keyword argument 'cache'"):
        counted.configure(cache=False)
    assert counted.options.enable_cache is False  # a refused change leaves it as it was


# -- success and failure hooks ------------------------------------------------------------

NOTES: Path | None = None  # where the hooks below note what they saw (set per test)


@pytest.fixture(autouse=True)
def notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], list[str]]]:
    """A fresh notes file for this test's hooks; reads back its lines (this process as PID)."""
    path = tmp_path / "notes.txt"
    monkeypatch.setattr(f"{__name__}.NOTES", path)

    def read() -> list[str]:
        if not path.exists():
            return []
        return path.read_text(encoding="utf-8").replace(str(os.getpid()), "PID").splitlines()

    yield read


def note(line: str) -> None:
    assert NOTES is not None
    with NOTES.open("a", encoding="utf-8") as file:
        file.write(line + "\n")


# -- the hooks of ZenML's "use failure/success hooks" page ---------------------------------


def on_failure(exception: BaseException) -> None:
    print(f"Step failed: {exception!s}")
    context = get_step_context()
    note(f"failure {context.step_name} {type(exception).__name__}: {exception} {os.getpid()}")


def on_success() -> None:
    print("Step succeeded!")
    context = get_step_context()
    note(f"success {context.step_name} {context.run_name} {os.getpid()}")


@step(on_failure=on_failure)
def my_failing_step() -> int:
    """Returns an integer."""
    raise ValueError("Error")


@step(on_success=on_success)
def my_successful_step() -> int:
    """Returns an integer."""
    return 1


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_hooks_run_in_the_step_s_process_with_its_context_and_a_cached_step_runs_none(
    mode: str, notes: Callable[[], list[str]]
) -> None:
    @pipeline(settings={"orchestrator": {"mode": mode, "max_parallel": 1}})
    def hooked() -> None:
        my_successful_step()
        my_failing_step(after=["my_successful_step"])

    with pytest.raises(PipelineRunError, match="ValueError: Error") as raised:
        hooked()
    run = raised.value.run
    [success, failure] = notes()
    worker = success.split()[-1]
    assert (worker == "PID") is (mode == "threads")
    assert success == f"success my_successful_step {run.name} {worker}"
    assert failure == f"failure my_failing_step ValueError: Error {worker}"
    assert "Step succeeded!" in run.steps["my_successful_step"].logs
    assert "Step failed: Error" in run.steps["my_failing_step"].logs
    assert run.steps["my_failing_step"].status.value == "failed"

    with pytest.raises(PipelineRunError, match="ValueError: Error"):
        hooked()
    assert Client().get_pipeline("hooked").last_run.steps["my_successful_step"].status.value == (
        "cached"
    )
    assert [line.split()[0] for line in notes()] == ["success", "failure", "failure"]


# -- pipeline-level hooks, with_options, retries ---------------------------------------------


def notify_failure(exception: BaseException) -> None:
    note(f"pipeline failure {get_step_context().step_name}: {exception}")


def notify_success() -> None:
    note(f"pipeline success {get_step_context().step_name}")


@pipeline(on_failure=notify_failure, on_success=notify_success, enable_cache=False)
def training(fail: bool = False) -> None:
    train(load_data(), fail=fail)


def test_a_pipeline_s_hooks_apply_to_every_step_that_has_none_of_its_own(
    notes: Callable[[], list[str]],
) -> None:
    training()
    assert notes() == ["pipeline success load_data", "pipeline success train"]

    with pytest.raises(PipelineRunError):
        training.with_options(on_success=None)(fail=True)
    assert notes()[2:] == ["pipeline failure train: the loss is NaN"]

    @pipeline(on_failure=notify_failure, on_success=notify_success, enable_cache=False)
    def own_hooks() -> None:
        data = load_data.with_options(on_success=on_success)()
        train(data)

    own_hooks()
    assert [line.split()[:2] for line in notes()[3:]] == [
        ["success", "load_data"],  # the step's own hook wins
        ["pipeline", "success"],
    ]


def test_the_failure_hook_runs_once_after_the_last_retry_with_the_last_error(
    notes: Callable[[], list[str]], tmp_path: Path
) -> None:
    @step(retries=2, retry_delay=0, on_failure=on_failure)
    def flaky(tries: str) -> int:
        return fail_counting(tries)

    @pipeline
    def retried() -> None:
        flaky(str(tmp_path / "tries"))

    with pytest.raises(PipelineRunError) as raised:
        retried()
    flaky_run = raised.value.run.steps["flaky"]
    assert flaky_run.record.attempts == 3
    assert [line.rsplit(" ", 1)[0] for line in notes()] == [
        "failure flaky ConnectionError: attempt 3 failed"
    ]


# -- a hook that raises ------------------------------------------------------------------------


def broken_success_hook() -> None:
    raise KeyError("no webhook configured")


def broken_failure_hook(exception: BaseException) -> None:
    raise RuntimeError(f"cannot report {exception}")


@step(on_success=broken_success_hook)
def fine() -> int:
    return 7


@step(on_failure=broken_failure_hook)
def doomed(value: int) -> int:
    raise ValueError(f"bad value {value}")


def test_a_hook_that_raises_is_one_warning_and_changes_nothing() -> None:
    @pipeline
    def fragile(fail: bool) -> None:
        value = fine()
        if fail:
            doomed(value)

    with pytest.warns(UserWarning) as caught:
        run = fragile(fail=False)
    assert run.status.value == "completed"
    assert run.steps["fine"].outputs["output"].load() == 7
    [warning] = [str(w.message) for w in caught]
    assert warning == (
        f"on_success hook 'broken_success_hook' of step 'fine' in run {run.name!r} raised "
        "KeyError: 'no webhook configured'; the step's outcome stands"
    )
    assert "KeyError: 'no webhook configured'" in run.steps["fine"].logs  # with its traceback

    with (
        pytest.warns(UserWarning, match="on_failure hook 'broken_failure_hook' of step 'doomed'"),
        pytest.raises(PipelineRunError, match="ValueError: bad value 7"),
    ):
        fragile(fail=True)


def test_through_the_cli_a_raising_hook_is_one_warning_line(
    run_cli: Callable[..., Any], write_module: Callable[[str], Path]
) -> None:
    flow = write_module(
        """
        def alert() -> None:
            raise ConnectionError("chat is down")

        @step(on_success=alert)
        def report() -> int:
            return 1

        @pipeline
        def nightly() -> None:
            report()
        """
    )
    result = run_cli("pipeline", "run", f"{flow}:nightly")
    assert result.exit_code == 0, result.output
    run = Client().runs.list(limit=1)[0]
    assert result.stderr.splitlines() == [
        f"Warning: on_success hook 'alert' of step 'report' in run {run.name!r} raised "
        "ConnectionError: chat is down; the step's outcome stands"
    ]


# -- hooks and retries refused when they are declared ----------------------------------------


def takes_a_message(message: str) -> None: ...


def takes_two(exception: BaseException, other: BaseException) -> None: ...


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (
            {"on_success": takes_a_message},
            "step 'stepped': on_success hook 'takes_a_message' takes (message); a hook's "
            "parameters must be none",
        ),
        (
            {"on_success": on_failure},
            "step 'stepped': on_success hook 'on_failure' takes (exception); a hook's "
            "parameters must be none",
        ),
        (
            {"on_failure": takes_two},
            "step 'stepped': on_failure hook 'takes_two' takes (exception, other); a hook's "
            "parameters must be none, or one annotated BaseException that receives the step's "
            "error",
        ),
        (
            {"on_failure": takes_a_message},
            "on_failure hook 'takes_a_message' takes (message)",
        ),
        (
            {"on_failure": 3},
            "step 'stepped': on_failure must be a function or a 'module.function' string, got 3",
        ),
        (
            {"on_success": "no_such_module_here.notify"},
            "step 'stepped': on_success hook 'no_such_module_here.notify': ModuleNotFoundError: "
            "No module named 'no_such_module_here'",
        ),
        (
            {"on_success": "os.no_such_function"},
            "on_success hook 'os.no_such_function': module 'os' has no 'no_such_function'",
        ),
        ({"on_success": "notify"}, "on_success hook 'notify' names no module"),
        (
            {"retries": 2, "retry": StepRetryConfig(max_retries=3)},
            "step 'stepped': retries=2 and retry=StepRetryConfig(max_retries=3, delay=0, "
            "backoff=0) disagree on the max_retries; give one of them",
        ),
        (
            {"retry_delay": 5, "retry": StepRetryConfig(delay=1)},
            "retry_delay=5 and retry=StepRetryConfig(max_retries=1, delay=1, backoff=0) "
            "disagree on the delay",
        ),
        ({"retry": 3}, "step 'stepped': retry must be a StepRetryConfig("),
    ],
)
def test_a_hook_or_retry_that_cannot_work_is_refused_when_declared(
    options: dict[str, Any], said: str
) -> None:
    def stepped() -> None: ...

    with pytest.raises(ConfigError) as raised:
        step(**options)(stepped)
    assert said in str(raised.value)
    assert "\n" not in str(raised.value)
    with pytest.raises(ConfigError, match="pipeline 'stepped'"):
        pipeline(**options)(stepped)
    with pytest.raises(ConfigError):
        step(stepped).with_options(**options)


def test_a_hook_may_be_named_by_its_module_and_function_as_zenml_sources_are(
    notes: Callable[[], list[str]],
) -> None:
    @step(on_success=f"{__name__}.on_success", enable_cache=False)
    def sourced() -> int:
        return 1

    @pipeline
    def by_source() -> None:
        sourced()

    run = by_source()
    assert notes() == [f"success sourced {run.name} PID"]


# -- ZenML's ready alerter hooks --------------------------------------------------------------


@step(on_failure=alerter_failure_hook, enable_cache=False)
def evaluate(accuracy: float) -> float:
    if accuracy < 0.5:
        raise ValueError(f"accuracy {accuracy} is below 0.5")
    return accuracy


@pipeline(on_success=alerter_success_hook)
def evaluation(accuracy: float) -> None:
    evaluate(accuracy)


def test_the_alerter_hooks_post_the_pipeline_run_step_and_error_through_the_stack_s_alerter(
    recorded: Callable[..., Callable[[], list[str]]],
) -> None:
    read = recorded()
    run = evaluation(accuracy=0.9)
    assert read() == [
        "tracker prepare evaluate untracked PID",
        "alerts prepare evaluate untracked PID",
        f"alerts post Step 'evaluate' of run {run.name!r} of pipeline 'evaluation' succeeded",
        "alerts cleanup evaluate failed=False PID",
        "tracker cleanup evaluate failed=False PID",
    ]

    with pytest.raises(PipelineRunError) as raised:
        evaluation(accuracy=0.2)
    failed = raised.value.run
    posts = [line for line in read() if " post " in line]
    assert posts[1] == (
        f"alerts post Step 'evaluate' of run {failed.name!r} of pipeline 'evaluation' failed: "
        "ValueError: accuracy 0.2 is below 0.5"
    )
    assert posts[2].startswith(f"alerts post Run {failed.name!r} of pipeline 'evaluation' failed")


def test_an_alerter_hook_on_a_stack_without_an_alerter_is_one_warning() -> None:
    with pytest.warns(UserWarning) as caught:
        run = evaluation(accuracy=0.9)
    assert run.status.value == "completed"
    assert [str(w.message) for w in caught] == [
        "alerter_success_hook of step 'evaluate' has nothing to post to: stack 'default' has no "
        "alerter (add one with 'runstack stack update default --alerter NAME')"
    ]


def record(what: str) -> None:
    note(f"{what} {get_step_context().step_name}")


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_any_callable_may_be_a_hook(mode: str, notes: Callable[[], list[str]]) -> None:
    @pipeline(
        on_success=functools.partial(record, "partial"),
        settings={"orchestrator": {"mode": mode}},
        enable_cache=False,
    )
    def partial_hook() -> None:
        my_successful_step.with_options(on_success=None)()

    partial_hook()
    assert notes() == ["partial my_successful_step"]
