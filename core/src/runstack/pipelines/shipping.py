"""How a step's function travels to a worker, so that it runs there and its tracebacks stay
readable.

The user's own code (a pipeline file, its modules beside it) travels by value: a
worker on another machine, or started in another folder, cannot import it. Installed
libraries travel by reference, so workers need them installed. By-value code reports
`File "<dynamic-code>"` with no source line; the file names and lines are restored on
arrival, for the step and for the helpers that travel with it.
"""

from __future__ import annotations

import contextlib
import importlib
import linecache
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType, FunctionType
from typing import Any

from runstack.user_code import is_user_module

_DYNAMIC = "<dynamic-code>"  # the file name cloudpickle gives all code it ships by value
_SCANNED: set[tuple[str, int]] = set()  # (folder, number of modules loaded) already registered


class ShippedFunction:
    """A step's function that pickles by reference when it comes from an installed package,
    else by value (its module's code along) with its file name and source lines restored."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        reference = _reference(self.function)
        if reference is not None:
            return _by_reference, reference
        _ship_modules_beside_by_value(self.function)
        files = {
            _place(function.__code__): function.__code__.co_filename
            for function in _travelling(self.function, lambda f: _reference(f) is None)
        }
        sources = {filename: linecache.getlines(filename) for filename in set(files.values())}
        return _by_value, (self.function, files, sources)


def _reference(function: Callable[..., Any]) -> tuple[str, str] | None:
    """(module, qualified name) if the function comes from an installed module that names
    it or its step; None for the user's own code, which travels by value."""
    module_name = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    module = sys.modules.get(module_name or "")
    if module is None or module_name == "__main__" or "<locals>" in qualname:
        return None
    if is_user_module(module_name or ""):
        return None
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if found is function or getattr(found, "function", None) is function:
        return module_name, qualname  # type: ignore[return-value]
    return None


def _ship_modules_beside_by_value(function: Callable[..., Any]) -> None:
    """Have cloudpickle carry the step's module and the user's modules in its folder (its
    helpers, classes, constants) by value, as it carries a script's. Code elsewhere (an
    installed package, a plugin) still travels by reference."""
    module = sys.modules.get(getattr(function, "__module__", "") or "")
    source = getattr(module, "__file__", None)
    if not isinstance(source, str):
        return
    folder = str(Path(source).parent)
    scanned = (folder, len(sys.modules))  # every step ships this way: look again only when
    if scanned in _SCANNED:  # modules were imported since
        return
    _SCANNED.add(scanned)
    import cloudpickle

    for name, loaded in list(sys.modules.items()):
        path = getattr(loaded, "__file__", None)
        beside = isinstance(path, str) and path.startswith(folder + os.sep)
        if beside and name != "__main__" and is_user_module(name):
            cloudpickle.register_pickle_by_value(loaded)


def _by_reference(module_name: str, qualname: str) -> ShippedFunction:
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    return ShippedFunction(getattr(found, "function", found))


def _by_value(
    function: Any, files: dict[tuple[str, int], str], sources: dict[str, list[str]]
) -> ShippedFunction:
    for travelled in list(_travelling(function, lambda f: f.__code__.co_filename == _DYNAMIC)):
        filename = files.get(_place(travelled.__code__))
        if filename is not None:
            travelled.__code__ = _with_filename(travelled.__code__, filename)
    for filename, lines in sources.items():
        if lines:
            linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)
    return ShippedFunction(function)


def _travelling(function: Any, by_value: Callable[[FunctionType], bool]) -> Iterator[FunctionType]:
    """The function and the functions it reaches (by global name or closure) for which
    `by_value` holds: what cloudpickle ships along with it, by value."""
    waiting, seen = [function], set()
    while waiting:
        current = waiting.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        cells = []
        for cell in current.__closure__ or ():
            with contextlib.suppress(ValueError):  # an empty cell: never assigned
                cells.append(cell.cell_contents)
        names = _names(current.__code__)
        reached = [*(current.__globals__.get(name) for name in names), *cells]
        waiting += [f for f in reached if isinstance(f, FunctionType) and by_value(f)]


def _names(code: CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            names |= _names(constant)
    return names


def _place(code: CodeType) -> tuple[str, int]:
    """What tells a function's code apart on both sides: cloudpickle keeps name and line."""
    return code.co_qualname, code.co_firstlineno


def _with_filename(code: CodeType, filename: str) -> CodeType:
    constants = tuple(
        _with_filename(c, filename) if isinstance(c, CodeType) else c for c in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=constants)
