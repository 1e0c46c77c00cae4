"""The local artifact store: a folder on this machine, through fsspec's local filesystem."""

from __future__ import annotations

import functools

from fsspec.implementations.local import LocalFileSystem

from runstack import paths
from runstack.components import BaseArtifactStore
from runstack_local_artifact_store.config import LocalArtifactStoreConfig


class LocalArtifactStore(BaseArtifactStore):
    config: LocalArtifactStoreConfig

    @property
    def root(self) -> str:
        return self.config.path or str(paths.local_artifacts_root(self.id))

    @functools.cached_property
    def filesystem(self) -> LocalFileSystem:
        filesystem = LocalFileSystem()
        filesystem.makedirs(self.root, exist_ok=True)
        return filesystem
