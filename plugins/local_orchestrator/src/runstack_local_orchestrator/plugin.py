"""The module runstack loads through the `runstack` entry point: it only declares the flavor.

It imports the config model and nothing heavy; the orchestrator itself is named
by its import path and loaded when a component of this flavor is built.
"""

from __future__ import annotations

from runstack import hookimpl
from runstack.component_types import ComponentType
from runstack.flavors import Flavor, FlavorRegistrar
from runstack_local_orchestrator.config import LocalOrchestratorConfig, LocalOrchestratorSettings


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    register(
        Flavor(
            name="local",
            component_type=ComponentType.ORCHESTRATOR,
            config_class=LocalOrchestratorConfig,
            settings_class=LocalOrchestratorSettings,
            implementation="runstack_local_orchestrator.orchestrator:LocalOrchestrator",
            description="Runs steps on this machine, independent steps in parallel.",
            local=True,
        )
    )
