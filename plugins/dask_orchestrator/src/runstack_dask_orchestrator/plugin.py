"""The module runstack loads through the `runstack` entry point: it only declares the flavor.

It imports the config model and nothing heavy (not Dask); the orchestrator itself is
named by its import path and loaded when a component of this flavor is built.
"""

from __future__ import annotations

from runstack import hookimpl
from runstack.component_types import ComponentType
from runstack.flavors import Flavor, FlavorRegistrar
from runstack_dask_orchestrator.config import DaskOrchestratorConfig, DaskOrchestratorSettings


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    register(
        Flavor(
            name="dask",
            component_type=ComponentType.ORCHESTRATOR,
            config_class=DaskOrchestratorConfig,
            settings_class=DaskOrchestratorSettings,
            implementation="runstack_dask_orchestrator.orchestrator:DaskOrchestrator",
            description="Runs steps as tasks on a Dask cluster, independent steps in parallel.",
            local=False,
        )
    )
