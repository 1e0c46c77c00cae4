"""A stack that runs steps on other machines must keep its artifacts where they can reach.

A third-party `cluster` orchestrator (not local; local only when its config names no
scheduler, as a Dask LocalCluster) and a `bucket` artifact store (not local) show the
rule at every door: stack register, update, set, import, and the start of a run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runstack import Client, RunstackError, pipeline, step

CLUSTER_PLUGIN = """
from fsspec.implementations.memory import MemoryFileSystem
from pydantic import Field

from runstack import BaseArtifactStore, Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType
from runstack.components import BaseOrchestrator, TaskGraph


class ClusterConfig(FlavorConfig):
    address: str = Field(default="", description="Scheduler address; empty starts one here.")

    def is_local(self) -> bool:
        return not self.address


class ClusterOrchestrator(BaseOrchestrator):
    def execute(self, tasks, settings=None):
        return TaskGraph(tasks).run(max_parallel=1)


class BucketConfig(FlavorConfig):
    path: str = Field(description="memory://bucket/prefix")


class BucketStore(BaseArtifactStore):
    object_store = True

    @property
    def root(self):
        return self.config.path

    @property
    def filesystem(self):
        return MemoryFileSystem()


@hookimpl
def register_flavors(register):
    register(Flavor(name="cluster", component_type=ComponentType.ORCHESTRATOR,
                    config_class=ClusterConfig, implementation=ClusterOrchestrator,
                    description="Runs steps on a cluster.", local=False))
    register(Flavor(name="bucket", component_type=ComponentType.ARTIFACT_STORE,
                    config_class=BucketConfig, implementation=BucketStore,
                    description="Keeps artifacts in a bucket.", local=False))
"""

REFUSED = (
    "Error: the stack {stack!r} runs steps away from this machine (the cluster orchestrator "
    "'remote') but keeps artifacts where only this machine reaches them (the local artifact "
    "store 'default'); give it an artifact store its workers reach, e.g. 'runstack stack "
    "update {stack} -a NAME' with an s3 store"
)


@pytest.fixture
def cluster(install_plugin: Callable[..., Path], cli_ok: Callable[..., str]) -> None:
    """The plugin installed; orchestrators `remote` (has an address) and `here` (has none);
    a `bucket` store."""
    install_plugin(
        "acme-cluster",
        {"acme_cluster": CLUSTER_PLUGIN},
        entry_points={"cluster": "acme_cluster"},
    )
    cli_ok("orchestrator", "register", "remote", "-f", "cluster", "--address=tcp://10.0.0.1:8786")
    cli_ok("orchestrator", "register", "here", "-f", "cluster")
    cli_ok("artifact-store", "register", "bucket", "-f", "bucket", "--path=memory://b/runs")


def stack_names(cli_ok: Callable[..., str]) -> list[str]:
    return [stack["name"] for stack in json.loads(cli_ok("stack", "list", "-o", "json"))]


@pytest.mark.usefixtures("cluster")
def test_register_refuses_a_remote_orchestrator_with_a_local_store(
    cli_error: Callable[..., str], cli_ok: Callable[..., str]
) -> None:
    assert cli_error("stack", "register", "s", "-o", "remote", "-a", "default") == REFUSED.format(
        stack="s"
    )
    assert stack_names(cli_ok) == ["default"]


@pytest.mark.usefixtures("cluster")
def test_remote_orchestrators_work_with_remote_stores_and_local_ones_with_anything(
    cli_ok: Callable[..., str],
) -> None:
    cli_ok("stack", "register", "far", "-o", "remote", "-a", "bucket")
    cli_ok("stack", "register", "near", "-o", "here", "-a", "default")
    assert sorted(stack_names(cli_ok)) == ["default", "far", "near"]


@pytest.mark.usefixtures("cluster")
def test_update_refuses_a_local_store_for_a_remote_orchestrator(
    cli_error: Callable[..., str], cli_ok: Callable[..., str]
) -> None:
    cli_ok("stack", "register", "far", "-o", "remote", "-a", "bucket")
    refused = cli_error("stack", "update", "far", "-a", "default")
    assert refused == REFUSED.format(stack="far")
    described = json.loads(cli_ok("stack", "describe", "far", "-o", "json"))
    assert described["components"]["artifact_store"]["name"] == "bucket"


@pytest.mark.usefixtures("cluster")
def test_set_and_run_refuse_a_stack_its_orchestrator_config_made_unreachable(
    cli_error: Callable[..., str], cli_ok: Callable[..., str]
) -> None:
    cli_ok("stack", "register", "near", "-o", "here", "-a", "default", "--set")
    cli_ok("orchestrator", "update", "here", "--address=tcp://10.0.0.2:8786")
    ran: list[str] = []

    @step
    def work() -> None:
        ran.append("work")

    @pipeline
    def job() -> None:
        work()

    with pytest.raises(RunstackError, match="runs steps away from this machine") as refused:
        job()
    assert "the cluster orchestrator 'here'" in str(refused.value)
    assert ran == []
    assert Client().runs.count() == 0
    cli_ok("stack", "set", "default")
    assert "runs steps away from this machine" in cli_error("stack", "set", "near")
    assert json.loads(cli_ok("stack", "describe", "-o", "json"))["name"] == "default"


@pytest.mark.usefixtures("cluster")
def test_import_refuses_the_combination_and_creates_nothing(
    cli_error: Callable[..., str], cli_ok: Callable[..., str], tmp_path: Path
) -> None:
    cli_ok("stack", "register", "far", "-o", "remote", "-a", "bucket")
    exported = tmp_path / "far.toml"
    cli_ok("stack", "export", "far", str(exported))
    text = exported.read_text().replace('name = "bucket"', 'name = "disk"')
    text = text.replace('flavor = "bucket"', 'flavor = "local"')
    exported.write_text(text.replace('path = "memory://b/runs"', f'path = "{tmp_path}"'))
    refused = cli_error("stack", "import", str(exported), "--name", "copy")
    assert "runs steps away from this machine" in refused
    assert "the local artifact store 'disk'" in refused
    components: Any = json.loads(cli_ok("artifact-store", "list", "-o", "json"))
    assert [c["name"] for c in components] == ["bucket", "default"]


@pytest.mark.usefixtures("cluster")
def test_describe_shows_each_component_s_flavor_and_where_it_runs_or_stores(
    cli_ok: Callable[..., str],
) -> None:
    cli_ok("stack", "register", "far", "-o", "remote", "-a", "bucket")
    cli_ok("stack", "register", "near", "-o", "here", "-a", "bucket")
    far = json.loads(cli_ok("stack", "describe", "far", "-o", "json"))["components"]
    near = json.loads(cli_ok("stack", "describe", "near", "-o", "json"))["components"]
    assert [(c["flavor"], c["location"]) for c in (far["orchestrator"], far["artifact_store"])] == [
        ("cluster", "elsewhere"),
        ("bucket", "memory://b/runs"),
    ]
    assert near["orchestrator"]["location"] == "this machine"
    table = cli_ok("stack", "describe", "far")
    assert "FLAVOR" in table and "LOCATION" in table and "memory://b/runs" in table
