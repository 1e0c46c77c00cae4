"""How a step's function travels to a worker process, so its tracebacks there stay readable.

cloudpickle pickles a function by value unless its module attribute is the
function itself; for a step that attribute is the `Step`, and by-value code
reports `File "<dynamic-code>"` with no source line.
"""

from __future__ import annotations

import importlib
import linecache
import sys
from collections.abc import Callable
from types import CodeType
from typing import Any


class ShippedFunction:
    """A step's function that pickles by reference when its module is loaded here (a forked
    worker has it too), else by value with its file name and source lines restored."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        reference = _reference(self.function)
        if reference is not None:
            return _by_reference, reference
        filename = self.function.__code__.co_filename
        return _by_value, (self.function, filename, linecache.getlines(filename))


def _reference(function: Callable[..., Any]) -> tuple[str, str] | None:
    """(module, qualified name) if the module is loaded and names this function or its step."""
    module_name = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    module = sys.modules.get(module_name or "")
    if module is None or module_name == "__main__" or "<locals>" in qualname:
        return None
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if found is function or getattr(found, "function", None) is function:
        return module_name, qualname  # type: ignore[return-value]
    return None


def _by_reference(module_name: str, qualname: str) -> ShippedFunction:
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    return ShippedFunction(getattr(found, "function", found))


def _by_value(function: Any, filename: str, lines: list[str]) -> ShippedFunction:
    function.__code__ = _with_filename(function.__code__, filename)
    if lines:
        linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)
    return ShippedFunction(function)


def _with_filename(code: CodeType, filename: str) -> CodeType:
    constants = tuple(
        _with_filename(c, filename) if isinstance(c, CodeType) else c for c in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=constants)
