"""The local artifact store against the contract every artifact store flavor must pass."""

from __future__ import annotations

from pathlib import Path

from runstack import Client
from runstack.components import BaseArtifactStore
from runstack.flavors import Flavor
from runstack.testing import assert_artifact_store_contract, assert_flavor_contract
from runstack_local_artifact_store.plugin import register_flavors


def registered_flavors() -> list[Flavor]:
    flavors: list[Flavor] = []
    register_flavors(register=flavors.append)
    return flavors


def build(client: Client, name: str) -> BaseArtifactStore:
    store = client.build_component(client.get_component("artifact_store", name))
    assert isinstance(store, BaseArtifactStore)
    return store


def test_flavor_meets_the_contract() -> None:
    [flavor] = registered_flavors()
    assert (flavor.component_type.value, flavor.name) == ("artifact_store", "local")
    assert_flavor_contract(flavor)


def test_store_at_a_given_path_meets_the_contract(tmp_path: Path) -> None:
    client = Client()
    client.register_component("artifact_store", "mine", "local", {"path": str(tmp_path / "a")})
    store = build(client, "mine")
    assert store.root == str(tmp_path / "a")
    assert_artifact_store_contract(store)
    with store.open("x/y.txt", "wb") as stream:
        stream.write(b"hello")
    assert (tmp_path / "a" / "x" / "y.txt").read_bytes() == b"hello"


def test_default_store_lives_under_runstack_home(runstack_home: Path) -> None:
    client = Client()
    store = build(client, "default")
    component_id = client.get_component("artifact_store", "default").id
    assert Path(store.root) == runstack_home / "artifact_stores" / component_id
    assert_artifact_store_contract(store)


def test_relative_path_is_made_absolute_at_registration(
    tmp_path: Path, monkeypatch: object
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.chdir(tmp_path)
    component = Client().register_component("artifact_store", "rel", "local", {"path": "data"})
    assert component.config == {"path": str(tmp_path / "data")}
