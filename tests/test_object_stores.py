"""Artifact stores on object stores: a `memory://` store written as a third-party author would,
from CONTRIBUTING alone, run through a stack; and what the contract kit catches."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from runstack import BaseArtifactStore, Client, FlavorConfig, RunstackError, pipeline, step
from runstack.errors import NotFoundError
from runstack.testing import (
    assert_artifact_store_contract,
    assert_flavor_contract,
    count_filesystem_writes,
)

MEMORY_CONFIG = """
from pydantic import Field

from runstack import FlavorConfig


class MemoryArtifactStoreConfig(FlavorConfig):
    path: str = Field(description="Bucket and prefix, for example memory://bucket/runs.")
"""

MEMORY_PLUGIN = """
from runstack import Flavor, hookimpl
from runstack.component_types import ComponentType
from runstack.flavor_registry import FlavorRegistrar
from runstack_memory.config import MemoryArtifactStoreConfig


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    register(
        Flavor(
            name="memory",
            component_type=ComponentType.ARTIFACT_STORE,
            config_class=MemoryArtifactStoreConfig,
            implementation="runstack_memory.store:MemoryArtifactStore",
            description="Keeps artifacts in this process's memory, as keys in buckets.",
            local=True,
        )
    )
"""

MEMORY_STORE = """
import functools

from fsspec.implementations.memory import MemoryFileSystem

from runstack import BaseArtifactStore


class MemoryArtifactStore(BaseArtifactStore):
    object_store = True

    @property
    def root(self) -> str:
        return self.config.path

    @functools.cached_property
    def filesystem(self) -> MemoryFileSystem:
        return MemoryFileSystem()
"""


@pytest.fixture
def memory_plugin(install_plugin: Callable[..., Path]) -> Path:
    """Install `runstack-memory`, a third-party plugin with a `memory` artifact store flavor."""
    return install_plugin(
        "runstack-memory",
        {
            "runstack_memory.__init__": "",
            "runstack_memory.config": MEMORY_CONFIG,
            "runstack_memory.plugin": MEMORY_PLUGIN,
            "runstack_memory.store": MEMORY_STORE,
        },
        entry_points={"memory": "runstack_memory.plugin"},
    )


@pytest.fixture
def new_bucket() -> Iterator[Callable[..., str]]:
    """Names of buckets no other test uses (memory:// is shared by the whole process);
    `new_bucket(create=True)` makes one, as `aws s3 mb` would. All are removed afterwards."""
    memory = MemoryFileSystem()
    names: list[str] = []

    def make(create: bool = False) -> str:
        names.append(f"bucket-{uuid.uuid4().hex[:12]}")
        if create:
            memory.mkdir(names[-1])
        return names[-1]

    yield make
    for name in names:
        if memory.exists(name):
            memory.rm(name, recursive=True)


def memory_store(client: Client, name: str, bucket: str) -> BaseArtifactStore:
    client.register_component("artifact_store", name, "memory", {"path": f"memory://{bucket}/r"})
    store = client.build_component(client.get_component("artifact_store", name))
    assert isinstance(store, BaseArtifactStore)
    return store


@step
def numbers(count: int) -> list[int]:
    return list(range(count))


@step
def described(values: list[int]) -> dict[str, Any]:
    return {"total": sum(values), "count": len(values)}


@pipeline
def summary(count: int = 4) -> None:
    described(numbers(count=count))


def test_a_memory_store_meets_the_artifact_store_contract(
    memory_plugin: Path, new_bucket: Callable[..., str]
) -> None:
    client = Client()
    assert_flavor_contract(client.get_flavor("artifact_store", "memory"))
    store = memory_store(client, "mem", new_bucket(create=True))
    assert_artifact_store_contract(store, missing_bucket=memory_store(client, "typo", new_bucket()))


def test_a_pipeline_on_a_memory_store_uploads_each_file_once(
    memory_plugin: Path, new_bucket: Callable[..., str]
) -> None:
    client = Client()
    bucket = new_bucket(create=True)
    memory_store(client, "mem", bucket)
    client.register_stack("in_memory", {"orchestrator": "default", "artifact_store": "mem"})
    client.set_active_stack("in_memory")

    # Every instance: steps run in threads, and fsspec caches one filesystem per thread.
    with count_filesystem_writes(MemoryFileSystem) as writes:
        run = summary(count=4)

    assert run.steps["described"].outputs["output"].load() == {"total": 6, "count": 4}
    files = MemoryFileSystem().find(bucket)
    assert files, "the run wrote nothing to the bucket"
    assert not [name for name in files if ".partial" in name]
    # One upload per file: no temporary copy, no COPY and DELETE to rename it, no folders.
    assert writes == ["put_file"] * len(files)


def test_a_write_under_a_missing_bucket_fails_naming_it_and_creates_no_bucket(
    memory_plugin: Path, new_bucket: Callable[..., str]
) -> None:
    client = Client()
    typo = new_bucket()
    store = memory_store(client, "typo", typo)
    missing = pytest.raises(NotFoundError, match=f"bucket '{typo}'.*does not exist")
    with missing, store.open("a/value.json", "w") as stream:
        stream.write("{}")
    with pytest.raises(NotFoundError, match=f"bucket '{typo}'"):
        store.makedirs("a")
    assert not MemoryFileSystem().exists(typo)

    client.register_stack("typo", {"orchestrator": "default", "artifact_store": "typo"})
    client.set_active_stack("typo")
    with pytest.raises(RunstackError, match=f"bucket '{typo}'"):
        summary()
    assert not MemoryFileSystem().exists(typo)


# -- what the contract kit catches ------------------------------------------------------


class FolderConfig(FlavorConfig):
    path: str


class RootedStore(BaseArtifactStore):
    """A store rooted where its config says; subclasses choose the filesystem."""

    config: FolderConfig

    @property
    def root(self) -> str:
        return self.config.path


class FolderStore(RootedStore):
    """A store on fsspec's local filesystem that never checks symbolic links."""

    @property
    def filesystem(self) -> LocalFileSystem:
        return LocalFileSystem()


class UndeclaredMemoryStore(RootedStore):
    """A store on an object store that does not say it is one."""

    @property
    def filesystem(self) -> MemoryFileSystem:
        return MemoryFileSystem()


def test_the_contract_catches_a_link_that_leads_out_of_a_local_store(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    store = FolderStore(id="1", name="folder", config=FolderConfig(path=str(tmp_path / "root")))
    with pytest.raises(AssertionError, match="symbolic link"):
        assert_artifact_store_contract(store)


def test_the_contract_catches_an_object_store_that_creates_buckets(
    new_bucket: Callable[..., str],
) -> None:
    def build(bucket: str) -> UndeclaredMemoryStore:
        return UndeclaredMemoryStore(
            id=bucket, name=bucket, config=FolderConfig(path=f"memory://{bucket}/r")
        )

    typo = new_bucket()
    with pytest.raises(AssertionError, match=f"missing bucket {typo!r} created it"):
        assert_artifact_store_contract(build(new_bucket(create=True)), missing_bucket=build(typo))


def test_the_contract_of_an_object_store_needs_a_missing_bucket(
    memory_plugin: Path, new_bucket: Callable[..., str]
) -> None:
    store = memory_store(Client(), "mem", new_bucket(create=True))
    with pytest.raises(AssertionError, match="missing_bucket="):
        assert_artifact_store_contract(store)


class RefusingMemoryStore(RootedStore):
    """An object store whose service refuses to say whether the bucket exists."""

    object_store = True

    @property
    def filesystem(self) -> MemoryFileSystem:
        return MemoryFileSystem()

    def _has_bucket(self, bucket: str) -> bool:
        raise PermissionError(f"access to {bucket} refused")


def test_an_object_store_says_how_its_bucket_is_looked_at_and_its_error_stops_the_write(
    new_bucket: Callable[..., str],
) -> None:
    # s3fs's `exists` answers False for a refused key or an unreachable endpoint, which would
    # pass for a missing bucket: a store asks in its own way, and its error is the write's.
    bucket = new_bucket(create=True)
    store = RefusingMemoryStore(id="1", name="s", config=FolderConfig(path=f"memory://{bucket}/r"))
    with pytest.raises(PermissionError, match="refused"), store.open("a.json", "w") as stream:
        stream.write("{}")
    assert MemoryFileSystem().find(bucket) == []
