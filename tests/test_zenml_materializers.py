"""ZenML's iris/SVC example runs without a "no materializer" warning (pandas Series and
scikit-learn estimators have materializers), and `output_materializers=` on `@step` and
`with_options` picks the materializer of an output, as ZenML takes it (issue 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import pytest
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from runstack import BaseArtifactStore, Client, pipeline, step
from runstack.errors import ConfigError
from runstack.materializers import Materializer, MaterializerWarning


@step
def training_data_loader() -> tuple[
    Annotated[pd.DataFrame, "X_train"],
    Annotated[pd.DataFrame, "X_test"],
    Annotated[pd.Series, "y_train"],
    Annotated[pd.Series, "y_test"],
]:
    """Load the iris dataset as a tuple of Pandas DataFrame / Series."""
    iris = load_iris(as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        iris.data, iris.target, test_size=0.2, shuffle=True, random_state=42
    )
    return X_train, X_test, y_train, y_test


@step
def svc_trainer(
    X_train: pd.DataFrame,
    y_train: pd.Series,
    gamma: float = 0.001,
) -> tuple[Annotated[ClassifierMixin, "trained_model"], Annotated[float, "training_acc"]]:
    """Train a sklearn SVC classifier."""
    model = SVC(gamma=gamma)
    model.fit(X_train.to_numpy(), y_train.to_numpy())
    train_acc = model.score(X_train.to_numpy(), y_train.to_numpy())
    return model, train_acc


@pipeline
def training_pipeline(gamma: float = 0.002) -> None:
    X_train, _X_test, y_train, _y_test = training_data_loader()
    svc_trainer(gamma=gamma, X_train=X_train, y_train=y_train)


def test_zenmls_iris_example_runs_without_pickling_warnings_and_caches() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", MaterializerWarning)
        first = training_pipeline()
        second = training_pipeline()

    run = Client().get_pipeline_run(second.id)
    assert {name: s.status.value for name, s in run.steps.items()} == {
        "training_data_loader": "cached",
        "svc_trainer": "cached",
    }
    loader = run.steps["training_data_loader"].outputs
    assert loader["y_train"].record.materializer == "pandas_series"
    y_test = loader["y_test"].load()
    assert y_test.name == "target"
    assert len(y_test) == 30
    trainer = Client().get_pipeline_run(first.id).steps["svc_trainer"].outputs
    assert trainer["trained_model"].record.materializer == "sklearn"
    model = trainer["trained_model"].load()
    x_train, y_train = loader["X_train"].load(), loader["y_train"].load()
    assert model.get_params()["gamma"] == 0.002
    assert model.score(x_train.to_numpy(), y_train.to_numpy()) == trainer["training_acc"].load()


class CsvLinesMaterializer(Materializer):
    """A list of strings as one line each: what a user's own materializer looks like."""

    name = "csv_lines"

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        with store.open(f"{uri}/lines.txt", "wb") as stream:
            stream.write("\n".join(value).encode("utf-8"))

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        with store.open(f"{uri}/lines.txt", "rb") as stream:
            return stream.read().decode("utf-8").split("\n")


@step(output_materializers=CsvLinesMaterializer)
def header() -> list[str]:
    return ["sepal_length", "sepal_width"]


@step
def counts() -> tuple[Annotated[list[str], "names"], Annotated[dict[str, int], "sizes"]]:
    return ["a", "b"], {"a": 1, "b": 2}


@step
def joined(names: list[str]) -> str:
    return ",".join(names)


@pipeline
def materialized() -> None:
    header()
    names, _ = counts.with_options(output_materializers={"names": CsvLinesMaterializer})()
    joined(names)


def test_output_materializers_choose_how_outputs_are_saved_and_loaded() -> None:
    materialized()
    run = materialized()

    assert run.steps["header"].cached and run.steps["counts"].cached
    first = Client().get_pipeline_run(materialized.last_run.id)
    chosen = f"{__name__}:CsvLinesMaterializer"
    header_output = first.steps["header"].outputs["output"]
    assert header_output.record.materializer == chosen
    assert header_output.load() == ["sepal_length", "sepal_width"]
    assert sorted(header_output.record.files) == ["lines.txt"]
    assert first.steps["counts"].outputs["names"].record.materializer == chosen
    assert first.steps["counts"].outputs["sizes"].record.materializer == "json"
    assert first.steps["joined"].outputs["output"].load() == "a,b"


def test_choosing_another_materializer_reruns_the_step() -> None:
    @pipeline(name="lines")
    def chosen() -> None:
        header()

    @pipeline(name="lines")
    def plain() -> None:
        header.with_options(output_materializers={})()

    chosen()
    run = plain()
    step_run = run.steps["header"]
    assert step_run.record.reason == "output materializer changed"
    assert step_run.outputs["output"].record.materializer == "json"
    assert step_run.outputs["output"].load() == ["sepal_length", "sepal_width"]


@pytest.mark.parametrize(
    ("chosen", "says"),
    [
        ({"labels": CsvLinesMaterializer}, "output_materializers names output 'labels', which"),
        (dict, "takes runstack Materializer subclasses (from runstack.materializers), got"),
    ],
    ids=["unknown-output", "not-a-materializer"],
)
def test_a_wrong_output_materializer_is_refused_when_the_step_is_declared(
    chosen: Any, says: str
) -> None:
    with pytest.raises(ConfigError, match=r"^step 'header': ") as raised:
        header.with_options(output_materializers=chosen)
    assert says in str(raised.value)


def test_an_artifact_whose_chosen_materializer_no_longer_imports_says_so(
    write_module: Callable[..., Path], cli_ok: Callable[..., str]
) -> None:
    flow = write_module(
        """
        from runstack.materializers import Materializer

        class Lines(Materializer):
            name = "lines"

            def save(self, value, store, uri):
                with store.open(f"{uri}/lines.txt", "wb") as stream:
                    stream.write("\\n".join(value).encode())

            def load(self, store, uri, type_name):
                with store.open(f"{uri}/lines.txt", "rb") as stream:
                    return stream.read().decode().split("\\n")

        @step(output_materializers=Lines)
        def make() -> list[str]:
            return ["a", "b"]

        @pipeline
        def flow() -> None:
            make()
        """,
        name="lines_flow",
    )
    cli_ok("pipeline", "run", f"{flow}:flow")
    artifact = Client().get_pipeline("flow").last_run.steps["make"].outputs["output"]
    assert artifact.record.materializer == "lines_flow:Lines"

    def load_elsewhere(**env: str) -> subprocess.CompletedProcess[str]:
        runstack = "from runstack.cli.main import main; main()"
        command = [sys.executable, "-c", runstack, "artifact", "load", artifact.id]
        environment = {**os.environ, **env}
        return subprocess.run(command, capture_output=True, text=True, env=environment)

    missing = load_elsewhere()
    assert missing.returncode == 1
    assert missing.stderr == (
        "Error: cannot import materializer 'lines_flow:Lines', which a step chose with "
        "output_materializers= to save this artifact; run where module 'lines_flow' imports "
        "(its folder on PYTHONPATH), or install the package that defines it\n"
    )
    found = load_elsewhere(PYTHONPATH=str(flow.parent))
    assert json.loads(found.stdout) == ["a", "b"], found.stderr
