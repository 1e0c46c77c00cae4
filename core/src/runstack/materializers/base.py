"""What a materializer is: it saves values of some types as files in an artifact store.

Types are named by qualified name ("numpy.ndarray") rather than by class, so a
materializer can declare what it handles without importing that library.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from runstack.errors import NotFoundError

if TYPE_CHECKING:
    from runstack.components.artifact_store import BaseArtifactStore


class Materializer(ABC):
    """Saves a step output into a folder of the artifact store, and loads it back.

    `save` writes one or more files under `uri` (a folder relative to the store's
    root) with `store.open(f"{uri}/...", "wb")`; `load` reads them back and gets
    the qualified type name recorded at save time, for materializers that must
    rebuild a specific class.
    """

    name: ClassVar[str]
    """Unique among installed materializers; recorded with every artifact saved by it."""

    handles: ClassVar[tuple[str, ...]] = ()
    """Qualified names of the types it saves, e.g. `("numpy.ndarray",)`."""

    handles_subclasses: ClassVar[bool] = True
    """False when `load` can only rebuild the handled types themselves, not subclasses."""

    def can_save(self, value: Any) -> bool:
        """Whether `load` would give back an equal value of the same type.

        Selection skips a materializer that says no, so a value it would change
        falls through to another materializer (at worst to cloudpickle).
        """
        return self.handles_subclasses or type_name(type(value)) in self.handles

    @abstractmethod
    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        """Write `value` as files in the folder `uri` of the store."""

    @abstractmethod
    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        """Read back what `save` wrote in `uri`; `type_name` is the saved value's type."""


class MaterializerRegistrar(Protocol):
    """What a plugin's `register_materializers` hook is handed: call it with each materializer,
    a `Materializer` subclass (instantiated without arguments) or an instance."""

    def __call__(self, materializer: type[Materializer] | Materializer, /) -> None: ...


class MaterializerWarning(UserWarning):
    """A step output is saved with cloudpickle because no materializer handles its type."""


def type_name(data_type: type) -> str:
    """The qualified name a type is recorded and matched by: "builtins.int", "numpy.ndarray"."""
    return f"{data_type.__module__}.{data_type.__qualname__}"


def import_type(qualified_name: str) -> type:
    """The class recorded as `qualified_name`, for materializers that rebuild a specific class."""
    parts = qualified_name.split(".")
    # The module is the longest importable prefix; the rest may be a nested class.
    for split in range(len(parts) - 1, 0, -1):
        module_name, attributes = ".".join(parts[:split]), parts[split:]
        try:
            found: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and f"{module_name}.".startswith(f"{error.name}."):
                continue  # not a module: a shorter prefix may be
            raise  # the module exists but one of its own imports is missing
        try:
            for attribute in attributes:
                found = getattr(found, attribute)
        except AttributeError:
            break
        if isinstance(found, type):
            return found
        break
    raise NotFoundError(
        f"cannot import the type {qualified_name!r} this artifact was saved as; "
        "install the package that defines it (classes defined inside functions cannot be imported)"
    )
