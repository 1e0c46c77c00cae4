"""A third-party plugin type-checks against the installed runstack, as its author's CI would.

Every distribution ships `py.typed`; without it `mypy --strict` on a plugin reports
"missing library stubs" and "cannot subclass FlavorConfig (has type Any)".
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = {
    "core": "runstack",
    "plugins/local_orchestrator": "runstack_local_orchestrator",
    "plugins/local_artifact_store": "runstack_local_artifact_store",
    "plugins/dask_orchestrator": "runstack_dask_orchestrator",
    "plugins/mlflow_experiment_tracker": "runstack_mlflow",
    "plugins/webhook_alerter": "runstack_webhook_alerter",
}

# What an author writes from CONTRIBUTING: a config, a flavor, an orchestrator,
# an artifact store, a materializer and the contract tests.
PLUGIN = """
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fsspec import AbstractFileSystem
from pydantic import Field

from runstack import BaseArtifactStore, BaseOrchestrator, Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType
from runstack.components import Task, TaskGraph, TaskResult
from runstack.materializers import Materializer, MaterializerRegistrar
from runstack.flavor_registry import FlavorRegistrar
from runstack.testing import assert_flavor_contract


class SequentialConfig(FlavorConfig):
    retries: int = Field(default=0, description="How often to retry a failed step.")


class SequentialOrchestrator(BaseOrchestrator):
    def execute(
        self, tasks: Sequence[Task], settings: FlavorConfig | None = None
    ) -> dict[str, TaskResult]:
        return TaskGraph(tasks).run(max_parallel=1)


class MemoryStore(BaseArtifactStore):
    @property
    def root(self) -> str:
        return "memory://runs"

    @property
    def filesystem(self) -> AbstractFileSystem:
        from fsspec.implementations.memory import MemoryFileSystem

        return MemoryFileSystem()


class TextMaterializer(Materializer):
    name = "acme-text"
    handles = ("builtins.str",)

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        with store.open(f"{uri}/text.txt", "wb") as stream:
            stream.write(str(value).encode())

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        with store.open(f"{uri}/text.txt") as stream:
            return stream.read().decode()


SEQUENTIAL = Flavor(
    name="sequential",
    component_type=ComponentType.ORCHESTRATOR,
    config_class=SequentialConfig,
    implementation="acme_plugin.plugin:SequentialOrchestrator",
    description="Runs steps one after another.",
)


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    register(SEQUENTIAL)


@hookimpl
def register_materializers(register: MaterializerRegistrar) -> None:
    register(TextMaterializer)


def test_flavor() -> None:
    assert_flavor_contract(SEQUENTIAL)
"""


def test_plugin_type_checks_with_mypy_strict_against_installed_runstack(tmp_path: Path) -> None:
    package = tmp_path / "acme_plugin"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "plugin.py").write_text(PLUGIN, encoding="utf-8")
    # The author's own settings (fsspec ships no types); runstack must need no such line.
    config = "[mypy]\nstrict = True\n\n[mypy-fsspec.*]\nignore_missing_imports = True\n"
    (tmp_path / "mypy.ini").write_text(config, encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "acme_plugin"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (checked.returncode, checked.stderr) == (0, ""), checked.stdout
    assert checked.stdout.startswith("Success: no issues found"), checked.stdout


def test_every_distribution_ships_py_typed_in_its_wheel_and_the_core_its_dashboard(
    tmp_path: Path,
) -> None:
    build = (
        "import os, sys\n"
        "from hatchling.build import build_wheel\n"
        "for project in sys.argv[2:]:\n"
        "    os.chdir(project)\n"
        "    print(build_wheel(sys.argv[1]))\n"
    )
    projects = [str(ROOT / folder) for folder in DISTRIBUTIONS]
    built = subprocess.run(
        [sys.executable, "-c", build, str(tmp_path), *projects],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    wheels = [tmp_path / name for name in built.stdout.split()]
    for wheel, package in zip(wheels, DISTRIBUTIONS.values(), strict=True):
        with zipfile.ZipFile(wheel) as archive:
            assert f"{package}/py.typed" in archive.namelist(), wheel.name
    # The dashboard's pages and stylesheet travel inside the core's wheel: nothing is fetched.
    with zipfile.ZipFile(wheels[0]) as archive:
        shipped = set(archive.namelist())
    dashboard = ROOT / "core" / "src" / "runstack" / "dashboard"
    assets = [*dashboard.glob("templates/*.html"), *dashboard.glob("static/*")]
    assert len(assets) > 8
    for asset in assets:
        assert asset.relative_to(ROOT / "core" / "src").as_posix() in shipped
