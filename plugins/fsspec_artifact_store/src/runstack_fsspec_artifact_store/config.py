"""What the `s3`, `azure` and `gcs` artifact stores accept, in the names each service's users
know (`runstack artifact-store flavor describe s3`). Credentials are secrets: stored apart,
masked in every output, and best given as `{{env.NAME}}` or `{{file:PATH}}`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, field_validator, model_validator

from runstack.flavors import FlavorConfig


class ObjectStoreConfig(FlavorConfig):
    """A `path` of the form `scheme://bucket/prefix`, checked once for every flavor."""

    example: ClassVar[str]
    """The form of `path`, scheme included: `s3://bucket/prefix`."""
    path: str

    @field_validator("path")
    @classmethod
    def _bucket_and_prefix(cls, value: str) -> str:
        """Keep `scheme://bucket/prefix` without a trailing slash; refuse a path without a
        bucket, or one a user meant for another service."""
        scheme, separator, rest = value.strip().partition("://")
        if not separator or scheme != cls.example.partition("://")[0]:
            raise ValueError(f"must look like {cls.example}")
        parts = rest.rstrip("/").split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"must look like {cls.example}, without empty, '.' or '..' parts")
        if any(character.isspace() or character == "\0" for character in rest):
            raise ValueError("must not contain spaces or NUL bytes")
        return f"{scheme}://{'/'.join(parts)}"


class S3ArtifactStoreConfig(ObjectStoreConfig):
    example = "s3://bucket/prefix"
    path: str = Field(description="Bucket and prefix: s3://bucket/prefix. The bucket must exist.")
    endpoint_url: str | None = Field(
        default=None,
        description="Another S3 API than AWS's (MinIO, Ceph, moto): http://host:port.",
    )
    region: str | None = Field(default=None, description="AWS region, for example eu-west-1.")
    key: SecretStr | None = Field(
        default=None,
        description="Access key id; default: AWS's usual chain (environment, ~/.aws, role).",
    )
    secret: SecretStr | None = Field(default=None, description="Secret access key.")

    @field_validator("endpoint_url")
    @classmethod
    def _a_url(cls, value: str | None) -> str | None:
        """Refuse at registration what botocore would refuse at the first request."""
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must look like http://host:port or https://host")
        return value


class AzureArtifactStoreConfig(ObjectStoreConfig):
    example = "az://container/prefix"
    path: str = Field(
        description="Container and prefix: az://container/prefix. The container must exist."
    )
    account_name: str | None = Field(default=None, description="Storage account name.")
    account_key: SecretStr | None = Field(
        default=None,
        description="Storage account key; without it, Azure's default credential is used.",
    )
    connection_string: SecretStr | None = Field(
        default=None,
        description="Connection string, instead of account_name and account_key.",
    )

    @model_validator(mode="after")
    def _one_way_in(self) -> AzureArtifactStoreConfig:
        """A store signs in one way: by connection string, or by account (and key)."""
        if self.connection_string is not None:
            if self.account_name is not None or self.account_key is not None:
                raise ValueError("give connection_string alone, or account_name (and account_key)")
        elif self.account_name is None:
            raise ValueError("give account_name (and account_key), or connection_string")
        return self


class GCSArtifactStoreConfig(ObjectStoreConfig):
    example = "gs://bucket/prefix"
    path: str = Field(description="Bucket and prefix: gs://bucket/prefix. The bucket must exist.")
    project: str | None = Field(default=None, description="Google Cloud project id.")
    token: SecretStr | None = Field(
        default=None,
        description=(
            "A service account key (its JSON, or its file's path), or google_default, cloud "
            "or anon; default: Google's application default credentials."
        ),
    )
