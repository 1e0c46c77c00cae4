"""ZenML's iris/SVC example runs without a "no materializer" warning: pandas Series and
scikit-learn estimators have materializers (issue 14)."""

from __future__ import annotations

import warnings
from typing import Annotated

import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from runstack import Client, pipeline, step
from runstack.materializers import MaterializerWarning


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
