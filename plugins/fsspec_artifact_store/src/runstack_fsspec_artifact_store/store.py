"""What the three object-store flavors share: a root in a bucket, one upload per file, the
storage library imported on first use, and its errors told in one line naming the store."""

from __future__ import annotations

import functools
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, ClassVar

from runstack.components import BaseArtifactStore
from runstack.errors import ConfigError, RunstackError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from runstack_fsspec_artifact_store.config import ObjectStoreConfig


class StorageUnavailableError(RunstackError):
    """The storage service could not be reached, or refused the store's credentials."""


class ObjectArtifactStore(BaseArtifactStore):
    """A store in a bucket: each file is one upload (`object_store`), nothing creates a bucket,
    and a missing bucket, an unreachable endpoint or refused credentials are one-line errors."""

    object_store = True
    config: ObjectStoreConfig

    library: ClassVar[str]
    """The fsspec implementation this flavor stands on, imported on first use."""
    extra: ClassVar[str]
    """The distribution's extra that installs it."""

    _unavailable = ""

    @property
    def root(self) -> str:
        return self.config.path

    @functools.cached_property
    def filesystem(self) -> AbstractFileSystem:
        with self._explained():
            try:
                return self._connect()
            except ImportError:
                raise ConfigError(
                    f"artifact store {self.name!r} needs {self.library}: "
                    f"install runstack-fsspec-artifact-store[{self.extra}]"
                ) from None

    @abstractmethod
    def _connect(self) -> AbstractFileSystem:
        """The flavor's fsspec filesystem, its library imported here (an extra may be missing)."""

    @abstractmethod
    def _explain(self, error: Exception) -> str | None:
        """The storage library's `error` in one line for the user, or None for any other error."""

    @abstractmethod
    def _probe_bucket(self, bucket: str) -> bool:
        """Whether the bucket exists, asked so that an unreachable endpoint or refused
        credentials raise instead of passing for a missing bucket."""

    @contextmanager
    def _explained(self) -> Iterator[None]:
        """Turn the storage library's errors into one line naming this store.

        Once the service proved unreachable or refused the credentials, the store says so
        again at once: each request would retry for up to a minute (Azure's SDK does), and
        cleaning up after a failed write would wait that long for every output.
        """
        if self._unavailable:
            raise StorageUnavailableError(self._unavailable)
        try:
            yield
        except RunstackError:
            raise
        except Exception as error:
            message = self._explain(error)
            if message is None:
                raise
            self._unavailable = f"artifact store {self.name!r}: {message}"
            raise StorageUnavailableError(self._unavailable) from error

    # The primitives every file operation goes through, each with its errors explained.

    def _has_bucket(self, bucket: str) -> bool:
        with self._explained():
            return self._probe_bucket(bucket)

    def _open_file(self, path: str, mode: str) -> IO[Any]:
        with self._explained():
            return super()._open_file(path, mode)

    def _exists(self, path: str) -> bool:
        with self._explained():
            return super()._exists(path)

    def _size(self, path: str) -> int:
        with self._explained():
            return super()._size(path)

    def _file_sizes(self, path: str) -> dict[str, int]:
        with self._explained():
            return super()._file_sizes(path)

    def _disk_usage(self, path: str) -> int:
        with self._explained():
            return super()._disk_usage(path)


def first_line(error: BaseException) -> str:
    """A library's message without the request ids and XML bodies some put after it."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
