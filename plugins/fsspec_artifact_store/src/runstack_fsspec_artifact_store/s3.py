"""The `s3` artifact store: a bucket on AWS S3 or any S3 API, through s3fs (the `s3` extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runstack_fsspec_artifact_store.config import S3ArtifactStoreConfig
from runstack_fsspec_artifact_store.store import ObjectArtifactStore, first_line

if TYPE_CHECKING:
    from s3fs import S3FileSystem


class S3ArtifactStore(ObjectArtifactStore):
    config: S3ArtifactStoreConfig
    library = "s3fs"
    extra = "s3"

    def _connect(self) -> S3FileSystem:
        from s3fs import S3FileSystem

        config = self.config
        return S3FileSystem(
            key=config.key.get_secret_value() if config.key else None,
            secret=config.secret.get_secret_value() if config.secret else None,
            endpoint_url=config.endpoint_url,
            client_kwargs={"region_name": config.region} if config.region else None,
            skip_instance_cache=True,
        )

    def _probe_bucket(self, bucket: str) -> bool:
        # One HEAD: s3fs's own `exists` answers False for any error, a refused key included.
        try:
            self.filesystem.call_s3("head_bucket", Bucket=bucket)
        except FileNotFoundError:
            return False
        return True

    def _explain(self, error: Exception) -> str | None:
        from botocore.exceptions import (
            ConnectionError,
            NoCredentialsError,
            NoRegionError,
            PartialCredentialsError,
        )

        where = self.config.endpoint_url or "AWS S3"
        if isinstance(error, ConnectionError):
            return f"cannot reach {where}: {first_line(error)}; check endpoint_url and the network"
        if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
            return (
                f"no credentials for {where}: {first_line(error)}; set key and secret, or "
                "AWS's environment variables"
            )
        if isinstance(error, NoRegionError):
            return f"{first_line(error)}; set region"
        if isinstance(error, PermissionError):
            return (
                f"{where} refused access to {self.root}: {first_line(error)}; check key, "
                "secret and the bucket's permissions"
            )
        if isinstance(error, ValueError) and "endpoint" in str(error).lower():
            return f"{first_line(error)}; check endpoint_url"
        return None
