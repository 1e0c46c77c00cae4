"""The `azure` artifact store: a container in Azure Blob Storage, through adlfs (the `azure`
extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runstack_fsspec_artifact_store.config import AzureArtifactStoreConfig
from runstack_fsspec_artifact_store.store import ObjectArtifactStore, first_line

if TYPE_CHECKING:
    from adlfs import AzureBlobFileSystem


class AzureArtifactStore(ObjectArtifactStore):
    config: AzureArtifactStoreConfig
    library = "adlfs"
    extra = "azure"

    def _connect(self) -> AzureBlobFileSystem:
        from adlfs import AzureBlobFileSystem

        config = self.config
        return AzureBlobFileSystem(
            account_name=config.account_name,
            account_key=config.account_key.get_secret_value() if config.account_key else None,
            connection_string=(
                config.connection_string.get_secret_value() if config.connection_string else None
            ),
            # Raise when a container cannot be looked at, rather than assume it exists.
            assume_container_exists=False,
            skip_instance_cache=True,
        )

    def _probe_bucket(self, bucket: str) -> bool:
        # Without retries: the SDK's retry policy spends over a minute on a refused connection.
        from azure.core.exceptions import ResourceNotFoundError
        from fsspec.asyn import sync

        filesystem = self.filesystem

        async def properties() -> None:
            async with filesystem.service_client.get_container_client(bucket) as container:
                await container.get_container_properties(retry_total=0)

        try:
            sync(filesystem.loop, properties)
        except ResourceNotFoundError:
            return False
        return True

    def _explain(self, error: Exception) -> str | None:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ServiceRequestError,
        )

        cause = error.__cause__ if isinstance(error, ValueError) and error.__cause__ else error
        where = f"Azure storage account {self._account()}"
        if isinstance(cause, ServiceRequestError):
            return f"cannot reach {where}: {first_line(cause)}; check the endpoint and the network"
        if isinstance(cause, ClientAuthenticationError) or (
            isinstance(cause, HttpResponseError) and cause.status_code in (401, 403)
        ):
            return (
                f"{where} refused access to {self.root}: {first_line(cause)}; check "
                "account_key or connection_string"
            )
        if isinstance(error, ValueError) and "connect to account" in str(error):
            return f"{first_line(error)}; check account_name, account_key or connection_string"
        return None

    def _account(self) -> str:
        """The account's name, from the config or the connection string (never its key)."""
        if self.config.account_name:
            return repr(self.config.account_name)
        assert self.config.connection_string is not None
        parts = dict(
            part.split("=", 1)
            for part in self.config.connection_string.get_secret_value().split(";")
            if "=" in part
        )
        return repr(parts.get("BlobEndpoint") or parts.get("AccountName") or "?")
