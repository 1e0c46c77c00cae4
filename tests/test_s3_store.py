"""An S3 artifact store on s3fs, written as a third-party plugin from CONTRIBUTING, against a
real S3 API on this machine (moto's server): the requests each file costs, and no bucket made
by a typo in the root."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from runstack import BaseArtifactStore, Client, RunstackError, pipeline, step
from runstack.errors import NotFoundError
from runstack.testing import assert_artifact_store_contract, assert_flavor_contract

S3_CONFIG = """
from pydantic import Field

from runstack import FlavorConfig


class S3ArtifactStoreConfig(FlavorConfig):
    path: str = Field(description="Bucket and prefix, for example s3://bucket/runs.")
    endpoint_url: str | None = Field(default=None, description="Another S3 API than AWS's.")
"""

S3_PLUGIN = """
from runstack import Flavor, hookimpl
from runstack.component_types import ComponentType
from runstack.flavor_registry import FlavorRegistrar
from runstack_s3.config import S3ArtifactStoreConfig


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    register(
        Flavor(
            name="s3",
            component_type=ComponentType.ARTIFACT_STORE,
            config_class=S3ArtifactStoreConfig,
            implementation="runstack_s3.store:S3ArtifactStore",
            description="Keeps artifacts in an S3 bucket.",
            local=False,
        )
    )
"""

S3_STORE = """
import functools

import s3fs

from runstack import BaseArtifactStore


class S3ArtifactStore(BaseArtifactStore):
    object_store = True

    @property
    def root(self) -> str:
        return self.config.path

    @functools.cached_property
    def filesystem(self) -> s3fs.S3FileSystem:
        return s3fs.S3FileSystem(endpoint_url=self.config.endpoint_url, skip_instance_cache=True)
"""


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free local port, for the tests of this module."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A boto3 client of the local S3 API, with the credentials moto accepts."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return boto3.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def s3_store(
    install_plugin: Callable[..., Path], s3: Any, s3_endpoint: str
) -> Callable[[str], BaseArtifactStore]:
    """Install `runstack-s3`; the store it gives, registered and built, for a bucket."""
    install_plugin(
        "runstack-s3",
        {
            "runstack_s3.__init__": "",
            "runstack_s3.config": S3_CONFIG,
            "runstack_s3.plugin": S3_PLUGIN,
            "runstack_s3.store": S3_STORE,
        },
        entry_points={"s3": "runstack_s3.plugin"},
    )
    client = Client()

    def build(bucket: str) -> BaseArtifactStore:
        config = {"path": f"s3://{bucket}/runs", "endpoint_url": s3_endpoint}
        component = client.register_component("artifact_store", bucket, "s3", config)
        store = client.build_component(component)
        assert isinstance(store, BaseArtifactStore)
        return store

    return build


def new_bucket(s3: Any, create: bool = True) -> str:
    name = f"bucket-{uuid.uuid4().hex[:12]}"
    if create:
        s3.create_bucket(Bucket=name)
    return name


def buckets(s3: Any) -> set[str]:
    return {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}


def requests_of(store: BaseArtifactStore) -> list[str]:
    """The S3 operations the store's client sends from now on, in order."""
    sent: list[str] = []

    def record(model: Any, **_: Any) -> None:
        sent.append(model.name)

    store.filesystem.s3.meta.events.register("before-call.s3", record)
    return sent


@step
def squares(count: int) -> list[int]:
    return [n * n for n in range(count)]


@step
def total(values: list[int]) -> int:
    return sum(values)


@pipeline
def summed(count: int = 4) -> None:
    total(squares(count=count))


def test_an_s3_store_meets_the_artifact_store_contract(
    s3: Any, s3_store: Callable[[str], BaseArtifactStore]
) -> None:
    assert_flavor_contract(Client().get_flavor("artifact_store", "s3"))
    assert_artifact_store_contract(
        s3_store(new_bucket(s3)), missing_bucket=s3_store(new_bucket(s3, create=False))
    )


def test_each_file_written_to_s3_is_one_put(
    s3: Any, s3_store: Callable[[str], BaseArtifactStore]
) -> None:
    store = s3_store(new_bucket(s3))
    store.makedirs(".")  # the one look at the bucket a store makes
    sent = requests_of(store)
    for number in range(8):
        with store.open(f"artifacts/{number}/value.json", "w") as stream:
            stream.write(f"{number}")

    assert sent == ["PutObject"] * 8
    with store.open("artifacts/7/value.json", "r") as stream:
        assert stream.read() == "7"


def test_a_typo_in_the_bucket_creates_no_bucket(
    s3: Any, s3_store: Callable[[str], BaseArtifactStore]
) -> None:
    typo = new_bucket(s3, create=False)
    store = s3_store(typo)
    before = buckets(s3)
    with pytest.raises(NotFoundError, match=f"bucket '{typo}'"), store.open("a.json", "w") as f:
        f.write("{}")

    client = Client()
    client.register_stack("typo", {"orchestrator": "default", "artifact_store": typo})
    client.set_active_stack("typo")
    with pytest.raises(RunstackError, match=f"bucket '{typo}'"):
        summed()
    assert buckets(s3) == before


def test_a_pipeline_runs_on_an_s3_stack(
    s3: Any, s3_store: Callable[[str], BaseArtifactStore]
) -> None:
    bucket = new_bucket(s3)
    s3_store(bucket)
    client = Client()
    client.register_stack("on_s3", {"orchestrator": "default", "artifact_store": bucket})
    client.set_active_stack("on_s3")

    run = summed(count=4)

    assert run.steps["total"].outputs["output"].load() == 14
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys and all(key.startswith("runs/") and ".partial" not in key for key in keys)
