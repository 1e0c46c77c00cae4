"""The materializer registry: filled by plugins' `register_materializers` hooks, once per process.

It answers two questions for the pipeline runtime: which materializer saves this
output (`select`), and which one wrote that artifact (`get`, by the recorded name).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from runstack.errors import NotFoundError
from runstack.materializers.base import (
    Materializer,
    MaterializerRegistrar,
    MaterializerWarning,
    import_type,
    type_name,
)
from runstack.plugins import (
    LoadedPlugins,
    Plugin,
    call_registration_hook,
    describe_error,
    report,
)
from runstack.registrar import Registrar, RegistrationRules

FALLBACK = "cloudpickle"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class RegisteredMaterializer:
    """A materializer and the plugin it came from."""

    materializer: Materializer
    plugin: Plugin


class _ClassOrInstanceRegistrar(Registrar[str, Materializer, RegisteredMaterializer]):
    """A registrar that also takes a `Materializer` subclass, instantiated without arguments."""

    def __call__(self, materializer: type[Materializer] | Materializer) -> None:
        if isinstance(materializer, type) and issubclass(materializer, Materializer):
            cls = materializer
            try:
                materializer = cls()
            except Exception as error:
                report(self._plugin, f"{cls.__name__}() raised {describe_error(error)}; ignored")
                return
        super().__call__(materializer)


class MaterializerRegistry:
    """Every installed materializer by name, and which one saves each type.

    When two materializers handle the same type, a plugin's wins over a built-in
    one (so a plugin can take over, say, DataFrames) and the earlier plugin over a
    later one; the other stays available by name.
    """

    def __init__(self, plugins: LoadedPlugins) -> None:
        self.plugins = plugins
        self.entries: dict[str, RegisteredMaterializer] = {}

        def registrar(plugin: Plugin) -> MaterializerRegistrar:
            return _ClassOrInstanceRegistrar(self.entries, plugin, _RULES)

        call_registration_hook(plugins, "register_materializers", registrar)
        by_plugins = sorted(self.entries.values(), key=lambda e: e.plugin is plugins.builtin)
        self._by_type: dict[str, Materializer] = {}
        self._by_path: dict[str, Materializer] = {}
        for entry in by_plugins:
            for handled in entry.materializer.handles:
                self._by_type.setdefault(handled, entry.materializer)

    def select(self, annotation: Any, value: Any) -> Materializer:
        """The materializer for a step output: by its annotation's class, else by its value's type.

        Each type's classes are tried from the most specific, so a bool goes to
        the one for bool even where another handles int. An annotation is taken
        as declared: a value of another type (or None, when the runtime only asks
        what an annotation selects) does not change the choice; a value of the
        type is checked with `can_save`. Anything unhandled goes to cloudpickle,
        with a `MaterializerWarning`.
        """
        declined: dict[str, None] = {}
        for data_type in _candidate_types(annotation, value):
            of_type = isinstance(value, data_type)
            for cls in data_type.__mro__:
                materializer = self._by_type.get(type_name(cls))
                if materializer is None or materializer.name in declined:
                    continue
                if not of_type or materializer.can_save(value):
                    return materializer
                declined[materializer.name] = None
        message = _fallback_message(type(value), list(declined))
        warnings.warn(message, MaterializerWarning, stacklevel=2)
        return self.get(FALLBACK)

    def recorded_name(self, materializer: type[Materializer]) -> str:
        """What an artifact records its materializer as: the name it is registered by, or for
        one a step chose that no plugin registered, the `module:Class` path `get` imports."""
        entry = self.entries.get(getattr(materializer, "name", ""))
        if entry is not None and type(entry.materializer) is materializer:
            return entry.materializer.name
        return f"{materializer.__module__}:{materializer.__qualname__}"

    def get(self, name: str) -> Materializer:
        """The materializer of that name, as recorded with an artifact."""
        if ":" in name:
            return self._imported(name)
        entry = self.entries.get(name)
        if entry is None:
            raise NotFoundError(
                f"unknown materializer {name!r}; installed: {', '.join(sorted(self.entries))} "
                "(is the plugin that saved this artifact installed?)"
            )
        return entry.materializer

    def _imported(self, path: str) -> Materializer:
        """A materializer recorded by its class's `module:Class` path, imported once."""
        found = self._by_path.get(path)
        if found is None:
            module, _, qualified = path.partition(":")
            try:
                materializer = import_type(f"{module}.{qualified}")
            except NotFoundError:
                raise NotFoundError(
                    f"cannot import materializer {path!r}, which a step chose with "
                    f"output_materializers= to save this artifact; run where module {module!r} "
                    "imports (its folder on PYTHONPATH), or install the package that defines it"
                ) from None
            if not issubclass(materializer, Materializer):
                raise NotFoundError(f"{path!r}, recorded as a materializer, is not a Materializer")
            found = self._by_path[path] = materializer()
        return found

    def list(self) -> list[tuple[Materializer, str]]:
        """Installed materializers by name, each with the name of the plugin it came from."""
        return [(e.materializer, e.plugin.name) for _, e in sorted(self.entries.items())]


def materializer_problem(materializer: object) -> str | None:
    """Why runstack cannot use this registration, or None."""
    if not isinstance(materializer, Materializer):
        return f"expected a runstack Materializer, got {type(materializer).__name__}"
    name = getattr(materializer, "name", None)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        return f"{type(materializer).__name__}.name {name!r} must be letters, digits, '.', '-', '_'"
    handles = materializer.handles
    if not isinstance(handles, tuple) or not all(isinstance(h, str) for h in handles):
        return f"materializer {name!r} must list the types it handles as a tuple of names"
    return None


_RULES: RegistrationRules[str, Materializer, RegisteredMaterializer] = RegistrationRules(
    noun="materializer",
    problem=materializer_problem,
    key=lambda materializer: materializer.name,
    label=lambda materializer: f"materializer {materializer.name!r}",
    entry=RegisteredMaterializer,
    record=lambda plugin, materializer: plugin.materializers.append(materializer.name),
)


def _candidate_types(annotation: Any, value: Any) -> list[type]:
    """The annotation's class when it names one (`list[int]` names list), then the value's."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    declared = get_origin(annotation) or annotation
    if not isinstance(declared, type):
        return [type(value)]
    try:
        isinstance(value, declared)
    except TypeError:  # a class isinstance refuses: Any, non-runtime protocols
        return [type(value)]
    return [declared, type(value)]


def _fallback_message(data_type: type, declined: list[str]) -> str:
    name = type_name(data_type)
    which = f"this {name} exactly ({', '.join(declined)} declined it)" if declined else name
    return (
        f"no materializer saves {which}, so runstack pickles it with cloudpickle, which may "
        "not load under other Python or library versions; to save it properly, register a "
        f"materializer that handles {name!r} from a plugin's register_materializers hook"
    )
