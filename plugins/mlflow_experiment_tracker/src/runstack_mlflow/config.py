"""What an `mlflow` experiment tracker accepts (`runstack experiment-tracker flavor describe
mlflow`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from runstack.flavors import FlavorConfig

# The tracking stores MLflow itself ships; `+driver` (postgresql+psycopg2) may follow a database.
_SCHEMES = ("http", "https", "sqlite", "postgresql", "mysql", "mssql", "file", "databricks")


class MlflowExperimentTrackerConfig(FlavorConfig):
    tracking_uri: str | None = Field(
        default=None,
        description=(
            "Where MLflow keeps runs: an MLflow server (http://host:5000), a database "
            "(sqlite:///path.db, postgresql://...) or databricks. Default: SQLite in "
            "RUNSTACK_HOME/mlflow/mlflow.db, in the home of the process that runs the step."
        ),
    )
    experiment_name: str | None = Field(
        default=None,
        description="The MLflow experiment the steps' runs go to (created when missing); "
        "default: the pipeline's name.",
    )
    tracking_username: str | None = Field(
        default=None, description="User for an MLflow server with basic auth."
    )
    tracking_password: SecretStr | None = Field(
        default=None, description="Password for an MLflow server with basic auth."
    )
    tracking_token: SecretStr | None = Field(
        default=None, description="Bearer token for an MLflow server (or a Databricks token)."
    )
    tracking_insecure_tls: bool = Field(
        default=False, description="Do not check the server's TLS certificate."
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Tags set on every MLflow run, beside runstack's own (runstack.run_id, ...).",
    )

    @field_validator("tracking_uri")
    @classmethod
    def _mlflow_can_open(cls, uri: str | None) -> str | None:
        """Refuse a URI MLflow has no store for now, rather than in the middle of a run."""
        if uri is None:
            return None
        scheme, _, rest = uri.partition(":")
        if uri != "databricks" and (
            scheme.partition("+")[0] not in _SCHEMES or not rest.strip("/")
        ):
            raise ValueError(
                f"{uri!r} is not a tracking URI MLflow opens; give an MLflow server "
                "(http://host:5000), a database (sqlite:////absolute/path.db, postgresql://...) or "
                "databricks, or leave it out for SQLite under the runstack home"
            )
        database = uri.removeprefix("sqlite:///")
        if scheme == "sqlite" and database != uri and not Path(database).expanduser().is_absolute():
            # the same file for every step, whatever folder its process runs in
            return f"sqlite:///{Path(database).expanduser().absolute()}"
        return uri
