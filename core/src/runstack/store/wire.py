"""What crosses between a team server and its clients: the bodies of requests and answers, the
version each side runs, and errors as `{"error": <class name>, "message": ...}` both ways.

The server (`runstack.server`) and the client (`runstack.store.http`) share this one module,
so neither can drift from the other.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from runstack import errors, version
from runstack.component_types import ComponentType
from runstack.runs import ArtifactRecord, RunStatus, StepRunRecord
from runstack.stacks import Stack, StackComponent

API_PREFIX = "/api/v1"
VERSION_HEADER = "Runstack-Version"

# The classes a message travels as, by name and HTTP status; any other RunstackError is a 400.
STATUS_OF_ERROR: dict[type[errors.RunstackError], int] = {
    errors.NotFoundError: 404,
    errors.AlreadyExistsError: 409,
    errors.InUseError: 409,
    errors.MissingSecretsError: 400,
    errors.ConfigError: 400,
    errors.AuthenticationError: 401,
    errors.PermissionDeniedError: 403,
    errors.StoreError: 503,
}
_ERRORS_BY_NAME = {kind.__name__: kind for kind in STATUS_OF_ERROR}


class SecretKey(BaseModel):
    """A secret a component to be created lacks: its component type and config key."""

    type: str
    key: str


class ErrorBody(BaseModel):
    """Every failure the API answers; `missing` is set for a MissingSecretsError."""

    error: str = Field(description="The runstack error class, such as NotFoundError.")
    message: str = Field(description="The message, exactly as the store raised it.")
    missing: list[SecretKey] | None = None


class ServerInfo(BaseModel):
    version: str = Field(description="The runstack version the server runs.")


class UserName(BaseModel):
    name: str


class StackCreation(BaseModel):
    stack: Stack
    new_components: list[StackComponent] = []
    lacking: dict[ComponentType, list[str]] | None = None


class FlavorVersion(BaseModel):
    version: str


class RunEnd(BaseModel):
    status: RunStatus
    finished: datetime
    error: str


class Heartbeat(BaseModel):
    moment: datetime


class RunCount(BaseModel):
    count: int


class StepStart(BaseModel):
    step_run: StepRunRecord
    position: int


class StepEnd(BaseModel):
    step_run: StepRunRecord
    position: int
    logs: str
    new_artifacts: list[ArtifactRecord] = []


class StepLogs(BaseModel):
    logs: str


class RunName(BaseModel):
    name: str


class ArtifactIds(BaseModel):
    ids: list[str]


class Damage(BaseModel):
    reason: str


class StageChange(BaseModel):
    """A model version put in a stage; `force` archives the version that holds it."""

    stage: str
    force: bool = False


class Metadata(BaseModel):
    """Metadata to add to a run, step run or artifact: JSON values by key."""

    values: dict[str, Any]


class ArtifactUse(BaseModel):
    """One use of an artifact: `output`, `cached` or `input`, by which step of which run."""

    direction: str
    run: str
    step: str
    name: str


def error_body(error: errors.RunstackError) -> tuple[int, ErrorBody]:
    """The status and body an error travels as."""
    kind = next((k for k in type(error).__mro__ if k in STATUS_OF_ERROR), None)
    missing = (
        [SecretKey(type=type_name, key=key) for type_name, key in error.missing]
        if isinstance(error, errors.MissingSecretsError)
        else None
    )
    name = kind.__name__ if kind else "RunstackError"
    status = STATUS_OF_ERROR[kind] if kind else 400
    return status, ErrorBody(error=name, message=str(error), missing=missing)


def raised_error(body: Any) -> errors.RunstackError | None:
    """The runstack error an answer's body stands for (None if it is not an error body)."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return None
    kind = _ERRORS_BY_NAME.get(str(body.get("error")), errors.RunstackError)
    if kind is errors.MissingSecretsError:
        parsed = ErrorBody.model_validate(body)
        return errors.MissingSecretsError([(m.type, m.key) for m in parsed.missing or ()])
    return kind(body["message"])


def this_version() -> str:
    """runstack's version, read when asked (a test may stand in for another release)."""
    return version.__version__


def version_problem(server: str, client: str) -> str:
    """Why a client of version `client` cannot use a server of `server` ("" when it can).

    Releases that share their API release (the major version; for 0.x, also the minor)
    speak the same API.
    """
    if _api_release(server) == _api_release(client):
        return ""
    if _api_release(client) < _api_release(server):
        fix = "upgrade the client: pip install -U runstack"
    else:
        fix = "upgrade the server: pip install -U runstack where it runs, then restart it"
    return f"the server runs runstack {server}, this client {client}: {fix}"


def _api_release(text: str) -> tuple[int, ...]:
    numbers = [int(part) for part in re.findall(r"\d+", text)[:2]] + [0, 0]
    return (0, numbers[1]) if numbers[0] == 0 else (numbers[0],)
