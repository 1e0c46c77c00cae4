"""Finding and loading plugins: entry points of the `runstack` group, one at a time.

pluggy's own `load_setuptools_entrypoints` lets one broken plugin's import
error escape and take every command down; here each plugin is loaded on its
own, and a failure is recorded with its distribution and the real error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from runstack import hookspecs

ENTRY_POINT_GROUP = "runstack"
LOAD_ONLY_ENV = "RUNSTACK_LOAD_PLUGINS"
DISABLE_ENV = "RUNSTACK_DISABLE_PLUGINS"
STRICT_ENV = "RUNSTACK_STRICT_PLUGINS"


@dataclass
class Plugin:
    """One plugin as `runstack plugin list` shows it; `error` says why it is not working."""

    name: str
    distribution: str
    version: str
    module: str
    error: str | None = None
    flavors: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"{self.distribution} {self.version}".strip()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for `plugin list` and `status`."""
        return asdict(self)


@dataclass
class LoadedPlugins:
    """The plugin manager with every plugin registered on it, and what each one did."""

    manager: pluggy.PluginManager
    plugins: list[Plugin]

    def by_name(self, name: str) -> Plugin:
        return next(plugin for plugin in self.plugins if plugin.name == name)


def new_manager() -> pluggy.PluginManager:
    """A manager that knows runstack's hooks and no plugins yet."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def strict() -> bool:
    """In strict mode (for CI) a broken plugin raises instead of warning."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes"}


def register_objects(objects: Iterable[tuple[str, object]]) -> LoadedPlugins:
    """Register plugin objects directly (tests, embedding) on a fresh manager."""
    loaded = LoadedPlugins(new_manager(), [])
    for name, plugin_object in objects:
        module = getattr(plugin_object, "__name__", type(plugin_object).__name__)
        record = Plugin(name=name, distribution="(registered directly)", version="", module=module)
        _register(loaded, record, plugin_object)
    return loaded


def load_installed() -> LoadedPlugins:
    """Load every installed plugin, in a fixed order, honouring the allow and block lists."""
    loaded = LoadedPlugins(new_manager(), [])
    for entry_point, distribution in _entry_points():
        if not _wanted(entry_point.name, distribution.metadata["Name"]):
            continue
        record = Plugin(
            name=entry_point.name,
            distribution=distribution.metadata["Name"],
            version=distribution.version,
            module=entry_point.value,
        )
        try:
            plugin_object = entry_point.load()
        except Exception as error:
            record.error = f"import failed: {describe_error(error)}"
            loaded.plugins.append(record)
            continue
        _register(loaded, record, plugin_object)
    return loaded


def _register(loaded: LoadedPlugins, record: Plugin, plugin_object: object) -> None:
    loaded.plugins.append(record)
    try:
        loaded.manager.register(plugin_object, name=record.name)
        loaded.manager.check_pending()
    except Exception as error:
        if loaded.manager.is_registered(plugin_object):
            loaded.manager.unregister(plugin_object)
        record.error = f"invalid hooks: {' '.join(str(error).split())}"


def describe_error(error: BaseException) -> str:
    """`Type: message` on one line (some errors, pydantic's among them, span several)."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def _entry_points() -> list[tuple[metadata.EntryPoint, metadata.Distribution]]:
    """Entry points of the group with their distributions, de-duplicated and sorted."""
    found: dict[tuple[str, str], tuple[metadata.EntryPoint, metadata.Distribution]] = {}
    for distribution in metadata.distributions():
        for entry_point in distribution.entry_points:
            if entry_point.group == ENTRY_POINT_GROUP:
                key = (str(distribution.metadata["Name"]).lower(), entry_point.name)
                found.setdefault(key, (entry_point, distribution))
    return [found[key] for key in sorted(found)]


def _names(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {name.strip().lower() for name in value.split(",") if name.strip()}


def _wanted(entry_point_name: str, distribution_name: str) -> bool:
    names = {entry_point_name.lower(), distribution_name.lower()}
    only = _names(LOAD_ONLY_ENV)
    if only is not None and not names & only:
        return False
    blocked = _names(DISABLE_ENV) or set()
    return not names & blocked
