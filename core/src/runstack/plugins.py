"""Finding and loading plugins: entry points of the `runstack` group, one at a time.

pluggy's own `load_setuptools_entrypoints` lets one broken plugin's import
error escape and take every command down; here each plugin is loaded on its
own, and a failure is recorded with its distribution and the real error.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import pluggy

from runstack import builtin, hookspecs
from runstack.entry_points import (
    CORE_DISTRIBUTION,
    InstalledEntryPoints,
    installed_entry_points,
)
from runstack.errors import PluginError

BUILTIN_PLUGIN = "runstack.builtin"
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
    materializers: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"{self.distribution} {self.version}".strip()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for `plugin list` and `status`."""
        return asdict(self)


@dataclass
class LoadedPlugins:
    """The plugin manager with every plugin registered on it, and what each one did.

    `plugins` lists the installed (or directly registered) plugins users see in
    `plugin list`; runstack's own plugin is registered on the manager too, as `builtin`.
    """

    manager: pluggy.PluginManager
    plugins: list[Plugin]
    builtin: Plugin | None = None

    def by_name(self, name: str) -> Plugin:
        return next(p for p in [self.builtin, *self.plugins] if p is not None and p.name == name)


class PluginWarning(UserWarning):
    """A plugin failed to load or registered something unusable; runstack carries on without it."""


def new_manager() -> pluggy.PluginManager:
    """A manager that knows runstack's hooks and no plugins yet."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def strict() -> bool:
    """In strict mode (for CI) a broken plugin raises instead of warning."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes"}


def register_objects(objects: Iterable[tuple[str, object]]) -> LoadedPlugins:
    """Register plugin objects directly (tests, embedding) on a fresh manager, after the builtin."""
    found = []
    for name, plugin_object in objects:
        module = getattr(plugin_object, "__name__", type(plugin_object).__name__)
        record = Plugin(name=name, distribution="(registered directly)", version="", module=module)
        found.append((record, plugin_object))
    return _loaded(found, installed_entry_points())


def load_installed() -> LoadedPlugins:
    """Load every installed plugin, in a fixed order, honouring the allow and block lists."""
    installed = installed_entry_points()
    found: list[tuple[Plugin, object | None]] = []
    for entry_point in installed.entry_points:
        if not _wanted(entry_point.name, entry_point.distribution):
            continue
        record = Plugin(
            name=entry_point.name,
            distribution=entry_point.distribution,
            version=entry_point.version,
            module=entry_point.value,
        )
        try:
            found.append((record, entry_point.load()))
        except Exception as error:
            report(record, f"import failed: {describe_error(error)}")
            found.append((record, None))
    return _loaded(found, installed)


def _loaded(
    found: list[tuple[Plugin, object | None]], installed: InstalledEntryPoints
) -> LoadedPlugins:
    """A fresh manager on which pluggy calls runstack's own plugin first, then the others in
    the order given (a hook marked `tryfirst` or `trylast` moves as pluggy says).

    pluggy calls the plugin registered last first, so they are registered in reverse.
    runstack's own plugin (the built-in materializers) is not subject to the allow
    and block lists: without it no step output could be saved.
    """
    builtin_record = Plugin(
        BUILTIN_PLUGIN, CORE_DISTRIBUTION, installed.core_version, builtin.__name__
    )
    manager = new_manager()
    for record, plugin_object in reversed(found):
        if plugin_object is not None:
            _register(manager, record, plugin_object)
    manager.register(builtin, name=builtin_record.name)
    return LoadedPlugins(manager, [record for record, _ in found], builtin=builtin_record)


def _register(manager: pluggy.PluginManager, record: Plugin, plugin_object: object) -> None:
    try:
        manager.register(plugin_object, name=record.name)
        manager.check_pending()
        _refuse_wrappers(manager, plugin_object)
    except Exception as error:
        if manager.is_registered(plugin_object):
            manager.unregister(plugin_object)
        report(record, f"invalid hooks: {' '.join(str(error).split())}")


def _refuse_wrappers(manager: pluggy.PluginManager, plugin_object: object) -> None:
    """Registration hooks are called one plugin at a time, so a wrapper would wrap nothing."""
    for caller in manager.get_hookcallers(plugin_object) or []:
        for implementation in caller.get_hookimpls():
            if implementation.plugin is plugin_object and (
                implementation.wrapper or implementation.hookwrapper
            ):
                marker = "wrapper=True" if implementation.wrapper else "hookwrapper=True"
                raise ValueError(
                    f"its {caller.name} hook is a wrapper ({marker}), which runstack does not "
                    "call; drop the wrapper marker and call register(...) directly"
                )


def call_registration_hook(
    loaded: LoadedPlugins, hook: str, registrar: Callable[[Plugin], object]
) -> None:
    """Call `hook(register=registrar(plugin))` of every plugin implementing it, in pluggy's order.

    A hook that raises is reported against its plugin, which keeps whatever it
    registered before; in strict mode the error is raised instead.
    """
    # pluggy keeps implementations in the reverse of the order it calls them in.
    for implementation in reversed(getattr(loaded.manager.hook, hook).get_hookimpls()):
        plugin = loaded.by_name(implementation.plugin_name)
        try:
            implementation.function(register=registrar(plugin))
        except PluginError:
            raise  # strict mode: the registrar already reported this plugin's problem
        except Exception as error:
            report(plugin, f"its {hook} hook raised {describe_error(error)}")


def report(plugin: Plugin, problem: str) -> None:
    """Record a plugin's problem (`plugin list` shows it) and warn about it."""
    plugin.error = "; ".join(filter(None, [plugin.error, problem]))
    warn(plugin, problem)


def warn(plugin: Plugin, problem: str) -> None:
    """One warning naming the plugin and its package; in strict mode a `PluginError`."""
    message = f"plugin {plugin.name!r} from {plugin.origin}: {problem}"
    if strict():
        raise PluginError(message)
    warnings.warn(message, PluginWarning, stacklevel=3)


def describe_error(error: BaseException) -> str:
    """`Type: message` on one line (some errors, pydantic's among them, span several)."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


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
