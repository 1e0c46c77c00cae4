"""What a step's annotation says: its base type, whether a value fits it, its short name."""

from __future__ import annotations

import typing
from types import NoneType, UnionType
from typing import Annotated, Any, get_args, get_origin


def strip_annotated(annotation: Any) -> Any:
    """`Annotated[T, ...]` as `T`; anything else as it is."""
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def matches(value: Any, annotation: Any) -> bool:
    """Whether `value` fits `annotation`, as far as a runtime check can tell."""
    annotation = strip_annotated(annotation)
    if annotation is Any or annotation is typing.Any:
        return True
    if annotation is None or annotation is NoneType:
        return value is None
    origin = get_origin(annotation)
    if origin in (typing.Union, UnionType):
        return any(matches(value, arm) for arm in get_args(annotation))
    if origin is not None:
        return not isinstance(origin, type) or isinstance(value, origin)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True


def describe_type(annotation: Any) -> str:
    """A short name for a type in messages: `int`, `list[str]`, `ndarray`."""
    if isinstance(annotation, type) and not get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")
