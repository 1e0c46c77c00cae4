"""The quickstart: a small but real ML pipeline, numpy only.

It generates a dataset, splits it, trains a logistic regression by gradient
descent, evaluates it and reports the accuracy. Every output is written to the
active stack's artifact store and read back from there by the next step.

    runstack pipeline run examples/quickstart/pipeline.py:quickstart
    python examples/quickstart/pipeline.py
"""

from __future__ import annotations

from typing import Annotated

import numpy as np

from runstack import pipeline, step


@step
def make_dataset(
    samples: int = 4000, features: int = 10, seed: int = 7
) -> tuple[Annotated[np.ndarray, "features"], Annotated[np.ndarray, "labels"]]:
    """Points around a random hyperplane, labelled by the side they fall on (with noise)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, features))
    true_weights = rng.normal(size=features)
    noise = rng.normal(scale=0.5, size=samples)
    y = ((x @ true_weights + noise) > 0).astype(np.float64)
    return x, y


@step
def split(
    features: np.ndarray, labels: np.ndarray, test_fraction: float = 0.2, seed: int = 7
) -> tuple[
    Annotated[np.ndarray, "x_train"],
    Annotated[np.ndarray, "x_test"],
    Annotated[np.ndarray, "y_train"],
    Annotated[np.ndarray, "y_test"],
]:
    """A shuffled train/test split."""
    order = np.random.default_rng(seed).permutation(len(labels))
    cut = int(len(labels) * (1 - test_fraction))
    train_rows, test_rows = order[:cut], order[cut:]
    return features[train_rows], features[test_rows], labels[train_rows], labels[test_rows]


def _with_bias(x: np.ndarray) -> np.ndarray:
    return np.hstack([x, np.ones((len(x), 1))])


@step
def train(
    x_train: np.ndarray, y_train: np.ndarray, learning_rate: float = 0.5, epochs: int = 400
) -> Annotated[np.ndarray, "weights"]:
    """Logistic regression fitted by full-batch gradient descent on the log loss."""
    x = _with_bias(x_train)
    weights = np.zeros(x.shape[1])
    for epoch in range(epochs):
        predictions = 1.0 / (1.0 + np.exp(-(x @ weights)))
        gradient = x.T @ (predictions - y_train) / len(y_train)
        weights -= learning_rate * gradient
        if epoch % 100 == 0:
            loss = -np.mean(
                y_train * np.log(predictions + 1e-12)
                + (1 - y_train) * np.log(1 - predictions + 1e-12)
            )
            print(f"epoch {epoch}: log loss {loss:.4f}")
    return weights


@step
def evaluate(
    weights: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> Annotated[float, "accuracy"]:
    """The share of test points on the right side of the learned boundary."""
    predicted = (_with_bias(x_test) @ weights) > 0
    return float(np.mean(predicted == (y_test > 0.5)))


@step
def report(accuracy: float) -> None:
    print(f"Test accuracy: {accuracy:.1%}")


@pipeline
def quickstart(learning_rate: float = 0.5, epochs: int = 400) -> None:
    features, labels = make_dataset()
    x_train, x_test, y_train, y_test = split(features, labels)
    weights = train(x_train, y_train, learning_rate=learning_rate, epochs=epochs)
    accuracy = evaluate(weights, x_test, y_test)
    report(accuracy)


if __name__ == "__main__":
    run = quickstart()
    print("accuracy:", run.steps["evaluate"].outputs["accuracy"].load())
