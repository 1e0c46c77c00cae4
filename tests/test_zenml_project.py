"""A ZenML project, written as ZenML's docs write one and importing from `zenml`, converted with
docs/zenml.md's one `sed` line and nothing else, then run twice as a script: it gives the
results ZenML's docs promise, and the second run is cached (issue 14's "done when")."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runstack import Client, ModelStages
from runstack.testing import imported_by_command
from test_zenml_page import sed_line

PROJECT = '''
from typing import Annotated, Tuple

import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from zenml import ArtifactConfig, Model, get_step_context, log_metadata, pipeline, step
from zenml.client import Client
from zenml.config.retry_config import StepRetryConfig
from zenml.logger import get_logger

logger = get_logger(__name__)


def notify_on_failure(exception: BaseException) -> None:
    logger.error(f"step failed: {exception}")


@step
def training_data_loader() -> Tuple[
    Annotated[pd.DataFrame, "X_train"],
    Annotated[pd.DataFrame, "X_test"],
    Annotated[pd.Series, "y_train"],
    Annotated[pd.Series, "y_test"],
]:
    """Load the iris dataset as a tuple of pandas DataFrames / Series."""
    logger.info("Loading iris...")
    iris = load_iris(as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        iris.data, iris.target, test_size=0.2, shuffle=True, random_state=42
    )
    return X_train, X_test, y_train, y_test


@step(on_failure=notify_on_failure, retry=StepRetryConfig(max_retries=2, delay=0))
def svc_trainer(
    X_train: pd.DataFrame,
    y_train: pd.Series,
    gamma: float = 0.001,
) -> Tuple[
    Annotated[ClassifierMixin, ArtifactConfig(name="trained_model", tags=["svc"])],
    Annotated[float, "training_acc"],
]:
    """Train a sklearn SVC classifier."""
    model = SVC(gamma=gamma)
    model.fit(X_train.to_numpy(), y_train.to_numpy())
    train_acc = model.score(X_train.to_numpy(), y_train.to_numpy())
    log_metadata(metadata={"train_accuracy": float(train_acc)})
    print(f"Train accuracy: {train_acc} (model {get_step_context().model.name})")
    return model, train_acc


@step
def evaluator(model: ClassifierMixin, X_test: pd.DataFrame, y_test: pd.Series) -> float:
    accuracy = model.score(X_test.to_numpy(), y_test.to_numpy())
    log_metadata(metadata={"test_accuracy": float(accuracy)}, infer_artifact=True)
    return accuracy


@pipeline(model=Model(name="iris_classifier", tags=["sklearn"]))
def training_pipeline(gamma: float = 0.002):
    X_train, X_test, y_train, y_test = training_data_loader()
    model, _ = svc_trainer(gamma=gamma, X_train=X_train, y_train=y_train)
    evaluator(model=model, X_test=X_test, y_test=y_test)


if __name__ == "__main__":
    training_pipeline.with_options(config_path="config.yaml")()
    run = Client().get_pipeline("training_pipeline").last_run
    accuracy = run.steps["evaluator"].outputs["output"][0].load()
    model = Client().get_artifact_version("trained_model").load()
    print(f"accuracy {accuracy:.3f}, predicts {model.predict([[5.1, 3.5, 1.4, 0.2]])[0]}")
'''

CONFIG = """
enable_cache: True
run_name: "training_run_{date}_{time}"
parameters:
  gamma: 0.01
settings:
  docker:
    required_integrations:
      - sklearn
"""


@pytest.fixture
def converted(tmp_path: Path) -> Path:
    """The project's folder once the page's `sed` line has converted its imports."""
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(PROJECT), encoding="utf-8")
    (tmp_path / "config.yaml").write_text(CONFIG, encoding="utf-8")
    subprocess.run(["bash", "-c", f"{sed_line()} {script}"], check=True)
    return tmp_path


def run_script(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "run.py"], cwd=folder, capture_output=True, text=True, check=False
    )


def test_a_zenml_project_runs_with_its_imports_converted_and_caches_the_second_time(
    converted: Path,
) -> None:
    script = (converted / "run.py").read_text()
    assert "zenml" not in script
    assert "from runstack import Client" in script

    first, second = run_script(converted), run_script(converted)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "accuracy 0.967, predicts 0" in first.stdout
    assert first.stdout.splitlines()[-1] == second.stdout.splitlines()[-1]
    warned = [line for line in first.stderr.splitlines() if "arn" in line]
    assert len(warned) == 1 and "settings.docker" in warned[0]  # no materializer warnings

    client = Client()
    latest, earlier = client.get_pipeline("training_pipeline").runs
    assert latest.name.startswith("training_run_")
    assert all(step.cached for step in latest.steps.values())
    assert not any(step.cached for step in earlier.steps.values())
    assert earlier.steps["svc_trainer"].record.parameters == {"gamma": 0.01}

    trained = client.get_artifact_version("trained_model")
    assert (trained.version, trained.tags) == ("1", ["svc"])
    assert [a.version for a in client.list_artifact_versions("trained_model")] == ["1"]
    assert latest.steps["svc_trainer"].run_metadata["train_accuracy"] > 0.9
    accuracy = latest.steps["evaluator"].outputs["output"]
    assert accuracy.run_metadata == {"test_accuracy": pytest.approx(29 / 30)}

    version = client.get_model_version("iris_classifier", ModelStages.LATEST)
    assert version.number == 2
    assert version.get_artifact("trained_model").id == trained.id
    version.set_stage("production")
    assert client.get_model_version("iris_classifier", "production").number == 2


def test_a_pipeline_using_none_of_zenml_s_extras_loads_none_of_them(tmp_path: Path) -> None:
    """Hooks, retry configs, artifact configs and models cost a run's start-up when loaded."""
    plain = tmp_path / "plain.py"
    plain.write_text(
        textwrap.dedent(
            """
            from typing import Annotated

            from runstack import pipeline, step


            @step(retries=1)
            def train() -> Annotated[int, "model"]:
                return 1


            @pipeline
            def training() -> None:
                train()
            """
        ),
        encoding="utf-8",
    )
    extras = {
        "runstack.pipelines.step_hooks",
        "runstack.pipelines.retry_config",
        "runstack.pipelines.artifact_config",
        "runstack.pipelines.models",
        "runstack.pipelines.metadata",
        "yaml",
        "sklearn",
    }
    assert imported_by_command(["pipeline", "run", f"{plain}:training"], extras) == []
