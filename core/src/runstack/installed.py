"""The installed plugins, loaded once per process: the one owner of plugin loading.

Every entry point is loaded once and both registration hooks are called at once,
so each plugin's record says everything it registered (flavors and
materializers) and every way it failed, whichever of the two a command needs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from runstack.flavor_registry import FlavorRegistry
from runstack.materializer_registry import MaterializerRegistry
from runstack.plugins import LoadedPlugins, load_installed


@dataclass(frozen=True)
class InstalledPlugins:
    """The loaded plugins and the two registries their hooks filled."""

    loaded: LoadedPlugins
    flavors: FlavorRegistry
    materializers: MaterializerRegistry


@functools.cache
def installed() -> InstalledPlugins:
    """Load the installed plugins on first call and keep them for the process."""
    loaded = load_installed()
    return InstalledPlugins(loaded, FlavorRegistry(loaded), MaterializerRegistry(loaded))
