"""Run configs as ZenML users write them: YAML files with `parameters`, `steps.<name>.parameters`,
`enable_cache`, `settings`, `extra` and `run_name`, given with `with_options(config_path=...)` or
`--config`; sections runstack has no use for are ignored with one warning; a step parameter given
in code and in the config with another value is ZenML's conflict error (issue 14)."""

from __future__ import annotations

import re
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from runstack import Client, pipeline, step
from runstack.errors import ConfigError
from runstack.testing import imported_by_command


@step
def load_data(rows: int = 10) -> list[float]:
    return [float(i) for i in range(rows)]


@step(enable_cache=True)
def train_model(data: list[float], gamma: float = 0.001) -> float:
    return sum(data) * gamma


@step
def evaluate(model: float, threshold: float = 0.5) -> bool:
    return model > threshold


@pipeline
def training_pipeline(rows: int = 5) -> None:
    data = load_data(rows=rows)
    model = train_model(data)
    evaluate(model)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


ZENML_CONFIG = """\
    run_name: training_run_{date}_{time}
    enable_cache: True
    extra:
      team: forecasting
    parameters:
      rows: 20
    settings:
      docker:
        requirements:
          - scikit-learn
      resources:
        cpu_count: 2
      orchestrator:
        max_parallel: 1
    steps:
      train_model:
        parameters:
          gamma: 0.01
      evaluate:
        enable_cache: False
        parameters:
          threshold: 1.0
        settings:
          resources:
            memory: 1GB
    model:
      name: iris_classifier
    schedule:
      cron_expression: "0 * * * *"
    """


def test_a_zenml_yaml_config_sets_parameters_steps_caching_and_extra(tmp_path: Path) -> None:
    config = write(tmp_path / "config.yaml", ZENML_CONFIG)
    configured = training_pipeline.with_options(config_path=str(config))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = configured()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        second = configured()

    client = Client()
    for run in (client.get_pipeline_run(first.id), client.get_pipeline_run(second.id)):
        assert run.name.startswith("training_run_")
        assert run.record.parameters == {"rows": 20}
        assert run.steps["train_model"].record.parameters == {"gamma": 0.01}
        assert run.steps["train_model"].outputs["output"].load() == pytest.approx(1.9)
        assert run.steps["evaluate"].outputs["output"].load() is True
        assert run.record.config["extra"] == {"team": "forecasting"}
        assert run.record.config["steps"]["evaluate"]["enable_cache"] is False
    statuses = {
        name: s.status.value for name, s in client.get_pipeline_run(second.id).steps.items()
    }
    assert statuses == {"load_data": "cached", "train_model": "cached", "evaluate": "completed"}
    ignored = [str(w.message) for w in caught if "has no use for" in str(w.message)]
    assert ignored == [
        f"the run config {config}: runstack has no use for model, schedule, settings.docker, "
        "settings.resources, steps.evaluate.settings.resources; ignored"
    ]


def test_the_cli_takes_a_yaml_config_and_warns_in_one_line(
    run_cli: Callable[..., object], write_module: Callable[..., Path], tmp_path: Path
) -> None:
    flow = write_module(
        """
        @step
        def double(x: int = 1) -> int:
            return 2 * x

        @pipeline
        def flow() -> None:
            double()
        """
    )
    config = write(
        tmp_path / "run.yml",
        """\
        steps:
          double:
            parameters:
              x: 21
        settings:
          docker:
            parent_image: zenmldocker/zenml
        """,
    )
    result = run_cli("pipeline", "run", f"{flow}:flow", "--config", str(config))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert result.stderr.splitlines() == [  # type: ignore[attr-defined]
        f"Warning: the run config {config}: runstack has no use for settings.docker; ignored"
    ]
    run = Client().get_pipeline("flow").last_run
    assert run.steps["double"].outputs["output"].load() == 42


ONE_STEP_FLOW = """
@step
def one() -> int:
    return 1

@pipeline
def flow() -> None:
    one()
"""


def test_only_a_yaml_config_imports_the_yaml_parser(
    write_module: Callable[..., Path], tmp_path: Path
) -> None:
    flow = write_module(ONE_STEP_FLOW)
    toml = write(tmp_path / "run.toml", "enable_cache = false\n")
    yaml = write(tmp_path / "run.yaml", "enable_cache: false\n")
    run = ["pipeline", "run", f"{flow}:flow", "--config"]
    assert imported_by_command([*run, str(toml)], ["yaml"]) == []
    assert imported_by_command([*run, str(yaml)], ["yaml"]) == ["yaml"]


@pytest.mark.parametrize(
    "spelling", ["training_{date}_{time}", "training_{{date}}_{{time}}"], ids=["new", "older"]
)
def test_run_name_placeholders_in_both_zenml_spellings(tmp_path: Path, spelling: str) -> None:
    config = write(tmp_path / "config.yaml", f'run_name: "{spelling}"\n')
    run = training_pipeline.with_options(config_path=config)()
    assert re.fullmatch(r"training_\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d_\d{6}", run.name), run.name


CONFLICTING = {
    "yaml": "steps:\n  train_model:\n    parameters:\n      gamma: {gamma}\n",
    "toml": "[steps.train_model.parameters]\ngamma = {gamma}\n",
}


@pipeline
def tuned_pipeline() -> None:
    train_model(load_data(), gamma=0.5)


@pytest.mark.parametrize("suffix", ["yaml", "toml"])
def test_a_step_parameter_given_in_code_and_config_differently_is_zenmls_conflict(
    tmp_path: Path, suffix: str
) -> None:
    config = tmp_path / f"config.{suffix}"
    config.write_text(CONFLICTING[suffix].format(gamma=0.1), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        tuned_pipeline.with_options(config_path=config)()
    message = str(raised.value)
    assert message.startswith(
        "Configured parameter for the step 'train_model' conflict with parameter passed in "
        "runtime: `gamma`: config=`0.1` | runtime=`0.5`; set step parameters in one place"
    )
    assert "\n" not in message
    assert not Client().runs.list()

    config.write_text(CONFLICTING[suffix].format(gamma=0.5), encoding="utf-8")
    for _ in range(2):
        run = tuned_pipeline.with_options(config_path=config)()
    assert run.steps["train_model"].status.value == "cached"
    assert run.steps["train_model"].outputs["output"].load() == pytest.approx(22.5)


def test_a_config_may_set_a_parameter_the_call_left_to_its_default(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config.yaml", "steps:\n  load_data:\n    parameters:\n      rows: 3\n"
    )
    run = tuned_pipeline.with_options(config_path=config)()
    assert run.steps["load_data"].outputs["output"].load() == [0.0, 1.0, 2.0]


def test_sections_left_empty_are_as_good_as_absent(tmp_path: Path) -> None:
    config = write(tmp_path / "config.yaml", "parameters:\nextra:\nsteps:\n  load_data:\n")
    run = training_pipeline.with_options(config_path=config)()
    assert run.steps["train_model"].outputs["output"].load() == pytest.approx(0.01)


def test_zenmls_retry_table_gives_retries_and_their_delay(tmp_path: Path) -> None:
    @step
    def flaky(marker: str) -> int:
        path = Path(marker)
        if not path.exists():
            path.write_text("failed once", encoding="utf-8")
            raise RuntimeError("first attempt fails")
        return 1

    @pipeline
    def retried(marker: str) -> None:
        flaky(marker)

    config = write(
        tmp_path / "config.yaml",
        """\
        steps:
          flaky:
            retry:
              max_retries: 2
              delay: 0
              backoff: 3
        """,
    )
    with pytest.warns(UserWarning) as caught:
        run = retried.with_options(config_path=config)(marker=str(tmp_path / "marker"))
    assert run.steps["flaky"].record.attempts == 2
    assert run.record.config["steps"]["flaky"]["retries"] == 2
    assert [str(w.message) for w in caught] == [
        f"the run config {config}: runstack has no use for steps.flaky.retry.backoff (runstack "
        "doubles the delay after each attempt); ignored"
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("steps:\n  train_model:\n  parameters: [1\n", "is not valid YAML at line 4: "),
        ("- rows\n- 3\n", "must be a mapping of keys, got a list"),
        ("enable_cache: maybe\n", "enable_cache: Input should be a valid boolean"),
        ("enable_cach: false\n", "enable_cach: unknown key; valid top-level keys: run_name"),
        ("retry: 2\n", "retry: must be a table of max_retries, delay and backoff, got 2"),
    ],
    ids=["malformed", "not-a-mapping", "wrong-type", "typo", "retry-not-a-table"],
)
def test_a_bad_yaml_config_is_one_line_naming_the_file(
    cli_error: Callable[..., str],
    write_module: Callable[..., Path],
    tmp_path: Path,
    text: str,
    says: str,
) -> None:
    flow = write_module(ONE_STEP_FLOW)
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    message = cli_error("pipeline", "run", f"{flow}:flow", "--config", str(config))
    assert str(config) in message
    assert says in message, message
