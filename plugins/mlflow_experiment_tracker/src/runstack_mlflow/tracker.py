"""The `mlflow` experiment tracker: each step that opts in runs inside an MLflow run of its own.

The run is started in the step's own thread or process (`prepare_step_run`), so that
`mlflow.log_metric` in the step's code lands in it (MLflow keeps the active run per thread),
and ended there with the step's outcome. MLflow is imported only then: a stack with this
tracker costs nothing to the steps, and the commands, that do not use it.
"""

from __future__ import annotations

import os
import warnings
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from runstack.components import BaseExperimentTracker
from runstack.errors import RunstackError
from runstack.paths import runstack_home
from runstack_mlflow.config import MlflowExperimentTrackerConfig

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from runstack import StepContext

# What each config key becomes for MLflow's own client, which reads it from the environment.
_ENVIRONMENT = {
    "tracking_username": "MLFLOW_TRACKING_USERNAME",
    "tracking_password": "MLFLOW_TRACKING_PASSWORD",
    "tracking_token": "MLFLOW_TRACKING_TOKEN",
}


class MlflowTrackingError(RunstackError):
    """MLflow refused, or could not be reached, when a step's run was to start."""


class MlflowExperimentTracker(BaseExperimentTracker):
    """Opens an MLflow run named `<run name>::<step name>` around each step that opted in."""

    config: MlflowExperimentTrackerConfig

    def __init__(self, **arguments: Any) -> None:
        super().__init__(**arguments)
        self._runs: dict[str, str] = {}  # MLflow run ids by step run id: steps run at once

    @property
    def tracking_uri(self) -> str:
        """The configured URI, or SQLite under the runstack home of the process asking (the
        step's, where the run is written)."""
        return self.config.tracking_uri or f"sqlite:///{_default_store()}"

    @property
    def location(self) -> str:
        return _without_password(self.tracking_uri)

    def describe(self) -> dict[str, Any]:
        return {"tracking_uri": self.location}

    def prepare_step_run(self, context: StepContext) -> None:
        if not context.experiment_tracker_enabled:
            return
        import mlflow
        from mlflow.exceptions import MlflowException

        uri = self._connect()
        shown = _without_password(uri)
        tags = {
            **self.config.tags,
            "runstack.run_id": context.run_id,
            "runstack.run_name": context.run_name,
            "runstack.step_run_id": context.step_run_id,
            "runstack.pipeline": context.pipeline_name,
            "runstack.step": context.step_name,
        }
        try:
            with _one_creator(uri):
                client = mlflow.MlflowClient(uri)  # on a new database, MLflow makes its tables
            experiment_id = _experiment_id(
                client, self.config.experiment_name or context.pipeline_name
            )
            run = mlflow.start_run(
                experiment_id=experiment_id,
                run_name=f"{context.run_name}::{context.step_name}",
                tags=tags,
            )
        except MlflowException as error:
            raise MlflowTrackingError(f"MLflow at {shown}: {_first_line(error)}") from None
        self._runs[context.step_run_id] = run.info.run_id
        recorded = {
            "mlflow_run_id": run.info.run_id,
            "mlflow_experiment_id": experiment_id,
            "mlflow_tracking_uri": shown,
        }
        if urlsplit(uri).scheme in ("http", "https"):
            link = f"{shown.rstrip('/')}/#/experiments/{experiment_id}/runs/{run.info.run_id}"
            recorded["mlflow_run_url"] = link
        context.add_metadata(recorded)

    def cleanup_step_run(self, context: StepContext, failed: bool) -> None:
        run_id = self._runs.pop(context.step_run_id, None)
        if run_id is None:
            return
        import mlflow

        status = "FAILED" if failed else "FINISHED"
        while (active := mlflow.active_run()) is not None:
            mlflow.end_run(status)  # runs the step started in ours and left open, then ours
            if active.info.run_id == run_id:
                return
        # The step's code ended ours itself: the step's outcome is what it ends with.
        mlflow.MlflowClient(self.tracking_uri).set_terminated(run_id, status)

    def _connect(self) -> str:
        """Point MLflow (a process-wide setting) at this tracker, with its credentials."""
        import mlflow

        # MLflow's own use of deprecated SQLAlchemy APIs is nothing a step's author can change.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"mlflow\.")
        uri = self.tracking_uri
        if not self.config.tracking_uri:
            _default_store().parent.mkdir(parents=True, exist_ok=True)
        for key, variable in _ENVIRONMENT.items():
            value = getattr(self.config, key)
            if value is not None:
                secret = value.get_secret_value() if isinstance(value, SecretStr) else value
                os.environ[variable] = secret
        if self.config.tracking_insecure_tls:
            os.environ["MLFLOW_TRACKING_INSECURE_TLS"] = "true"
        mlflow.set_tracking_uri(uri)
        return uri


def _default_store() -> Path:
    return runstack_home() / "mlflow" / "mlflow.db"


def _one_creator(uri: str) -> AbstractContextManager[object]:
    """For a SQLite store, a lock that steps starting at once (in other processes too) take in
    turn: MLflow's migrations, run by each on a new database, would collide."""
    if not uri.startswith("sqlite:///"):
        return nullcontext()
    from filelock import FileLock

    return FileLock(f"{uri.removeprefix('sqlite:///')}.lock")


def _experiment_id(client: MlflowClient, name: str) -> str:
    """The experiment's id, created when missing (by whichever step gets there first)."""
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    try:
        return str(client.create_experiment(name))
    except MlflowException as error:
        created = client.get_experiment_by_name(name)  # by a step that got there first
        if error.error_code != "RESOURCE_ALREADY_EXISTS" or created is None:
            raise
        return str(created.experiment_id)


def _without_password(uri: str) -> str:
    """The URI as it may be shown: a password in it (postgresql://user:pw@host) is masked."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
