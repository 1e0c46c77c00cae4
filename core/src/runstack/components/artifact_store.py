"""What an artifact store does: files under one root, through an fsspec filesystem.

Every path given to these methods is relative to the store's root; a path that
would leave the root is refused, and writes become visible only when complete:
on a file system through a temporary file and a rename, on an object store through
one upload of the whole file (see `BaseArtifactStore.object_store`).
"""

from __future__ import annotations

import posixpath
import uuid
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, ClassVar

from runstack.components.base import BaseComponent
from runstack.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

PARTIAL_SUFFIX = ".partial"


class BaseArtifactStore(BaseComponent):
    """A rooted, fsspec-shaped file API; subclasses say which filesystem and which root."""

    object_store: ClassVar[bool] = False
    """True for a store on an object store (S3, GCS, Azure Blob, `memory://`), where a key
    appears only once its upload completes and folders do not exist: each file is then
    written to a local temporary file and uploaded whole in one `put_file` (not written as
    `.partial` and renamed, which costs a PUT, a COPY and a DELETE), a failed write uploads
    nothing, and no folder or bucket is ever created; the root's bucket must exist."""

    _bucket_exists = False

    @property
    @abstractmethod
    def root(self) -> str:
        """The store's root, in the filesystem's own path syntax."""

    @property
    @abstractmethod
    def filesystem(self) -> AbstractFileSystem:
        """The fsspec filesystem the root lives on."""

    def describe(self) -> dict[str, Any]:
        return {"root": self.root}

    @property
    def location(self) -> str:
        return self.root

    def path(self, relative: str) -> str:
        """The full path of `relative` under the root; refuses absolute paths, `..` and
        symbolic links that lead out of the root."""
        normalised = posixpath.normpath(relative.replace("\\", "/"))
        if relative.startswith(("/", "\\")) or normalised == ".." or normalised.startswith("../"):
            raise ConfigError(
                f"artifact path {relative!r} leaves the artifact store; "
                "use a path relative to its root"
            )
        full = self.root if normalised == "." else posixpath.join(self.root, normalised)
        if self._leaves_root(full):
            raise ConfigError(
                f"artifact path {relative!r} leaves the artifact store through a symbolic "
                "link; remove the link or use a path that stays under the store's root"
            )
        return full

    def _leaves_root(self, full_path: str) -> bool:
        """Whether a path under the root really points elsewhere (a store on a filesystem
        with symbolic links checks them here; object stores have none)."""
        return False

    @property
    def bucket(self) -> str:
        """An object store's bucket (a container on Azure): the first part of the root."""
        return str(self.filesystem._strip_protocol(self.root)).strip("/").split("/")[0]

    @contextmanager
    def open(self, relative: str, mode: str = "rb") -> Iterator[IO[Any]]:
        """Open a file; in a write mode the file appears under its name only once closed."""
        target = self.path(relative)
        if not any(flag in mode for flag in "wax"):
            with self._open_file(target, mode) as stream:
                yield stream
            return
        if self.object_store:
            with self._upload_when_closed(target, mode) as stream:
                yield stream
            return
        self._ensure_folder(posixpath.dirname(target))
        partial = f"{target}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}"
        try:
            with self._open_file(partial, mode) as stream:
                yield stream
            self._replace(partial, target)
        except BaseException:
            if self._exists(partial):
                self.filesystem.rm(partial)
            raise

    @contextmanager
    def _upload_when_closed(self, target: str, mode: str) -> Iterator[IO[Any]]:
        """Write locally, then upload the whole file: nothing is sent if the write fails."""
        import tempfile
        from pathlib import Path

        self._check_bucket()
        with tempfile.TemporaryDirectory(prefix="runstack-upload-") as folder:
            local = Path(folder) / "file"
            with local.open(mode) as stream:
                yield stream
            self.filesystem.put_file(str(local), target)

    def _check_bucket(self) -> None:
        """Refuse a root whose bucket is missing, once per store, rather than create it:
        `makedirs` on s3fs creates buckets, so a typo in the root would make a new one."""
        if self._bucket_exists:
            return
        bucket = self.bucket
        if not self._has_bucket(bucket):
            raise NotFoundError(
                f"bucket {bucket!r} of artifact store {self.name!r} (root {self.root}) does "
                "not exist; create the bucket, or correct the store's root"
            )
        self._bucket_exists = True

    def exists(self, relative: str) -> bool:
        return self._exists(self.path(relative))

    def makedirs(self, relative: str) -> None:
        self._ensure_folder(self.path(relative))

    def ls(self, relative: str = ".") -> list[str]:
        """Names under a folder, relative to the root, sorted; unfinished writes are hidden."""
        entries = self.filesystem.ls(self.path(relative), detail=False)
        return sorted(
            self._relative(entry) for entry in entries if not str(entry).endswith(PARTIAL_SUFFIX)
        )

    def glob(self, pattern: str) -> list[str]:
        matches = self.filesystem.glob(self.path(pattern))
        return sorted(self._relative(m) for m in matches if not str(m).endswith(PARTIAL_SUFFIX))

    def size(self, relative: str) -> int:
        """Bytes of one file; `FileNotFoundError` when it is not there."""
        return self._size(self.path(relative))

    def file_sizes(self, relative: str) -> dict[str, int]:
        """Every file under a folder, by its path relative to the folder, with its size."""
        return self._file_sizes(self.path(relative))

    def disk_usage(self, relative: str) -> int:
        """Bytes used by a file, or by everything under a folder."""
        return self._disk_usage(self.path(relative))

    def rm(self, relative: str, recursive: bool = False) -> None:
        self.filesystem.rm(self.path(relative), recursive=recursive)

    # The primitives above are built on; a store may swap in faster native calls
    # (the local store uses the operating system's directly).

    def _open_file(self, path: str, mode: str) -> IO[Any]:
        return self.filesystem.open(path, mode)  # type: ignore[no-any-return]

    def _replace(self, source: str, target: str) -> None:
        self.filesystem.mv(source, target)

    def _ensure_folder(self, path: str) -> None:
        if self.object_store:
            self._check_bucket()  # object stores have no folders to make
        else:
            self.filesystem.makedirs(path, exist_ok=True)

    def _exists(self, path: str) -> bool:
        return bool(self.filesystem.exists(path))

    def _has_bucket(self, bucket: str) -> bool:
        """Whether an object store's bucket exists. Override it where the filesystem's
        `exists` hides errors (s3fs answers False when the endpoint is unreachable or the
        credentials are refused): answer False only for a missing bucket, raise otherwise."""
        return bool(self.filesystem.exists(bucket))

    def _disk_usage(self, path: str) -> int:
        return int(self.filesystem.du(path, total=True))

    def _size(self, path: str) -> int:
        return int(self.filesystem.size(path))

    def _file_sizes(self, path: str) -> dict[str, int]:
        folder = str(self.filesystem._strip_protocol(path)).rstrip("/")
        found = self.filesystem.find(path, detail=True)
        return {
            posixpath.relpath(name, folder): int(info["size"])
            for name, info in found.items()
            if not name.endswith(PARTIAL_SUFFIX)
        }

    def _relative(self, full_path: str) -> str:
        root = self.filesystem._strip_protocol(self.root).rstrip("/")
        stripped = self.filesystem._strip_protocol(full_path)
        return posixpath.relpath(str(stripped), str(root))
