"""Step caching: what is reused, what reruns and why, and that reuse copies nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from pipeline_helpers import artifact_path, output_ids, reasons, statuses
from runstack import Client
from runstack.history.results import PipelineRun
from runstack.pipelines.runner import PipelineRunError
from runstack.testing import parse_table

FLOW = """
@step
def load(n: int = 3) -> list[int]:
    return list(range(n))


@step
def train(values: list[int], rate: float = 0.5) -> float:
    return sum(values) * rate


@step
def report(score: float) -> str:
    return f"score {score}"


@step
def audit(n: int = 1) -> int:
    return n


@pipeline
def flow(rate: float = 0.5) -> None:
    report(train(load(), rate=rate))
    audit()
"""

TRAIN_CHANGED = FLOW.replace("sum(values) * rate", "sum(values) * rate * 2")
ALL_STEPS = ("load", "train", "report", "audit")

ImportFlow = Callable[[str], ModuleType]


@pytest.fixture
def first_run(import_module: ImportFlow) -> PipelineRun:
    """The first run of `flow`, against which later runs are compared."""
    run: PipelineRun = import_module(FLOW).flow()
    return run


def cached_from(run: PipelineRun, *names: str) -> dict[str, str]:
    return {name: f"cached from run {run.name}" for name in names}


def test_the_first_run_has_no_earlier_run_and_the_second_reuses_every_step(
    first_run: PipelineRun, import_module: ImportFlow, capsys: pytest.CaptureFixture[str]
) -> None:
    assert reasons(first_run) == dict.fromkeys(ALL_STEPS, "no earlier run")
    capsys.readouterr()
    second = import_module(FLOW).flow()
    assert statuses(second) == dict.fromkeys(ALL_STEPS, "cached")
    assert reasons(second) == cached_from(first_run, *ALL_STEPS)
    assert all(step_run.cached for step_run in second.steps.values())
    assert f"  ↺ train cached (from run {first_run.name})" in capsys.readouterr().out


def test_reused_outputs_are_the_same_artifacts_not_copies(
    first_run: PipelineRun, import_module: ImportFlow
) -> None:
    second = import_module(FLOW).flow()
    assert output_ids(second) == output_ids(first_run)
    reused = second.steps["train"].outputs["output"]
    assert reused.uri == f"flow/{first_run.id}/train/output"
    assert reused.load() == 1.5
    store_root = artifact_path(reused).parents[2]
    assert sorted(path.name for path in store_root.iterdir()) == [first_run.id]
    assert len(Client().artifacts.list()) == 4


def rerun_with_code_change(import_module: ImportFlow, tmp_path: Path) -> PipelineRun:
    run: PipelineRun = import_module(TRAIN_CHANGED).flow()
    return run


def rerun_with_pipeline_parameter(import_module: ImportFlow, tmp_path: Path) -> PipelineRun:
    run: PipelineRun = import_module(FLOW).flow(rate=0.25)
    return run


def rerun_with_run_config_parameter(import_module: ImportFlow, tmp_path: Path) -> PipelineRun:
    config = tmp_path / "run.toml"
    config.write_text("[parameters]\nrate = 0.25\n", encoding="utf-8")
    run: PipelineRun = import_module(FLOW).flow.with_options(config_path=config)()
    return run


@pytest.mark.parametrize(
    ("rerun", "reason"),
    [
        pytest.param(rerun_with_code_change, "code changed", id="code"),
        pytest.param(
            rerun_with_pipeline_parameter,
            "parameter changed: rate 0.5 -> 0.25",
            id="pipeline-parameter",
        ),
        pytest.param(
            rerun_with_run_config_parameter, "parameter changed: rate 0.5 -> 0.25", id="run-config"
        ),
    ],
)
def test_a_change_to_one_step_reruns_it_and_its_downstream_only(
    first_run: PipelineRun,
    import_module: ImportFlow,
    tmp_path: Path,
    rerun: Callable[[ImportFlow, Path], PipelineRun],
    reason: str,
) -> None:
    second = rerun(import_module, tmp_path)
    assert statuses(second) == {
        "load": "cached",
        "train": "completed",
        "report": "completed",
        "audit": "cached",
    }
    assert reasons(second) == {
        **cached_from(first_run, "load", "audit"),
        "train": reason,
        "report": "input changed: score",
    }
    third = rerun(import_module, tmp_path)
    assert reasons(third) == {
        **cached_from(first_run, "load", "audit"),
        **cached_from(second, "train", "report"),
    }


def test_run_describe_says_why_each_step_ran(
    first_run: PipelineRun, import_module: ImportFlow, cli_ok: Callable[..., str]
) -> None:
    second = import_module(TRAIN_CHANGED).flow()
    rows = parse_table(cli_ok("run", "describe", second.name))
    assert {row["STEP"]: (row["STATUS"], row["WHY"]) for row in rows} == {
        "load": ("cached", f"cached from run {first_run.name}"),
        "train": ("completed", "code changed"),
        "report": ("completed", "input changed: score"),
        "audit": ("cached", f"cached from run {first_run.name}"),
    }


@pytest.mark.parametrize(
    ("source", "options", "config", "disabled"),
    [
        pytest.param(FLOW, {"enable_cache": False}, "", ALL_STEPS, id="pipeline-options"),
        pytest.param(FLOW, {}, "enable_cache = false\n", ALL_STEPS, id="run-config"),
        pytest.param(
            FLOW, {}, "[steps.train]\nenable_cache = false\n", ("train",), id="run-config-step"
        ),
        pytest.param(
            FLOW.replace("@step\ndef train", "@step(enable_cache=False)\ndef train"),
            {},
            "",
            ("train",),
            id="step-decorator",
        ),
    ],
)
def test_disabled_caching_reruns_the_step_and_says_so(
    first_run: PipelineRun,
    import_module: ImportFlow,
    tmp_path: Path,
    source: str,
    options: dict[str, bool],
    config: str,
    disabled: tuple[str, ...],
) -> None:
    config_path = tmp_path / "run.toml"
    config_path.write_text(config, encoding="utf-8")
    second = import_module(source).flow.with_options(config_path=config_path, **options)()
    assert {name: reason for name, reason in reasons(second).items() if name in disabled} == (
        dict.fromkeys(disabled, "caching disabled")
    )
    assert all(statuses(second)[name] == "completed" for name in disabled)
    if "load" not in disabled:
        assert statuses(second)["load"] == "cached"


def test_a_missing_cached_artifact_makes_the_step_run_again(
    first_run: PipelineRun, import_module: ImportFlow
) -> None:
    shutil.rmtree(artifact_path(first_run.steps["load"].outputs["output"]))
    second = import_module(FLOW).flow()
    assert reasons(second) == {
        "load": "cached artifact missing",
        "train": "input changed: values",
        "report": "input changed: score",
        "audit": f"cached from run {first_run.name}",
    }
    rebuilt = second.steps["load"].outputs["output"]
    assert rebuilt.uri == f"flow/{second.id}/load/output"
    assert rebuilt.load() == [0, 1, 2]


def test_a_failed_step_is_never_reused(import_module: ImportFlow, tmp_path: Path) -> None:
    marker = tmp_path / "fail"
    marker.touch()
    source = f"""
    from pathlib import Path

    @step
    def fragile() -> int:
        if Path({str(marker)!r}).exists():
            raise RuntimeError("not yet")
        return 1

    @pipeline
    def once() -> None:
        fragile()
    """
    module = import_module(source)
    with pytest.raises(PipelineRunError, match="not yet"):
        module.once()
    marker.unlink()
    assert reasons(module.once()) == {"fragile": "no earlier run"}


TWINS = """
import time
from pathlib import Path

from runstack import get_step_context

GATE = Path({gate!r})


@step
def fit(n: int) -> int:
    # The twins run at once, and the first call finishes last, whatever the machine.
    me = get_step_context().step_name
    (GATE / me).touch()
    if me == "fit":
        while not (GATE / "fit_2 returns").exists():
            time.sleep(0.01)
        time.sleep(0.2)
    else:
        while not (GATE / "fit").exists():
            time.sleep(0.01)
        (GATE / "fit_2 returns").touch()
    return n


@step
def widen(model: int) -> int:
    return model * 2


@step
def score(model: int, weight: int) -> int:
    return model * weight


@pipeline
def twins() -> None:
    score(widen(fit(1)), weight=1)
    score(widen(fit(1)), weight=2)
"""


def test_twin_branches_each_reuse_their_own_outputs_so_the_whole_rerun_is_cached(
    import_module: ImportFlow, tmp_path: Path
) -> None:
    """fit and fit_2 share a cache key; the steps after each must find their own keys again."""
    flow = import_module(TWINS.format(gate=str(tmp_path)))
    first = flow.twins()
    assert statuses(first)["fit_2"] == "completed"
    second = flow.twins()
    assert statuses(second) == dict.fromkeys(first.steps, "cached")
    assert output_ids(second) == output_ids(first)
