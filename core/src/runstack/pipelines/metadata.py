"""`log_metadata` and `log_artifact_metadata`: ZenML's ways to attach metadata to a step run, a
run or an artifact, chosen by the same keywords as in ZenML.

Inside a step, what is for the step itself, its run or its outputs joins the step's context
and reaches the store with the step's record, wherever the step ran (a worker process, a Dask
worker); any other target is written through the client at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from runstack.components.step_context import running_step_context
from runstack.errors import ConfigError, NotFoundError
from runstack.runs import checked_metadata

if TYPE_CHECKING:
    from runstack.client import Client
    from runstack.components import StepContext
    from runstack.runs import MetadataValue

_TARGETS = (
    "nothing (inside a step: that step run), step_name + run_id_name_or_prefix or step_id "
    "(a step run), run_id_name_or_prefix (a run), artifact_version_id or artifact_name with "
    "or without artifact_version (an artifact), infer_artifact=True with or without "
    "artifact_name (inside a step: its output)"
)


def log_metadata(
    metadata: Mapping[str, Any],
    step_id: str | None = None,
    step_name: str | None = None,
    run_id_name_or_prefix: str | None = None,
    artifact_version_id: str | None = None,
    artifact_name: str | None = None,
    artifact_version: str | None = None,
    infer_artifact: bool = False,
) -> None:
    """Attach JSON `metadata` to what the keywords name, as ZenML's `log_metadata` does: with
    none, inside a step, to the step run (its run shows it as `<step>::<key>`). Logging a key
    again replaces its value; a value JSON cannot hold is refused before anything is stored."""
    values = checked_metadata(metadata)
    targets = {
        name: value
        for name, value in (
            ("step_id", step_id),
            ("step_name", step_name),
            ("run_id_name_or_prefix", run_id_name_or_prefix),
            ("artifact_version_id", artifact_version_id),
            ("artifact_name", artifact_name),
            ("artifact_version", artifact_version),
        )
        if value is not None
    }
    given = set(targets)
    context = running_step_context()
    if infer_artifact:
        if given - {"artifact_name"}:
            _unsupported(given | {"infer_artifact"})
        where = "log_metadata(infer_artifact=True)"
        _inside_step(context, where).add_output_metadata(values, artifact_name)
    elif not given:
        _inside_step(context, "log_metadata() without a target").add_metadata(values)
    elif given == {"step_name", "run_id_name_or_prefix"}:
        _log_to_step_of_run(context, values, targets["step_name"], targets["run_id_name_or_prefix"])
    elif given == {"step_id"}:
        _log_to_step_run(context, values, targets["step_id"])
    elif given == {"run_id_name_or_prefix"}:
        _log_to_run(context, values, targets["run_id_name_or_prefix"])
    elif given == {"artifact_version_id"}:
        store = _client().store
        artifact = store.artifacts.get(targets["artifact_version_id"])
        store.artifacts.add_metadata(artifact.id, values)
    elif given in ({"artifact_name"}, {"artifact_name", "artifact_version"}):
        _log_to_named_artifact(context, values, targets["artifact_name"], artifact_version)
    else:
        _unsupported(given)


def log_artifact_metadata(
    metadata: Mapping[str, Any],
    artifact_name: str | None = None,
    artifact_version: str | None = None,
) -> None:
    """ZenML's older way to attach metadata to an artifact: inside a step, to its one output
    or the output `artifact_name`, saved with it; otherwise to a version of the artifacts named
    `artifact_name` (the newest when `artifact_version` is None)."""
    values = checked_metadata(metadata)
    context = running_step_context()
    if artifact_name is None:
        where = "log_artifact_metadata() without artifact_name"
        _inside_step(context, where).add_output_metadata(values)
    else:
        _log_to_named_artifact(context, values, artifact_name, artifact_version)


def _log_to_step_of_run(
    context: StepContext | None,
    values: dict[str, MetadataValue],
    step_name: str,
    run: str,
) -> None:
    """The step `step_name` of the run `run` (its id in the pipeline, as `run.steps` has it)."""
    if context is not None and step_name == context.step_name and _is_own_run(context, run):
        context.add_metadata(values)
        return
    store = _client().store
    record = store.runs.get(run)
    step_runs = {s.invocation: s.id for s in store.step_runs.list(record.id)}
    if step_name not in step_runs:
        steps = ", ".join(step_runs) or "none"
        raise NotFoundError(f"run {record.name!r} has no step {step_name!r}; its steps: {steps}")
    store.step_runs.add_metadata(step_runs[step_name], values)


def _log_to_step_run(
    context: StepContext | None, values: dict[str, MetadataValue], step_run_id: str
) -> None:
    if context is not None and step_run_id == context.step_run_id:
        context.add_metadata(values)
    else:
        _client().store.step_runs.add_metadata(step_run_id, values)


def _log_to_run(context: StepContext | None, values: dict[str, MetadataValue], run: str) -> None:
    """The run `run`; a step logging for its own run keeps the values under `<step>::<key>`."""
    if context is not None and _is_own_run(context, run):
        context.add_run_metadata(values)
        return
    store = _client().store
    store.runs.add_metadata(store.runs.get(run).id, values)


def _log_to_named_artifact(
    context: StepContext | None,
    values: dict[str, MetadataValue],
    name: str,
    version: str | None,
) -> None:
    """Inside a step, its output `name` when no version is given, saved with it; otherwise the
    version `version` of the artifacts named `name` (the newest when None), as ZenML finds it."""
    if context is not None and version is None and name in context.output_names:
        context.add_output_metadata(values, name)
        return
    client = _client()
    client.store.artifacts.add_metadata(client.get_artifact_version(name, version).id, values)


def _is_own_run(context: StepContext, run: str) -> bool:
    return run in (context.run_id, context.run_name)


def _inside_step(context: StepContext | None, call: str) -> StepContext:
    if context is None:
        raise ConfigError(
            f"{call} works only inside a running step; outside one, give log_metadata what the "
            f"metadata is for: {_TARGETS}"
        )
    return context


def _unsupported(given: set[str]) -> NoReturn:
    raise ConfigError(
        f"log_metadata() cannot attach metadata to {' + '.join(sorted(given))}; give {_TARGETS}"
    )


def _client() -> Client:
    from runstack.client import Client

    return Client()
