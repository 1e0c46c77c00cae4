"""The `gcs` artifact store: a bucket in Google Cloud Storage, through gcsfs (the `gcs` extra)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runstack.errors import ConfigError
from runstack_fsspec_artifact_store.config import GCSArtifactStoreConfig
from runstack_fsspec_artifact_store.store import ObjectArtifactStore, first_line

if TYPE_CHECKING:
    from gcsfs.core import GCSFileSystem

# Ways of signing in gcsfs knows by name; any other token is a key, its file, or an access token.
_METHODS = frozenset({"google_default", "cloud", "anon", "cache", "browser"})


class GCSArtifactStore(ObjectArtifactStore):
    config: GCSArtifactStoreConfig
    library = "gcsfs"
    extra = "gcs"

    def _connect(self) -> GCSFileSystem:
        # The plain filesystem: gcsfs's experimental one first asks each bucket's layout over gRPC.
        from gcsfs.core import GCSFileSystem

        try:
            return GCSFileSystem(
                project=self.config.project, token=self._token(), skip_instance_cache=True
            )
        except KeyError as missing:
            raise ConfigError(
                f"artifact store {self.name!r}: token is not a complete service account key "
                f"(it has no {missing}); give the key file Google Cloud made"
            ) from None

    def _token(self) -> Any:
        """What gcsfs takes: a key's JSON as a dict; a key file checked here, since gcsfs would
        send a path it cannot open to Google as an access token."""
        if self.config.token is None:
            return None
        token = self.config.token.get_secret_value()
        if token.lstrip().startswith("{"):
            try:
                return json.loads(token)
            except json.JSONDecodeError:
                raise ConfigError(
                    f"artifact store {self.name!r}: token looks like a key's JSON but is not "
                    "valid JSON"
                ) from None
        looks_like_a_file = "/" in token or token.endswith(".json")
        if token not in _METHODS and looks_like_a_file and not Path(token).expanduser().is_file():
            raise ConfigError(f"artifact store {self.name!r}: token file {token} does not exist")
        return token

    def _probe_bucket(self, bucket: str) -> bool:
        try:
            self.filesystem.info(bucket)
        except FileNotFoundError:
            return False
        return True

    def _explain(self, error: Exception) -> str | None:
        from gcsfs.retry import HttpError
        from google.auth.exceptions import GoogleAuthError

        if isinstance(error, GoogleAuthError):
            return f"Google Cloud credentials failed: {first_line(error)}; check token and project"
        # gcsfs raises a 403 as an OSError saying "Forbidden", and a 401 as its HttpError.
        refused = str(error).startswith("Forbidden") or getattr(error, "code", None) == 401
        if isinstance(error, (OSError, HttpError)) and refused:
            return (
                f"Google Cloud Storage refused access to {self.root}: {first_line(error)}; "
                "check token and the bucket's permissions"
            )
        if isinstance(error, OSError) and "connect" in str(error).lower():
            return f"cannot reach Google Cloud Storage: {first_line(error)}; check the network"
        return None
