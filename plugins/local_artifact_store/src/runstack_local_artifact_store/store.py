"""The local artifact store: a folder on this machine, through fsspec's local filesystem.

Reads, writes and renames go straight to the operating system: they are on
every step's path, and real file objects let numpy stream arrays without copies.
"""

from __future__ import annotations

import functools
import os
from typing import IO, TYPE_CHECKING, Any

from runstack import paths
from runstack.components import BaseArtifactStore
from runstack.components.artifact_store import PARTIAL_SUFFIX
from runstack_local_artifact_store.config import LocalArtifactStoreConfig

if TYPE_CHECKING:
    from fsspec.implementations.local import LocalFileSystem


class LocalArtifactStore(BaseArtifactStore):
    config: LocalArtifactStoreConfig

    @functools.cached_property
    def root(self) -> str:
        return self.config.path or str(paths.local_artifacts_root(self.id))

    def __getstate__(self) -> dict[str, Any]:
        # Pickled for a worker (another process, perhaps another RUNSTACK_HOME): the folder
        # travels resolved, so the worker writes where this process reads.
        _ = self.root
        return {key: value for key, value in self.__dict__.items() if key != "filesystem"}

    @functools.cached_property
    def filesystem(self) -> LocalFileSystem:
        # Imported on first use (ls, glob, rm): importing fsspec is slow, and a
        # step's reads and writes go through the os calls below instead.
        from fsspec.implementations.local import LocalFileSystem

        filesystem = LocalFileSystem()
        filesystem.makedirs(self.root, exist_ok=True)
        return filesystem

    @functools.cached_property
    def _real_root(self) -> str:
        return os.path.realpath(self.root)

    def _leaves_root(self, full_path: str) -> bool:
        # One realpath per call: a link under the root must not lead a read or a write out.
        real = os.path.realpath(full_path)
        root = self._real_root
        return real != root and not real.startswith(root.rstrip(os.sep) + os.sep)

    def _open_file(self, path: str, mode: str) -> IO[Any]:
        return open(path, mode)

    def _replace(self, source: str, target: str) -> None:
        os.replace(source, target)

    def _ensure_folder(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)

    def _exists(self, path: str) -> bool:
        return os.path.exists(path)

    def _size(self, path: str) -> int:
        return os.path.getsize(path)

    def _file_sizes(self, path: str) -> dict[str, int]:
        # scandir and string joins rather than os.walk and relpath: this runs for every
        # output a step saves.
        sizes: dict[str, int] = {}
        folders = [(path, "")]
        while folders:
            folder, prefix = folders.pop()
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir():
                        if not entry.is_symlink():  # as os.walk: links to folders are not entered
                            folders.append((entry.path, f"{prefix}{entry.name}/"))
                    elif not entry.name.endswith(PARTIAL_SUFFIX):
                        sizes[prefix + entry.name] = entry.stat().st_size
        return sizes

    def _disk_usage(self, path: str) -> int:
        if os.path.isfile(path):
            return os.path.getsize(path)
        return sum(
            os.path.getsize(os.path.join(folder, name))
            for folder, _, names in os.walk(path)
            for name in names
        )
