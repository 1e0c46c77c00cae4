"""The module runstack loads through the `runstack` entry point: it only declares the flavors.

It imports nothing heavy, not even the config models: those, a store and its storage library
(s3fs, adlfs or gcsfs, each an extra) are named by import path and loaded when needed.
"""

from __future__ import annotations

from runstack import hookimpl
from runstack.component_types import ComponentType
from runstack.flavors import Flavor, FlavorRegistrar

_PACKAGE = "runstack_fsspec_artifact_store"


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    for name, prefix, description in (
        ("s3", "S3", "in an S3 bucket (AWS or any S3 API)"),
        ("azure", "Azure", "in Azure Blob Storage"),
        ("gcs", "GCS", "in Google Cloud Storage"),
    ):
        register(
            Flavor(
                name=name,
                component_type=ComponentType.ARTIFACT_STORE,
                config_class=f"{_PACKAGE}.config:{prefix}ArtifactStoreConfig",
                implementation=f"{_PACKAGE}.{name}:{prefix}ArtifactStore",
                description=f"Keeps artifacts {description}.",
                local=False,
            )
        )
