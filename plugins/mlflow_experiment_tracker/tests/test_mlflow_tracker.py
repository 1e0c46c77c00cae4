"""The mlflow tracker on real MLflow: pipelines on a stack with it (threads and processes), read
back through MLflow's own client from a SQLite store and from a real `mlflow server`."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runstack import Client, PipelineRun, get_step_context, pipeline, step
from runstack.pipelines.runner import PipelineRunError
from runstack.testing import (
    assert_flavor_contract,
    assert_step_component_contract,
    imported_by_command,
)
from runstack_mlflow.plugin import register_flavors

if TYPE_CHECKING:
    from click.testing import Result
    from mlflow.entities import Run

RunCli = Callable[..., "Result"]


@step(enable_cache=False, experiment_tracker=True)
def train(learning_rate: float = 0.5) -> float:
    import mlflow

    mlflow.log_param("learning_rate", learning_rate)
    for epoch in range(3):
        mlflow.log_metric("loss", 1 / (epoch + 1), step=epoch)
    return 0.25


@step(enable_cache=False, experiment_tracker=True)
def evaluate(loss: float) -> None:
    import mlflow

    mlflow.log_metric("partial", loss)
    raise ValueError("the test set is missing")


@step(enable_cache=False)
def report(loss: float) -> str:
    return f"loss {loss} ({get_step_context().step_name}, tracked: no)"


def tracked_stack(**config: Any) -> None:
    """A stack `tracked` (made active) of the defaults and an mlflow tracker with `config`."""
    client = Client()
    client.register_component("experiment_tracker", "mlflow", "mlflow", config)
    client.register_stack(
        "tracked",
        {"orchestrator": "default", "artifact_store": "default", "experiment_tracker": "mlflow"},
    )
    client.set_active_stack("tracked")


def mlflow_runs(uri: str, run: PipelineRun) -> dict[str, Run]:
    """The MLflow runs of a runstack run, by runstack step, read with MLflow's own client."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    found = client.search_runs(experiments, f"tags.`runstack.run_id` = '{run.record.id}'")
    return {r.data.tags["runstack.step"]: r for r in found}


def test_flavor_meets_the_contract() -> None:
    flavors: list[Any] = []
    register_flavors(register=flavors.append)
    [flavor] = flavors
    assert (flavor.component_type.value, flavor.name) == ("experiment_tracker", "mlflow")
    assert_flavor_contract(flavor)


def test_tracker_meets_the_step_component_contract(tracking_uri: str) -> None:
    client = Client()
    component = client.register_component(
        "experiment_tracker", "contract", "mlflow", {"tracking_uri": tracking_uri}
    )
    assert_step_component_contract(client.build_component(component), "experiment_tracker")


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_a_tracked_step_logs_to_its_own_mlflow_run(tracking_uri: str, mode: str) -> None:
    tracked_stack(tracking_uri=tracking_uri, tags={"team": "nlp"})

    @pipeline(settings={"orchestrator": {"mode": mode}})
    def training() -> None:
        report(train(learning_rate=0.1))

    run = training()
    runs = mlflow_runs(tracking_uri, run)
    assert list(runs) == ["train"], "a step that did not opt in starts no MLflow run"
    tracked = runs["train"]
    assert tracked.info.run_name == f"{run.name}::train"
    assert tracked.info.status == "FINISHED"
    assert tracked.data.params == {"learning_rate": "0.1"}
    assert tracked.data.metrics == {"loss": pytest.approx(1 / 3)}
    step_runs = run.steps
    assert {
        key: value for key, value in tracked.data.tags.items() if not key.startswith("mlflow.")
    } == {
        "team": "nlp",
        "runstack.run_id": run.record.id,
        "runstack.run_name": run.name,
        "runstack.step_run_id": step_runs["train"].record.id,
        "runstack.pipeline": "training",
        "runstack.step": "train",
    }
    from mlflow import MlflowClient

    history = MlflowClient(tracking_uri).get_metric_history(tracked.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    experiment = MlflowClient(tracking_uri).get_experiment(tracked.info.experiment_id)
    assert experiment.name == "training", "the experiment defaults to the pipeline's name"
    assert step_runs["train"].record.metadata == {
        "mlflow_run_id": tracked.info.run_id,
        "mlflow_experiment_id": tracked.info.experiment_id,
        "mlflow_tracking_uri": tracking_uri,
    }
    assert step_runs["report"].record.metadata == {}


def test_a_failed_step_s_mlflow_run_is_failed_and_run_describe_names_it(
    tracking_uri: str, run_cli: RunCli
) -> None:
    tracked_stack(tracking_uri=tracking_uri, experiment_name="failures")

    @pipeline
    def failing() -> None:
        evaluate(train())

    with pytest.raises(PipelineRunError, match="the test set is missing"):
        failing()
    run = Client().runs.list()[0]
    runs = mlflow_runs(tracking_uri, Client().runs.get(run.id))
    assert {step: r.info.status for step, r in runs.items()} == {
        "train": "FINISHED",
        "evaluate": "FAILED",
    }
    assert runs["evaluate"].data.metrics == {"partial": 0.25}
    described = run_cli("run", "describe", run.name)
    assert described.exit_code == 0, described.output
    for step_name in ("train", "evaluate"):
        assert (
            f"Step '{step_name}' recorded:\n"
            f"  mlflow_run_id:        {runs[step_name].info.run_id}\n"
            f"  mlflow_experiment_id: {runs[step_name].info.experiment_id}\n"
            f"  mlflow_tracking_uri:  {tracking_uri}\n"
        ) in described.stdout


def test_the_default_tracking_store_is_sqlite_under_the_runstack_home(
    runstack_home: Path,
) -> None:
    """Made by the first tracked steps, here two starting at once in two worker processes."""
    tracked_stack()

    @pipeline(settings={"orchestrator": {"mode": "processes", "max_parallel": 2}})
    def homely() -> None:
        train(learning_rate=0.1)
        train(learning_rate=0.2)

    run = homely()
    uri = f"sqlite:///{runstack_home / 'mlflow' / 'mlflow.db'}"
    assert run.steps["train"].record.metadata["mlflow_tracking_uri"] == uri
    runs = mlflow_runs(uri, run)
    assert {step: r.data.params["learning_rate"] for step, r in runs.items()} == {
        "train": "0.1",
        "train_2": "0.2",
    }


def test_on_an_mlflow_server_with_a_token_that_describe_masks(
    mlflow_server: str, run_cli: RunCli
) -> None:
    tracked_stack(
        tracking_uri=mlflow_server, experiment_name="on-server", tracking_token="s3cr3t-token"
    )
    described = run_cli("experiment-tracker", "describe", "mlflow")
    assert described.exit_code == 0, described.output
    assert "**********" in described.stdout
    assert "s3cr3t-token" not in described.stdout

    @pipeline(settings={"orchestrator": {"mode": "processes"}})
    def served() -> None:
        report(train(learning_rate=0.2))

    run = served()
    runs = mlflow_runs(mlflow_server, run)
    assert list(runs) == ["train"]
    assert runs["train"].data.metrics == {"loss": pytest.approx(1 / 3)}
    assert runs["train"].data.params == {"learning_rate": "0.2"}
    metadata = run.steps["train"].record.metadata
    assert metadata["mlflow_tracking_uri"] == mlflow_server
    assert metadata["mlflow_run_url"] == (
        f"{mlflow_server}/#/experiments/{runs['train'].info.experiment_id}"
        f"/runs/{runs['train'].info.run_id}"
    )


def test_a_tracking_uri_mlflow_cannot_open_is_refused_at_registration(run_cli: RunCli) -> None:
    result = run_cli(
        "experiment-tracker", "register", "bad", "--flavor=mlflow", "--tracking_uri=htp://x:5000"
    )
    assert result.exit_code != 0
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert "'htp://x:5000' is not a tracking URI MLflow opens" in line
    assert "bad" not in run_cli("experiment-tracker", "list").stdout


def test_a_relative_sqlite_file_is_made_absolute_at_registration(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(
        "experiment-tracker", "register", "here", "--flavor=mlflow", "--tracking_uri=sqlite:///m.db"
    )
    assert result.exit_code == 0, result.output
    stored = f"sqlite:///{tmp_path / 'm.db'}"
    assert stored in result.stdout
    assert Client().get_component("experiment_tracker", "here").config["tracking_uri"] == stored


def test_an_unreachable_server_fails_the_step_in_one_line_naming_the_tracker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens there
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # MLflow's own setting
    tracked_stack(tracking_uri=address)

    @pipeline
    def unreachable() -> None:
        train()

    with pytest.raises(PipelineRunError):
        unreachable()
    error = Client().runs.get(Client().runs.list()[0].id).steps["train"].record.error
    expected = (
        "step 'train': experiment tracker 'mlflow' failed to prepare it: MlflowTrackingError: "
        f"MLflow at {address}: API request to {address}/api/2.0/mlflow/experiments/get-by-name"
    )
    assert expected in error
    assert len([line for line in error.splitlines() if "failed to prepare" in line]) == 1


def test_mlflow_is_imported_only_when_a_tracked_step_runs(
    tmp_path: Path, tracking_uri: str
) -> None:
    tracked_stack(tracking_uri=tracking_uri)
    flow = tmp_path / "flow.py"
    flow.write_text(
        "from runstack import pipeline, step\n\n"
        "@step(enable_cache=False)\n"
        "def plain() -> int:\n"
        "    return 1\n\n"
        "@pipeline\n"
        "def untracked() -> None:\n"
        "    plain()\n",
        encoding="utf-8",
    )
    for command in (
        ["stack", "list"],
        ["stack", "describe"],
        ["pipeline", "run", f"{flow}:untracked"],
    ):
        assert imported_by_command(command, ["mlflow"]) == [], command
