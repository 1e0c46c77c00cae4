"""Whether a parameter's value fits its annotation, checked when a run is compiled.

Parameters are JSON data, so they are checked as JSON against the annotation, in
pydantic's strict mode: "3" is not an int, but an int is a float and a list is
a tuple. Plain types are checked without pydantic; a type pydantic cannot
describe is not checked.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runstack.errors import ConfigError
from runstack.pipelines.annotations import describe_type

if TYPE_CHECKING:
    from pydantic import TypeAdapter

_SHORT = 60


def expected_type(parameter: inspect.Parameter, annotations: Mapping[str, Any], value: Any) -> Any:
    """What `value` must fit: anything when it is the parameter's own default (`k: int = None`)."""
    return Any if value is parameter.default else annotations.get(parameter.name, Any)


def check_type(value: Any, annotation: Any, owner: str, name: str) -> None:
    """Refuse a value its annotation does not allow, naming parameter, type and value."""
    plain = _plain_fit(value, annotation)
    if plain is True:
        return
    problem = "" if plain is False else _validation_problem(value, annotation)
    if problem is None:
        return
    shown = repr(value)
    if len(shown) > _SHORT:
        shown = f"{shown[: _SHORT - 3]}..."
    raise ConfigError(
        f"{owner}: parameter {name!r} should be {describe_type(annotation)}, got {shown}{problem}"
    )


def _plain_fit(value: Any, annotation: Any) -> bool | None:
    """Whether a value fits a plain annotation (None: not a plain one, pydantic decides)."""
    if annotation is Any or annotation is inspect.Parameter.empty:
        return True
    if annotation in (int, float):
        numbers = (int, float) if annotation is float else (int,)
        return isinstance(value, numbers) and not isinstance(value, bool)
    if annotation in (str, bool, list, dict):
        return isinstance(value, annotation)
    return None


def _validation_problem(value: Any, annotation: Any) -> str | None:
    """None when the value fits; else the detail pydantic gives for a nested part ("" if none)."""
    from pydantic import ValidationError

    adapter = _adapter(annotation)
    if adapter is None:
        return None
    try:
        adapter.validate_json(json.dumps(value), strict=True)
    except ValidationError as error:
        first = error.errors()[0]
        where = "".join(f"[{part!r}]" for part in first["loc"])
        return f" (at {where}: {first['msg']})" if where else ""
    return None


def _adapter(annotation: Any) -> TypeAdapter[Any] | None:
    try:
        return _cached_adapter(annotation)
    except TypeError:  # an unhashable annotation: build it each time
        return _cached_adapter.__wrapped__(annotation)


@functools.cache
def _cached_adapter(annotation: Any) -> TypeAdapter[Any] | None:
    from pydantic import PydanticSchemaGenerationError, TypeAdapter

    try:
        return TypeAdapter(annotation)
    except (PydanticSchemaGenerationError, TypeError, NameError):
        return None
