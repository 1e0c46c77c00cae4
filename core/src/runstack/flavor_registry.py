"""The flavor registry: filled only by plugins' `register_flavors` hooks."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from runstack.component_types import ComponentType
from runstack.errors import NotFoundError
from runstack.flavors import Flavor
from runstack.flavors import FlavorRegistrar as FlavorRegistrar
from runstack.plugins import LoadedPlugins, Plugin, call_registration_hook, report
from runstack.plugins import PluginWarning as PluginWarning
from runstack.registrar import Registrar, RegistrationRules

# Which distribution to install when a type has no flavor at all.
_PROVIDERS = {
    ComponentType.ORCHESTRATOR: "runstack-local-orchestrator",
    ComponentType.ARTIFACT_STORE: "runstack-local-artifact-store",
}


def install_hint(component_type: ComponentType) -> str:
    """What to install for a type that has no flavor: a known package, or any plugin."""
    provider = _PROVIDERS.get(component_type)
    return f"one with 'pip install {provider}'" if provider else "a plugin that provides one"


@dataclass(frozen=True)
class RegisteredFlavor:
    """A flavor and the plugin it came from."""

    flavor: Flavor
    plugin: Plugin


class FlavorRegistry:
    """Every installed flavor by (component type, name), and the plugins that provided them."""

    def __init__(self, plugins: LoadedPlugins) -> None:
        self.plugins = plugins
        self.entries: dict[tuple[ComponentType, str], RegisteredFlavor] = {}
        self._implementations_checked = False

        def registrar(plugin: Plugin) -> FlavorRegistrar:
            return Registrar(self.entries, plugin, _RULES)

        call_registration_hook(plugins, "register_flavors", registrar)

    def list(self, component_type: ComponentType | None = None) -> list[RegisteredFlavor]:
        """Installed flavors, by type then name."""
        return sorted(
            (e for e in self.entries.values() if component_type in (None, e.flavor.component_type)),
            key=lambda e: (e.flavor.component_type.value, e.flavor.name),
        )

    def check_implementations(self) -> None:
        """Report each flavor whose implementation (or config class) path leads nowhere against
        its plugin, once.

        Only commands that list plugins pay for this; nothing is imported.
        """
        from runstack.implementations import path_problems

        if self._implementations_checked:
            return
        self._implementations_checked = True
        for entry in self.list():
            for problem in path_problems(entry.flavor):
                report(entry.plugin, problem)

    def get(self, component_type: ComponentType, name: str) -> Flavor:
        """The flavor, or an error that lists the installed ones (or says what to install)."""
        return self.registered(component_type, name).flavor

    def registered(self, component_type: ComponentType, name: str) -> RegisteredFlavor:
        """The flavor with the plugin that provides it, or the error `get` explains."""
        entry = self.entries.get((component_type, name))
        if entry is not None:
            return entry
        known = [e.flavor.name for e in self.list(component_type)]
        if known:
            raise NotFoundError(
                f"unknown flavor {name!r} for {component_type.value}; installed: {', '.join(known)}"
            )
        raise NotFoundError(
            f"no {component_type.noun} flavor is installed, so {name!r} is unknown; "
            f"install {install_hint(component_type)}"
        )


def flavor_problem(flavor: object) -> str | None:
    if not isinstance(flavor, Flavor):
        return f"expected a runstack Flavor, got {type(flavor).__name__} {flavor!r:.60}"
    if not isinstance(flavor.component_type, ComponentType):
        return f"flavor {flavor.name!r} has type {flavor.component_type!r}, not a ComponentType"
    name = flavor.name
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        return f"flavor name {flavor.name!r} must be letters, digits, '-' or '_'"
    config = flavor.config_class
    if isinstance(config, str):
        return None  # a "module:Class" path: checked by `plugin list`, imported on first need
    if not (isinstance(config, type) and issubclass(config, BaseModel)):
        return f"flavor {flavor.name!r} has a config_class that is not a pydantic model"
    return None


_RULES: RegistrationRules[tuple[ComponentType, str], Flavor, RegisteredFlavor] = RegistrationRules(
    noun="flavor",
    problem=flavor_problem,
    key=lambda flavor: (flavor.component_type, flavor.name),
    label=lambda flavor: flavor.label,
    entry=RegisteredFlavor,
    record=lambda plugin, flavor: plugin.flavors.append(
        f"{flavor.component_type.value}:{flavor.name}"
    ),
)
