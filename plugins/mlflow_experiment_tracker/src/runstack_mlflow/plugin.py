"""The module runstack loads through the `runstack` entry point: it only declares the flavor.

It imports nothing heavy (not MLflow, not even the config model): the config and the tracker
are named by their import paths and loaded when a command needs them; MLflow itself only
when a step that opted in runs.
"""

from __future__ import annotations

from runstack import hookimpl
from runstack.component_types import ComponentType
from runstack.flavors import Flavor, FlavorRegistrar


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    register(
        Flavor(
            name="mlflow",
            component_type=ComponentType.EXPERIMENT_TRACKER,
            config_class="runstack_mlflow.config:MlflowExperimentTrackerConfig",
            implementation="runstack_mlflow.tracker:MlflowExperimentTracker",
            description="Runs each step that opts in inside an MLflow run, where it logs metrics.",
        )
    )
