"""Shared fixtures: a third-party flavor package installed the way pip would, and CLI runners."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import sys
import textwrap
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from postgres_server import PostgresServer, postgres_server, why_unavailable
from recording_components import COMPONENTS, COMPONENTS_PLUGIN
from server_helpers import TeamServer, started_server

if TYPE_CHECKING:
    from click.testing import Result

    from runstack.store.sql_store import SqlStore

ACME_PLUGIN = """
from pydantic import Field, SecretStr

from runstack import Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType


class AcmeTrackerConfig(FlavorConfig):
    url: str = Field(description="Where the tracking server listens.")
    token: SecretStr | None = Field(default=None, description="API token.")
    retries: int = Field(default=3, ge=0, description="How often to retry a request.")
    tags: list[str] = Field(default_factory=list, description="Tags added to every run.")
    verbose: bool = Field(default=False, description="Log every request.")


@hookimpl
def register_flavors(register):
    register(
        Flavor(
            name="acme",
            component_type=ComponentType.EXPERIMENT_TRACKER,
            config_class=AcmeTrackerConfig,
            implementation="acme_runstack.tracker:AcmeTracker",
            description="Tracks experiments on an Acme server.",
            local=False,
        )
    )
"""

ACME_TRACKER = """
from runstack.components import BaseExperimentTracker


class AcmeTracker(BaseExperimentTracker):
    def describe(self):
        return {"url": self.config.url}
"""


# A sequential orchestrator as a third-party author writes it from CONTRIBUTING.md alone.
SEQUENTIAL_PLUGIN = """
from runstack import Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType


class SequentialConfig(FlavorConfig):
    pass


SEQUENTIAL = Flavor(
    name="sequential",
    component_type=ComponentType.ORCHESTRATOR,
    config_class=SequentialConfig,
    implementation="acme_sequential.orchestrator:SequentialOrchestrator",
    description="Runs steps one after another, in this process.",
)


@hookimpl
def register_flavors(register):
    register(SEQUENTIAL)
"""

SEQUENTIAL_ORCHESTRATOR = """
from runstack.components import BaseOrchestrator, TaskGraph


class SequentialOrchestrator(BaseOrchestrator):
    def execute(self, tasks, settings=None):
        return TaskGraph(tasks).run(max_parallel=1)
"""


# The plugins the core's suite is written against; the repository's other plugin
# distributions test themselves in plugins/*/tests.
SUITE_PLUGINS = ("runstack-local-orchestrator", "runstack-local-artifact-store")
OTHER_PLUGINS = ",".join(
    name
    for pyproject in sorted(Path(__file__).resolve().parents[1].glob("plugins/*/pyproject.toml"))
    if (name := tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"])
    not in SUITE_PLUGINS
)


@pytest.fixture(autouse=True)
def only_the_suite_plugins(runstack_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide the repository's other installed plugins, so that listings show what the tests
    installed beside the local plugins, whichever distributions the environment has."""
    if OTHER_PLUGINS:
        monkeypatch.setenv("RUNSTACK_DISABLE_PLUGINS", OTHER_PLUGINS)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the whole session, stopped at its end; the tests that
    need one are skipped, saying why, only where none can be started here."""
    reason = why_unavailable()
    if reason is not None:
        pytest.skip(reason)
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, runstack_home: Path) -> str:
    """The URL of a new empty store: an SQLite file, then a database on the test server."""
    if request.param == "sqlite":
        return f"sqlite:///{runstack_home / 'store.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    """The store at `store_url`, opened (and so created) for the user `default`, then closed."""
    from runstack.store import open_store

    opened = open_store(store_url, owner="default")
    yield opened
    opened.close()


@pytest.fixture
def team_stack_file(tmp_path: Path) -> Path:
    """A stack file `team` of the default orchestrator and a new artifact store `team_store`."""
    stack_file = tmp_path / "team.toml"
    stack_file.write_text(
        '[stack]\nname = "team"\n'
        '[components.orchestrator]\nname = "default"\nflavor = "local"\n'
        '[components.artifact_store]\nname = "team_store"\nflavor = "local"\n'
        f'config = {{ path = "{(tmp_path / "artifacts").as_posix()}" }}\n',
        encoding="utf-8",
    )
    return stack_file


@pytest.fixture
def sequential(install_plugin: Callable[..., Path]) -> Any:
    """A sequential orchestrator plugin installed, a stack `sequential` using it, and the
    orchestrator built."""
    from runstack import Client

    install_plugin(
        "acme-sequential",
        {
            "acme_sequential.plugin": SEQUENTIAL_PLUGIN,
            "acme_sequential.orchestrator": SEQUENTIAL_ORCHESTRATOR,
        },
        entry_points={"sequential": "acme_sequential.plugin"},
    )
    client = Client()
    component = client.register_component("orchestrator", "sequential", "sequential", {})
    client.register_stack("sequential", {"orchestrator": "sequential", "artifact_store": "default"})
    return client.build_component(component)


@pytest.fixture
def acme_plugin(install_plugin: Callable[..., Path]) -> Path:
    """Install `acme-runstack`, a third-party plugin with an `acme` experiment tracker flavor.

    Its config has a required key (`url`), a secret (`token`), an int, a list and a bool.
    """
    return install_plugin(
        "acme-runstack",
        {
            "acme_runstack.__init__": "",
            "acme_runstack.plugin": ACME_PLUGIN,
            "acme_runstack.tracker": ACME_TRACKER,
        },
        entry_points={"acme": "acme_runstack.plugin"},
    )


@pytest.fixture
def recorded(
    install_plugin: Callable[..., Path], tmp_path: Path
) -> Callable[..., Callable[[], list[str]]]:
    """Makes a stack `recorded` (made active) of the defaults, a recording experiment tracker and
    a recording alerter (each with the config given); returns a reader of the calls they
    recorded, one line each, this process's pid as `PID`."""
    install_plugin(
        "recording-components",
        {
            "recording_components.__init__": "",
            "recording_components.plugin": COMPONENTS_PLUGIN,
            "recording_components.components": COMPONENTS,
        },
        entry_points={"recording": "recording_components.plugin"},
    )
    calls = tmp_path / "calls.txt"

    def make_stack(
        tracker: dict[str, Any] | None = None, alerter: dict[str, Any] | None = None
    ) -> Callable[..., list[str]]:
        from runstack import Client

        client = Client()
        for kind, name, config in (
            ("experiment_tracker", "tracker", tracker),
            ("alerter", "alerts", alerter),
        ):
            client.register_component(
                kind, name, "recording", {"path": str(calls), **(config or {})}
            )
        client.register_stack(
            "recorded",
            {
                "orchestrator": "default",
                "artifact_store": "default",
                "experiment_tracker": "tracker",
                "alerter": "alerts",
            },
        )
        client.set_active_stack("recorded")
        return read

    def read() -> list[str]:
        if not calls.exists():
            return []
        pid = str(os.getpid())
        return [line.replace(pid, "PID") for line in calls.read_text().splitlines()]

    return make_stack


@pytest.fixture
def cli_ok(run_cli: Callable[..., Result]) -> Callable[..., str]:
    """Run `runstack ARGS...`, which must succeed quietly on stderr; its stdout."""

    def run(*arguments: str, input: str | None = None) -> str:
        result = run_cli(*arguments, input=input)
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
        return str(result.stdout)

    return run


@pytest.fixture
def cli_json(cli_ok: Callable[..., str]) -> Callable[..., Any]:
    """Run a list or describe command with `--output json`; the parsed JSON."""

    def run(*arguments: str) -> Any:
        return json.loads(cli_ok(*arguments, "--output", "json"))

    return run


@pytest.fixture
def cli_fails(run_cli: Callable[..., Result]) -> Callable[..., tuple[str, str]]:
    """Run a command that must fail with one `Error: ...` line on stderr; (stdout, that line).

    stdout may hold what happened before the failure, such as a run's progress.
    """

    def run(*arguments: str, input: str | None = None) -> tuple[str, str]:
        result = run_cli(*arguments, input=input)
        assert result.exit_code != 0, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("Error: "), result.stderr
        return str(result.stdout), str(lines[0])

    return run


@pytest.fixture
def rejects(
    cli_error: Callable[..., str], snapshot: Callable[[], dict[str, Any]]
) -> Callable[..., str]:
    """Run a command that must fail cleanly and leave everything the test module's
    `snapshot` fixture sees (store listings, files) as it was; return the error line."""

    def run(*arguments: str) -> str:
        before = snapshot()
        message = cli_error(*arguments)
        assert snapshot() == before
        return message

    return run


@pytest.fixture
def cli_error(cli_fails: Callable[..., tuple[str, str]]) -> Callable[..., str]:
    """Run a command that must fail with one `Error: ...` line on stderr and no stdout; the line."""

    def run(*arguments: str) -> str:
        stdout, line = cli_fails(*arguments)
        assert stdout == ""
        return line

    return run


# -- pipelines defined in files, as users write them ------------------------------

PIPELINE_IMPORTS = """\
from __future__ import annotations

from typing import Annotated

from runstack import pipeline, step
"""


@pytest.fixture(autouse=True)
def forget_test_modules(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Undo what importing a test's pipeline file did: `sys.path` entries and `sys.modules`."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    temporary = str(tmp_path_factory.getbasetemp())
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(temporary):
            del sys.modules[name]


@pytest.fixture
def write_module(tmp_path: Path) -> Callable[..., Path]:
    """Write pipeline source (dedented, after the imports steps need) to a new folder; the path.

    Each call uses a fresh folder, so a rewritten step is a different file on disk.
    """
    folders = itertools.count(1)

    def write(source: str, name: str = "flow") -> Path:
        folder = tmp_path / f"source_{next(folders)}"
        folder.mkdir()
        path = folder / f"{name}.py"
        path.write_text(PIPELINE_IMPORTS + textwrap.dedent(source), encoding="utf-8")
        return path

    return write


@pytest.fixture
def import_module(write_module: Callable[..., Path]) -> Callable[[str], ModuleType]:
    """Write pipeline source to a file and import it as a module of its own."""

    def load(source: str) -> ModuleType:
        path = write_module(source)
        name = f"runstack_test_{path.parent.name}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    return load


# -- a team server ------------------------------------------------------------------


@pytest.fixture(scope="session")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    """One `runstack server start` for the session, with the users alice and bob."""
    server = started_server(tmp_path_factory.mktemp("team_server"), "alice", "bob")
    yield server
    server.stop()


@pytest.fixture
def logged_in(team_server: TeamServer, cli_ok: Callable[..., str]) -> TeamServer:
    """This test's client logged in to the team server as alice."""
    cli_ok("login", team_server.url, "--token", team_server.tokens["alice"])
    return team_server
