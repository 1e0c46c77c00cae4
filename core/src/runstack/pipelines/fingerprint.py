"""The code part of a step's cache key: the step's code and the user code it reaches.

Starting from the step function, the names its code uses are looked up in its
globals and followed: functions and classes defined in the user's own modules
(not the standard library, installed packages or runstack) are hashed by their
compiled code, transitively, and simple constants by value. Library code is
named, not hashed; files read from disk, the network and mutable data are not seen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from types import CodeType, FunctionType, ModuleType
from typing import Any

from runstack.user_code import is_user_module

_SCALARS = (int, float, complex, str, bytes, bool, type(None))


def code_fingerprint(function: Callable[..., Any]) -> str:
    """A hash of `function`'s code and of the user code and constants it reaches."""
    walk = _Walk()
    walk.function(function)
    return walk.digest.hexdigest()


class _Walk:
    """One traversal: feeds what it reaches into a digest, each object once.

    User code is fed by qualified name within its module, not by module name, so
    the same file imported under another name (as a script, from a test) keeps its key.
    """

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.seen: set[int] = set()

    def feed(self, *parts: str) -> None:
        self.digest.update("\0".join(parts).encode())
        self.digest.update(b"\1")

    def first_visit(self, value: FunctionType | type | ModuleType, kind: str) -> bool:
        """True the first time; afterwards only a reference is fed (cycles end here)."""
        if id(value) in self.seen:
            self.feed("seen", kind, getattr(value, "__qualname__", value.__name__))
            return False
        self.seen.add(id(value))
        return True

    def function(self, function: FunctionType | Callable[..., Any]) -> None:
        if not isinstance(function, FunctionType) or not self.first_visit(function, "function"):
            return
        self.feed("function", function.__qualname__)
        names = sorted(_hash_code(function.__code__, self.digest))
        for default in (*(function.__defaults__ or ()), *(function.__kwdefaults__ or {}).values()):
            self.value("default", default, names)
        for cell in function.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell: the variable was never assigned
                continue
            self.value("closure", contents, names)
        namespace = function.__globals__
        for name in names:
            if name in namespace:
                self.value(name, namespace[name], names)

    def value(self, label: str, value: Any, names: Iterable[str]) -> None:
        """Feed what a name refers to: user code by content, library code by name."""
        constant = _constant(value)
        if constant is not None:
            self.feed(label, constant)
        elif isinstance(value, ModuleType):
            self.module(label, value, names)
        elif not _from_user_module(value):
            self.feed(label, "library", _qualified_name(value))
        elif isinstance(value, type):
            self.feed(label)
            self.cls(value)
        elif isinstance(value, FunctionType):
            self.feed(label)
            self.function(value)
        elif isinstance(wrapped := _attribute(value, "__wrapped__"), FunctionType):
            self.feed(label, "wraps")  # a decorated function, a step used as a helper
            self.function(wrapped)
        else:
            self.feed(label, "object", type(value).__qualname__)

    def module(self, label: str, module: ModuleType, names: Iterable[str]) -> None:
        """A user module: what the code may read from it (the names it uses that it defines)."""
        self.feed(label, "module", module.__name__)
        if not is_user_module(module.__name__) or not self.first_visit(module, "module"):
            return
        namespace = vars(module)
        names = list(names)
        for name in names:
            if name in namespace:
                self.value(f"{module.__name__}.{name}", namespace[name], names)
        self.seen.discard(id(module))  # another use may read other names from it

    def cls(self, cls: type) -> None:
        """A user class: its bases, and the methods and constant attributes it defines."""
        if not self.first_visit(cls, "class"):
            return
        self.feed("class", cls.__qualname__)
        for base in cls.__bases__:
            self.value("base", base, ())
        for name, attribute in sorted(vars(cls).items()):
            if name == "__module__":
                continue
            if isinstance(attribute, (staticmethod, classmethod)):
                attribute = attribute.__func__
            if isinstance(attribute, property):
                for accessor in (attribute.fget, attribute.fset, attribute.fdel):
                    self.value(name, accessor, ())
            elif isinstance(attribute, FunctionType) or _constant(attribute) is not None:
                self.value(name, attribute, ())


def _hash_code(code: CodeType, digest: Any) -> set[str]:
    """Feed a code object (bytecode, names, constants, nested code) into `digest`; its names."""
    digest.update(code.co_code)
    digest.update(repr((code.co_names, code.co_varnames, code.co_freevars)).encode())
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            names |= _hash_code(constant, digest)
        else:
            digest.update((_constant(constant) or type(constant).__qualname__).encode())
    return names


def _constant(value: Any) -> str | None:
    """A stable text for a simple constant (the same in every process), else None."""
    kind = type(value)
    if kind in _SCALARS:
        return f"{kind.__name__}:{value!r}"
    if kind is tuple or kind is frozenset:
        texts = []
        for item in value:
            text = _constant(item)
            if text is None:
                return None
            texts.append(text)
        if kind is frozenset:  # its order follows string hashing, which differs between processes
            texts.sort()
        return f"{kind.__name__}:({','.join(texts)})"
    return None


def _attribute(value: Any, name: str) -> Any:
    """An attribute, or None also where asking raises (a lazy proxy not loaded yet)."""
    try:
        return getattr(value, name, None)
    except Exception:
        return None


def _qualified_name(value: Any) -> str:
    module = _attribute(value, "__module__") or type(value).__module__
    name = _attribute(value, "__qualname__") or type(value).__qualname__
    return f"{module}.{name}"


def _from_user_module(value: Any) -> bool:
    module = _attribute(value, "__module__")
    return isinstance(module, str) and is_user_module(module)
