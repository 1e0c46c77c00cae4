"""Run configuration files: parameters, caching and settings in TOML (or ZenML's YAML shape, by
the file's suffix), without code changes.

```toml
run_name = "nightly-{date}"
enable_cache = false

[parameters]
learning_rate = 0.05

[settings.orchestrator]
max_parallel = 2

[settings."orchestrator.local"]  # only where the stack's orchestrator is `local`
mode = "processes"

[steps.train]
retries = 2
timeout = 600
experiment_tracker = true
parameters = { epochs = 20 }
```
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from runstack.errors import ConfigError
from runstack.files import read_toml, read_yaml

Settings = dict[str, dict[str, Any]]
# Whether a step runs with the stack's experiment tracker: a flag, or the tracker's name.
TrackerChoice = bool | str

# Plain dataclasses, checked by pydantic only when a file is read: a run without a
# config file (most runs) never imports pydantic for them.


@dataclass(frozen=True)
class StepRunConfig:
    """What a run config may set for one step (keyed by the step's id in the pipeline)."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    enable_cache: bool | None = None
    retries: int | None = None
    retry_delay: float | None = None
    timeout: float | None = None
    experiment_tracker: TrackerChoice | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    settings: Settings = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfig(StepRunConfig):
    """A whole run config file: the step keys as pipeline-wide defaults, plus these."""

    run_name: str | None = None
    steps: dict[str, StepRunConfig] = field(default_factory=dict)


STEP_KEYS = [f.name for f in fields(StepRunConfig)]
RUN_KEYS = ["run_name", *STEP_KEYS, "steps"]


def load_run_config(path: Path) -> RunConfig:
    """Read and check a run config; every error names the file and the key."""
    from pydantic import TypeAdapter, ValidationError

    read = read_yaml if path.suffix.lower() in YAML_SUFFIXES else read_toml
    data = read(path, "run config file")
    _drop_unused(path, data)
    try:
        config = TypeAdapter(RunConfig).validate_python(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        unknown = first["type"] in ("unexpected_keyword_argument", "extra_forbidden")
        problem = "unknown key" if unknown else first["msg"]
        in_step = first["loc"][0] == "steps" and len(first["loc"]) > 2
        raise ConfigError(
            f"the run config {path}: {where}: {problem}; valid "
            f"{'keys for a step' if in_step else 'top-level keys'}: "
            f"{', '.join(STEP_KEYS if in_step else RUN_KEYS)}"
        ) from None

    layers = [
        ("", config, data),
        *((f"steps.{n}.", c, data["steps"][n]) for n, c in config.steps.items()),
    ]
    for where, layer, written in layers:
        _check_written_types(path, where, written)
        for key in ("retries", "retry_delay"):
            value = getattr(layer, key)
            if value is not None and value < 0:
                raise ConfigError(f"the run config {path}: {where}{key}: must be >= 0, got {value}")
        try:
            check_timeout(layer.timeout)
        except ConfigError as error:
            raise ConfigError(f"the run config {path}: {where}{error}") from None
    return config


YAML_SUFFIXES = (".yaml", ".yml")

# What ZenML's run configs may hold that runstack has no use for: dropped with one warning, so
# a ZenML project's config runs as it is. Any other unknown key stays an error (a typo).
_UNUSED_RUN_KEYS = (
    "build",
    "cache_policy",
    "enable_artifact_metadata",
    "enable_artifact_visualization",
    "enable_pipeline_logs",
    "enable_step_logs",
    "environment",
    "failure_hook_source",
    "model",
    "schedule",
    "secrets",
    "substitutions",
    "success_hook_source",
    "tags",
)
_UNUSED_STEP_KEYS = (
    "cache_policy",
    "enable_artifact_metadata",
    "enable_artifact_visualization",
    "enable_step_logs",
    "environment",
    "failure_hook_source",
    "model",
    "outputs",
    "secrets",
    "step_operator",
    "substitutions",
    "success_hook_source",
)
_UNUSED_SETTINGS = ("docker", "resources")


def _drop_unused(path: Path, data: dict[str, Any]) -> None:
    """Remove what runstack has no use for (ZenML's `model`, `settings.docker`, ...), naming it
    all in one warning, and read ZenML's `retry` table as `retries` and `retry_delay`."""
    dropped = _drop_from(path, data, "", _UNUSED_RUN_KEYS)
    steps = data.get("steps")
    if isinstance(steps, dict):
        for name, step in steps.items():
            if step is None:
                steps[name] = {}
            elif isinstance(step, dict):
                dropped += _drop_from(path, step, f"steps.{name}.", _UNUSED_STEP_KEYS)
    if dropped:
        warnings.warn(
            f"the run config {path}: runstack has no use for {', '.join(dropped)}; ignored",
            stacklevel=3,
        )


def _drop_from(path: Path, table: dict[str, Any], where: str, unused: tuple[str, ...]) -> list[str]:
    for empty in [key for key, value in table.items() if value is None]:
        del table[empty]  # a YAML key left empty (`parameters:`) is a key not set
    dropped = [f"{where}{key}" for key in unused if table.pop(key, None) is not None]
    settings = table.get("settings")
    if isinstance(settings, dict):
        dropped += [f"{where}settings.{key}" for key in _UNUSED_SETTINGS if key in settings]
        table["settings"] = {k: v for k, v in settings.items() if k not in _UNUSED_SETTINGS}
    return dropped + _read_retry(path, table, where)


def _read_retry(path: Path, table: dict[str, Any], where: str) -> list[str]:
    """ZenML's `retry: {max_retries, delay, backoff}` as runstack's `retries` and `retry_delay`;
    `backoff`, when given, is named for the warning."""
    retry = table.pop("retry", None)
    if retry is None:
        return []
    if not isinstance(retry, dict) or set(retry) - {"max_retries", "delay", "backoff"}:
        raise ConfigError(
            f"the run config {path}: {where}retry: must be a table of max_retries, delay "
            f"and backoff, got {retry!r}"
        )
    for zenml_key, key in (("max_retries", "retries"), ("delay", "retry_delay")):
        if zenml_key not in retry:
            continue
        if table.get(key, retry[zenml_key]) != retry[zenml_key]:
            raise ConfigError(
                f"the run config {path}: {where}{key} and {where}retry.{zenml_key} differ; "
                "give one of them"
            )
        table[key] = retry[zenml_key]
    if "backoff" in retry:
        return [f"{where}retry.backoff (runstack doubles the delay after each attempt)"]
    return []


# What each option must be as written: pydantic would quietly read `timeout = true` as 1 s.
_WRITTEN_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "enable_cache": ((bool,), "true or false"),
    "retries": ((int,), "an integer"),
    "retry_delay": ((int, float), "a number"),
    "timeout": ((int, float), "a number"),
    "experiment_tracker": ((bool, str), "true, false or the name of an experiment tracker"),
}


def _check_written_types(path: Path, where: str, written: Mapping[str, Any]) -> None:
    for key, (types, kind) in _WRITTEN_TYPES.items():
        value = written.get(key)
        if value is not None and type(value) not in types:  # TOML gives exact types
            raise ConfigError(f"the run config {path}: {where}{key}: must be {kind}, got {value!r}")


def merge_settings(*layers: Mapping[str, Mapping[str, Any]]) -> Settings:
    """Settings per component type; later layers override single keys, not whole tables."""
    merged: Settings = {}
    for layer in layers:
        for component_type, values in layer.items():
            merged.setdefault(component_type, {}).update(values)
    return merged


def merge_changes(
    settings: Mapping[str, Mapping[str, Any]], extra: Mapping[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """`with_options` changes with `settings` and `extra` layered over the current ones.

    `with_options(settings={"orchestrator": ...})` keeps the decorator's other settings.
    """
    merged = dict(changes)
    if "settings" in changes:
        merged["settings"] = merge_settings(settings, changes["settings"] or {})
    if "extra" in changes:
        merged["extra"] = {**extra, **(changes["extra"] or {})}
    return merged


def check_retries(retries: int | None, retry_delay: float | None) -> None:
    """Refuse retry options a run could not use, when a step or pipeline is declared."""
    if retries is not None and (not isinstance(retries, int) or retries < 0):
        raise ConfigError(f"retries must be a whole number >= 0, got {retries!r}")
    if retry_delay is not None and retry_delay < 0:
        raise ConfigError(f"retry_delay must be >= 0 seconds, got {retry_delay!r}")


def check_timeout(timeout: float | None) -> None:
    """Refuse a timeout no step could meet, or one no clock can wait for (infinite, NaN, or
    past what a thread can wait): leaving it out is how a step runs without one."""
    if timeout is None:
        return
    number = isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
    if not (number and 0 < timeout <= threading.TIMEOUT_MAX):
        endless = number and timeout > 0
        limit = f", at most {threading.TIMEOUT_MAX:.0f} (leave it out for none)" if endless else ""
        raise ConfigError(f"timeout must be a number of seconds > 0, got {timeout!r}{limit}")


def check_experiment_tracker(experiment_tracker: TrackerChoice | None) -> None:
    """Refuse what is neither a flag nor a component's name: a step runs with the stack's
    tracker, so a name (ZenML's `experiment_tracker=tracker.name`) only has to match it."""
    if experiment_tracker is None or isinstance(experiment_tracker, bool):
        return
    if not isinstance(experiment_tracker, str) or not experiment_tracker:
        raise ConfigError(
            f"experiment_tracker takes True, False or the name of the stack's experiment "
            f"tracker, got {experiment_tracker!r}"
        )
