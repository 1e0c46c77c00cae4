"""The module runstack loads through the `runstack` entry point: it only declares the flavor.

It imports the config model and nothing heavy; the store itself (and fsspec)
is loaded when a component of this flavor is built.
"""

from __future__ import annotations

from runstack import hookimpl
from runstack.component_types import ComponentType
from runstack.flavors import Flavor, FlavorRegistrar
from runstack_local_artifact_store.config import LocalArtifactStoreConfig


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    register(
        Flavor(
            name="local",
            component_type=ComponentType.ARTIFACT_STORE,
            config_class=LocalArtifactStoreConfig,
            implementation="runstack_local_artifact_store.store:LocalArtifactStore",
            description="Keeps artifacts in a folder on this machine.",
            local=True,
        )
    )
