"""The module runstack loads through the `runstack` entry point: it only declares the flavor.

It imports nothing heavy (not Dask, not even the config models): the config, settings and
orchestrator classes are named by their import paths and loaded when a command needs them.
"""

from __future__ import annotations

from runstack import hookimpl
from runstack.component_types import ComponentType
from runstack.flavors import Flavor, FlavorRegistrar


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    register(
        Flavor(
            name="dask",
            component_type=ComponentType.ORCHESTRATOR,
            config_class="runstack_dask_orchestrator.config:DaskOrchestratorConfig",
            settings_class="runstack_dask_orchestrator.config:DaskOrchestratorSettings",
            implementation="runstack_dask_orchestrator.orchestrator:DaskOrchestrator",
            description="Runs steps as tasks on a Dask cluster, independent steps in parallel.",
            local=False,
        )
    )
