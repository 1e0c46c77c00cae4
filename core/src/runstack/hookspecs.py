"""Every hook a runstack plugin can implement, in one place.

A plugin module (named by an entry point in the `runstack` group) implements
hooks by decorating functions with `runstack.hookimpl`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from runstack.flavors import FlavorRegistrar
    from runstack.materializers.base import MaterializerRegistrar

PROJECT_NAME = "runstack"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_flavors(register: FlavorRegistrar) -> None:
    """Called once per process, the first time a command needs flavors.

    Call `register(Flavor(...))` once for each flavor the plugin provides. Keep
    the plugin module cheap to import: name the implementation class as a
    `"module:Class"` string so it is imported only when a component is built.
    """


@hookspec
def register_materializers(register: MaterializerRegistrar) -> None:
    """Called once per process, the first time runstack picks or needs a materializer.

    Call `register(MyMaterializer)` (a `runstack.materializers.Materializer`
    subclass or instance) for each materializer the plugin provides; its
    `handles` names the types it saves. Import the libraries it needs inside
    `save` and `load`, so that loading the plugin stays cheap.
    """
