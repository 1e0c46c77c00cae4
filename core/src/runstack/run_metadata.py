"""What run metadata may hold: JSON values under string keys, checked where they are logged.

Steps, runs and artifacts keep metadata as JSON in the store and across the team server, so a
value JSON cannot hold is refused before anything is stored, naming its key and type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from runstack.errors import ConfigError

MetadataValue = str | int | float | bool | None | list[Any] | dict[str, Any]
"""A JSON value: a string, number, boolean or null, or a list or object of them."""


def checked_metadata(values: Mapping[str, Any]) -> dict[str, MetadataValue]:
    """`values` as a plain dict once every key is a non-empty string and every value JSON
    (a finite number: JSON has no NaN); ConfigError naming the first that is not."""
    if not isinstance(values, Mapping):
        raise ConfigError(
            f"metadata is a dict of JSON values by name, not a {type(values).__name__}"
        )
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"metadata keys are non-empty strings, not {key!r}")
        problem = _json_problem(value)
        if problem:
            raise ConfigError(f"metadata {key!r} {problem}")
    return dict(values)


def _json_problem(value: Any) -> str:
    """Why `value` is not a JSON value ("" when it is), naming the part that is not."""
    if value is None or isinstance(value, str | bool | int):
        return ""
    if isinstance(value, float):
        return "" if math.isfinite(value) else f"is {value}, which JSON cannot hold"
    if isinstance(value, list):
        return next((problem for item in value if (problem := _json_problem(item))), "")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"has the key {key!r}; keys of metadata objects are strings"
            problem = _json_problem(item)
            if problem:
                return problem
        return ""
    return (
        f"is of type {type(value).__name__}, not a JSON value (a string, number, boolean, None, "
        "or a list or dict of them)"
    )
