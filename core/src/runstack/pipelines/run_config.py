"""Run configuration files: parameters, caching and settings in TOML, without code changes.

```toml
run_name = "nightly-{date}"
enable_cache = false

[parameters]
learning_rate = 0.05

[settings.orchestrator]
max_parallel = 2

[steps.train]
retries = 2
parameters = { epochs = 20 }
```
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from runstack.errors import ConfigError
from runstack.files import read_toml

Settings = dict[str, dict[str, Any]]


class StepRunConfig(BaseModel):
    """What a run config may set for one step (keyed by the step's id in the pipeline)."""

    model_config = ConfigDict(extra="forbid")

    enable_cache: bool | None = None
    retries: int | None = Field(default=None, ge=0)
    retry_delay: float | None = Field(default=None, ge=0)
    parameters: dict[str, Any] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)


class RunConfig(StepRunConfig):
    """A whole run config file: the step keys as pipeline-wide defaults, plus these."""

    run_name: str | None = None
    steps: dict[str, StepRunConfig] = Field(default_factory=dict)


def load_run_config(path: Path) -> RunConfig:
    """Read and check a run config; every error names the file and the key."""
    data = read_toml(path, "run config file")
    try:
        return RunConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        in_step = first["loc"][0] == "steps" and len(first["loc"]) > 2
        keys = list(StepRunConfig.model_fields)
        if not in_step:
            keys = ["run_name", *keys, "steps"]
        raise ConfigError(
            f"the run config {path}: {where}: {problem}; valid "
            f"{'keys for a step' if in_step else 'top-level keys'}: {', '.join(keys)}"
        ) from None


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
