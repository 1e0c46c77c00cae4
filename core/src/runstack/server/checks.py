"""What the API checks in a request beyond its schema: the store compares times, and a PUT
names its record twice."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel

from runstack.errors import ConfigError

T = TypeVar("T")


def zoned(value: T, where: str = "body") -> T:
    """`value` once every time in it has a zone: a time without one could never be compared
    with the store's own (a heartbeat read back would fail every later listing of runs)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ConfigError(
                f"invalid request: field {where!r}: a time needs a zone (such as Z or +00:00)"
            )
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            zoned(getattr(value, name), f"{where}.{name}")
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            zoned(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            zoned(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            zoned(item, f"{where}.{index}")
    return value


def same_id(in_path: str, in_body: str) -> None:
    """A PUT replaces the record its path names; a body about another one is a mistake."""
    if in_path != in_body:
        raise ConfigError(f"the path names id {in_path!r} but the body's id is {in_body!r}")
