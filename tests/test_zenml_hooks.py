"""ZenML's smaller names: `get_logger`, `my_step.entrypoint`, `configure`,
`retry=StepRetryConfig(...)` (issue 14)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import runstack.logger
from runstack import StepRetryConfig, get_logger, pipeline, step
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


def test_a_step_retry_config_sets_the_retries_their_delay_and_its_backoff(tmp_path: Path) -> None:
    @step(retry=StepRetryConfig(max_retries=2, delay=0.01, backoff=3))
    def flaky(tries: str) -> int:
        count = Path(tries)
        attempt = int(count.read_text()) + 1 if count.exists() else 1
        count.write_text(str(attempt))
        raise ConnectionError(f"attempt {attempt} failed")

    @pipeline
    def retried() -> None:
        flaky(str(tmp_path / "tries"))

    with pytest.raises(PipelineRunError, match="attempt 3 failed") as raised:
        retried()
    flaky_run = raised.value.run.steps["flaky"]
    assert flaky_run.record.attempts == 3
    assert "retrying in 0.01s" in flaky_run.logs
    assert "retrying in 0.03s" in flaky_run.logs  # delay x backoff


@pytest.mark.parametrize(
    ("options", "said"),
    [
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
def test_a_step_option_that_cannot_work_is_refused_when_declared(
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
