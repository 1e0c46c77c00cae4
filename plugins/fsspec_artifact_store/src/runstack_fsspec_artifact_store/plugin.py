"""The module runstack loads through the `runstack` entry point: it only declares the flavors.

It imports the config models and nothing heavy; a store and its storage library (s3fs,
adlfs or gcsfs, each an extra) are loaded when a component of its flavor is used.
"""

from __future__ import annotations

from runstack import hookimpl
from runstack.component_types import ComponentType
from runstack.flavors import Flavor, FlavorRegistrar
from runstack_fsspec_artifact_store.config import (
    AzureArtifactStoreConfig,
    GCSArtifactStoreConfig,
    S3ArtifactStoreConfig,
)

_PACKAGE = "runstack_fsspec_artifact_store"


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    for name, config_class, implementation, description in (
        ("s3", S3ArtifactStoreConfig, "s3:S3ArtifactStore", "in an S3 bucket (AWS or any S3 API)"),
        ("azure", AzureArtifactStoreConfig, "azure:AzureArtifactStore", "in Azure Blob Storage"),
        ("gcs", GCSArtifactStoreConfig, "gcs:GCSArtifactStore", "in Google Cloud Storage"),
    ):
        register(
            Flavor(
                name=name,
                component_type=ComponentType.ARTIFACT_STORE,
                config_class=config_class,
                implementation=f"{_PACKAGE}.{implementation}",
                description=f"Keeps artifacts {description}.",
                local=False,
            )
        )
