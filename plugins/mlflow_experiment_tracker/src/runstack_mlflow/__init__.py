"""runstack's `mlflow` experiment tracker flavor: steps that opt in run inside an MLflow run."""

from __future__ import annotations

__version__ = "0.1.0"
