"""Third-party plugins: installed, uninstalled, broken, blocked, and registered directly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import Field

from runstack import Client, Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType
from runstack.components import (
    BaseArtifactStore,
    BaseComponent,
    BaseExperimentTracker,
    BaseOrchestrator,
)
from runstack.errors import ConfigError, NotFoundError, PluginError
from runstack.flavor_registry import FlavorRegistrar, FlavorRegistry, PluginWarning
from runstack.plugins import register_objects
from runstack.testing import assert_flavor_contract, parse_table, write_distribution

if TYPE_CHECKING:
    from click.testing import Result

RunCli = Callable[..., "Result"]
InstallPlugin = Callable[..., Path]

RUNSTACK = Path(sys.executable).parent / "runstack"

STORE_PACKAGE = f"runstack-local-artifact-store {version('runstack-local-artifact-store')}"
ORCHESTRATOR_PACKAGE = f"runstack-local-orchestrator {version('runstack-local-orchestrator')}"
LOCAL_FLAVORS = [
    {"FLAVOR": "local", "TYPE": "artifact_store", "PACKAGE": STORE_PACKAGE},
    {"FLAVOR": "local", "TYPE": "orchestrator", "PACKAGE": ORCHESTRATOR_PACKAGE},
]

# -- plugin sources ----------------------------------------------------------------

_PRELUDE = '''
from pydantic import Field

from runstack import Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType
from runstack.components import BaseExperimentTracker


class Config(FlavorConfig):
    url: str = Field(default="http://localhost:5000", description="Where the server listens.")


class Component(BaseExperimentTracker):
    """Never built by these tests."""
'''


def flavor_source(
    name: str = "acme",
    kind: str = "experiment_tracker",
    *,
    description: str = "Tracks experiments.",
    config_class: str = "Config",
    implementation: str = "Component",
) -> str:
    """The source of a `Flavor(...)` expression inside a plugin module."""
    return (
        f"Flavor(name={name!r}, component_type=ComponentType({kind!r}), "
        f"config_class={config_class}, implementation={implementation}, "
        f"description={description!r})"
    )


def plugin_source(*statements: str, hook: str = "register_flavors", on_import: str = "") -> str:
    """A plugin module whose hook runs `statements`; `on_import` runs when it is imported."""
    body = "".join(f"    {statement}\n" for statement in statements) or "    pass\n"
    return f"{_PRELUDE}\n{on_import}\n\n@hookimpl\ndef {hook}(register):\n{body}"


def registering(*flavors: str) -> str:
    """A plugin module that registers each flavor (given as `flavor_source(...)`)."""
    return plugin_source(*(f"register({flavor})" for flavor in flavors))


def distribution_files(
    distribution: str, source: str, entry_point: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Modules and entry points of a plugin package named after its distribution."""
    package = distribution.replace("-", "_")
    modules = {f"{package}.__init__": "", f"{package}.plugin": source}
    return modules, {entry_point: f"{package}.plugin"}


def install(
    install_plugin: InstallPlugin,
    distribution: str,
    source: str,
    *,
    entry_point: str = "acme",
    version: str = "1.0.0",
) -> None:
    modules, entry_points = distribution_files(distribution, source, entry_point)
    install_plugin(distribution, modules, entry_points=entry_points, version=version)


def plugin_table(run_cli: RunCli) -> dict[str, dict[str, object]]:
    result = run_cli("plugin", "list", "--output", "json")
    assert result.exit_code == 0, result.output
    return {plugin["name"]: plugin for plugin in json.loads(result.stdout)}


def flavor_rows(result: Result) -> list[dict[str, str]]:
    """`flavor list` rows without the description column."""
    assert result.exit_code == 0, result.output
    return [
        {k: v for k, v in row.items() if k != "DESCRIPTION"} for row in parse_table(result.stdout)
    ]


def stderr_lines(result: Result) -> list[str]:
    return result.stderr.splitlines()


# -- a third-party flavor, installed -------------------------------------------------


def test_installed_flavor_is_listed_with_its_package(run_cli: RunCli, acme_plugin: Path) -> None:
    result = run_cli("flavor", "list")
    assert result.stderr == ""
    assert parse_table(result.stdout) == [
        {**LOCAL_FLAVORS[0], "DESCRIPTION": "Keeps artifacts in a folder on this machine."},
        {
            "FLAVOR": "acme",
            "TYPE": "experiment_tracker",
            "PACKAGE": "acme-runstack 1.0.0",
            "DESCRIPTION": "Tracks experiments on an Acme server.",
        },
        {
            **LOCAL_FLAVORS[1],
            "DESCRIPTION": "Runs steps on this machine, independent steps in parallel.",
        },
    ]
    listed = json.loads(run_cli("flavor", "list", "--output", "json").stdout)
    assert {
        "name": "acme",
        "type": "experiment_tracker",
        "distribution": "acme-runstack",
        "version": "1.0.0",
        "local": False,
        "description": "Tracks experiments on an Acme server.",
    } in listed


@pytest.mark.parametrize(
    "arguments",
    [
        ["experiment-tracker", "flavor", "list"],
        ["flavor", "list", "--type", "experiment-tracker"],
        ["flavor", "list", "-t", "EXPERIMENT_TRACKER"],
    ],
)
def test_installed_flavor_is_listed_under_its_component_type(
    run_cli: RunCli, acme_plugin: Path, arguments: list[str]
) -> None:
    assert flavor_rows(run_cli(*arguments)) == [
        {"FLAVOR": "acme", "TYPE": "experiment_tracker", "PACKAGE": "acme-runstack 1.0.0"}
    ]
    assert "acme" not in run_cli("orchestrator", "flavor", "list").stdout


def test_installed_plugin_shows_in_plugin_list_and_status(
    run_cli: RunCli, acme_plugin: Path
) -> None:
    result = run_cli("plugin", "list")
    assert result.exit_code == 0, result.output
    assert {
        "PLUGIN": "acme",
        "PACKAGE": "acme-runstack 1.0.0",
        "FLAVORS": "experiment_tracker:acme",
        "MATERIALIZERS": "",
        "STATUS": "ok",
    } in parse_table(result.stdout)
    assert plugin_table(run_cli)["acme"] == {
        "name": "acme",
        "distribution": "acme-runstack",
        "version": "1.0.0",
        "module": "acme_runstack.plugin",
        "flavors": ["experiment_tracker:acme"],
        "materializers": [],
        "error": None,
    }
    status = run_cli("status")
    assert status.exit_code == 0, status.output
    assert "Plugin:       acme (acme-runstack 1.0.0): experiment_tracker:acme" in status.stdout


UNITS_PLUGIN = f"""{registering(flavor_source("units"))}

from runstack.materializers import Materializer


class CelsiusMaterializer(Materializer):
    name = "celsius"
    handles = ("acme_units.Celsius",)

    def save(self, value, store, uri):
        raise NotImplementedError

    def load(self, store, uri, type_name):
        raise NotImplementedError


@hookimpl
def register_materializers(register):
    register(CelsiusMaterializer)
"""


def test_plugin_list_shows_the_materializers_a_plugin_registered(
    run_cli: RunCli, install_plugin: InstallPlugin
) -> None:
    install(install_plugin, "acme-units", UNITS_PLUGIN, entry_point="units")
    listed = plugin_table(run_cli)["units"]
    assert (listed["flavors"], listed["materializers"], listed["error"]) == (
        ["experiment_tracker:units"],
        ["celsius"],
        None,
    )
    assert {
        "PLUGIN": "units",
        "PACKAGE": "acme-units 1.0.0",
        "FLAVORS": "experiment_tracker:units",
        "MATERIALIZERS": "celsius",
        "STATUS": "ok",
    } in parse_table(run_cli("plugin", "list").stdout)
    status = run_cli("status").stdout
    line = "Plugin:       units (acme-units 1.0.0): experiment_tracker:units, materializer:celsius"
    assert f"{line}\n" in status


def test_component_registers_from_installed_flavor_without_importing_its_implementation(
    run_cli: RunCli, acme_plugin: Path
) -> None:
    result = run_cli(
        "experiment-tracker", "register", "tracker", "--flavor=acme", "--url=http://acme:8080"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "Registered experiment tracker 'tracker' (flavor 'acme').\n"
    rows = parse_table(run_cli("experiment-tracker", "list").stdout)
    assert [(row["NAME"], row["FLAVOR"]) for row in rows] == [("tracker", "acme")]
    described = json.loads(
        run_cli("experiment-tracker", "describe", "tracker", "-o", "json").stdout
    )
    assert described["config"] == {"url": "http://acme:8080"}
    # The entry point's module is imported; the implementation only when a component is built.
    assert "acme_runstack.plugin" in sys.modules
    assert "acme_runstack.tracker" not in sys.modules


def test_installed_and_uninstalled_plugin_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    site, home = tmp_path / "site", tmp_path / "home"
    modules, entry_points = distribution_files(
        "acme-tracking", registering(flavor_source(description="Tracks on Acme.")), "acme"
    )
    write_distribution(site, "acme-tracking", modules, entry_points=entry_points, version="1.2.0")

    def runstack(*arguments: str, installed: bool) -> subprocess.CompletedProcess[str]:
        environment = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("RUNSTACK_") or k == "RUNSTACK_DISABLE_PLUGINS"
        }
        path = [str(site)] if installed else []
        path += filter(None, [os.environ.get("PYTHONPATH")])
        environment.update(
            RUNSTACK_HOME=str(home),
            PYTHONPATH=os.pathsep.join(path),
            COLUMNS="200",
            PYTHONIOENCODING="utf-8",
        )
        return subprocess.run(
            [str(RUNSTACK), *arguments],
            env=environment,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=False,
        )

    def ok(command: str, *, installed: bool) -> str:
        done = runstack(*command.split(), installed=installed)
        assert (done.returncode, done.stderr) == (0, ""), (command, done.stdout, done.stderr)
        return done.stdout

    assert {
        "FLAVOR": "acme",
        "TYPE": "experiment_tracker",
        "PACKAGE": "acme-tracking 1.2.0",
        "DESCRIPTION": "Tracks on Acme.",
    } in parse_table(ok("flavor list", installed=True))
    ok("experiment-tracker register tracker -f acme --url=http://acme", installed=True)
    ok("stack register tracked -o default -a default -e tracker --set", installed=True)

    # "Uninstalled": the distribution is no longer on the path.
    flavors = parse_table(ok("flavor list", installed=False))
    assert [(row["FLAVOR"], row["TYPE"]) for row in flavors] == [
        ("local", "artifact_store"),
        ("local", "orchestrator"),
    ]
    stacks = {row["STACK NAME"]: row for row in parse_table(ok("stack list", installed=False))}
    assert stacks["tracked"]["EXPERIMENT_TRACKER"] == "tracker"
    assert stacks["tracked"]["ACTIVE"] == "👉"
    trackers = parse_table(ok("experiment-tracker list", installed=False))
    assert [(row["NAME"], row["FLAVOR"]) for row in trackers] == [("tracker", "acme")]
    described = parse_table(ok("experiment-tracker describe tracker", installed=False))
    assert {"COMPONENT_PROPERTY": "config.url", "VALUE": "http://acme"} in described
    tracker = parse_table(ok("stack describe", installed=False))[1]
    assert (tracker["COMPONENT_TYPE"], tracker["COMPONENT_NAME"]) == (
        "EXPERIMENT_TRACKER",
        "tracker",
    )
    assert tracker["LOCATION"].startswith("unknown: ")
    assert "Active stack: tracked (id " in ok("status", installed=False)

    update = runstack("experiment-tracker", "update", "tracker", "--url=http://x", installed=False)
    assert (update.returncode, update.stderr) == (
        1,
        "Error: no experiment tracker flavor is installed, so 'acme' is unknown; "
        "install a plugin that provides one\n",
    )


# -- an implementation path that leads nowhere ---------------------------------------

TRACKER_MODULE = """
from runstack.components import BaseExperimentTracker

if True:
    class Tracker(BaseExperimentTracker):
        pass
"""


@pytest.mark.parametrize(
    ("path", "mistake"),
    [
        ("acme_typo.trackr:Tracker", "there is no module 'acme_typo.trackr'"),
        ("nowhere_at_all:Tracker", "there is no module 'nowhere_at_all'"),
        ("acme_typo.tracker:Trackr", "module 'acme_typo.tracker' defines no 'Trackr'"),
        ("acme_typo.tracker.Tracker", "it is not of the form 'module:Class'"),
    ],
)
def test_implementation_path_with_a_typo_is_the_plugin_authors_mistake(
    run_cli: RunCli, install_plugin: InstallPlugin, tmp_path: Path, path: str, mistake: str
) -> None:
    install_plugin(
        "acme-typo",
        {
            "acme_typo.__init__": "",
            "acme_typo.plugin": registering(flavor_source(implementation=repr(path))),
            "acme_typo.tracker": TRACKER_MODULE,
        },
        entry_points={"typo": "acme_typo.plugin"},
    )
    problem = (
        f"the experiment tracker flavor 'acme' names {path!r} as its implementation, "
        f"but {mistake}; report this to the plugin's authors"
    )
    listing = run_cli("plugin", "list", "--output", "json")
    assert listing.exit_code == 0
    assert stderr_lines(listing) == [f"Warning: plugin 'typo' from acme-typo 1.0.0: {problem}"]
    assert {p["name"]: p["error"] for p in json.loads(listing.stdout)}["typo"] == problem
    assert f"Plugin:       typo (acme-typo 1.0.0): FAILED: {problem}" in run_cli("status").stdout
    assert "acme_typo.tracker" not in sys.modules

    register = run_cli("experiment-tracker", "register", "t", "--flavor=acme", "--url=u")
    assert (register.exit_code, register.stderr) == (1, f"Error: {problem}\n")
    stack_file = tmp_path / "stack.toml"
    stack_file.write_text(
        '[stack]\nname = "tracked"\n'
        '[components.orchestrator]\nname = "default"\nflavor = "local"\n'
        '[components.artifact_store]\nname = "default"\nflavor = "local"\n'
        '[components.experiment_tracker]\nname = "t"\nflavor = "acme"\n'
        '[components.experiment_tracker.config]\nurl = "u"\n',
        encoding="utf-8",
    )
    imported = run_cli("stack", "import", str(stack_file))
    assert (imported.exit_code, imported.stderr) == (1, f"Error: {problem}\n")
    assert "tracked" not in run_cli("stack", "list").stdout


# -- broken plugins ------------------------------------------------------------------

BROKEN_DISTRIBUTION = "acme-broken"
BROKEN_ORIGIN = f"plugin 'broken' from {BROKEN_DISTRIBUTION} 2.0.1: "

BROKEN_PLUGINS = {
    "raises on import": (
        plugin_source(on_import='raise RuntimeError("the acme driver is not installed")'),
        "import failed: RuntimeError: the acme driver is not installed",
    ),
    "imports a missing dependency": (
        plugin_source(on_import="import acme_driver_nobody_installed"),
        "import failed: ModuleNotFoundError: No module named 'acme_driver_nobody_installed'",
    ),
    "raises a multi-line error on import": (
        plugin_source(on_import="Config(url=['not', 'text'])"),
        "import failed: ValidationError: 1 validation error for Config url Input should be",
    ),
    "hook raises": (
        plugin_source('raise KeyError("region")'),
        "its register_flavors hook raised KeyError: 'region'",
    ),
    "materializer hook raises": (
        plugin_source('raise KeyError("units")', hook="register_materializers"),
        "its register_materializers hook raised KeyError: 'units'",
    ),
    "registers garbage": (
        plugin_source('register("not a flavor")'),
        "registered an invalid flavor (expected a runstack Flavor, got str 'not a flavor')",
    ),
    "config_class is not pydantic": (
        registering(flavor_source(config_class="dict")),
        "registered an invalid flavor (flavor 'acme' has a config_class that is not a pydantic",
    ),
    "misspelled hook name": (
        plugin_source(f"register({flavor_source()})", hook="register_flavor"),
        "invalid hooks: unknown hook 'register_flavor' in plugin",
    ),
}


@pytest.fixture(params=sorted(BROKEN_PLUGINS))
def broken_plugin(request: pytest.FixtureRequest, install_plugin: InstallPlugin) -> str:
    """Install one kind of broken plugin; the value is the error text it must produce."""
    source, error = BROKEN_PLUGINS[request.param]
    install(install_plugin, BROKEN_DISTRIBUTION, source, entry_point="broken", version="2.0.1")
    return error


def test_broken_plugin_warns_once_and_everything_else_works(
    run_cli: RunCli, broken_plugin: str
) -> None:
    result = run_cli("flavor", "list")
    assert result.exit_code == 0
    [warning] = stderr_lines(result)
    assert warning.startswith(f"Warning: {BROKEN_ORIGIN}")
    assert broken_plugin in warning
    assert flavor_rows(result) == LOCAL_FLAVORS

    plugins = plugin_table(run_cli)
    assert broken_plugin in str(plugins["broken"]["error"])
    assert plugins["broken"]["flavors"] == []
    assert plugins["local_orchestrator"]["error"] is None
    listing = run_cli("plugin", "list")
    assert listing.exit_code == 0
    assert "│ failed: " in listing.stdout
    status = run_cli("status")
    [line] = [line for line in status.stdout.splitlines() if " broken " in line]
    assert line.startswith(f"Plugin:       broken ({BROKEN_DISTRIBUTION} 2.0.1): FAILED: ")
    assert broken_plugin in line
    for arguments in (
        ["orchestrator", "register", "second", "--flavor=local"],
        ["stack", "register", "other", "-o", "second", "-a", "default"],
        ["stack", "list"],
        ["status"],
    ):
        assert run_cli(*arguments).exit_code == 0, arguments


def test_plugin_keeps_the_flavors_it_registered_before_its_hook_raised(
    run_cli: RunCli, install_plugin: InstallPlugin
) -> None:
    source = plugin_source(f"register({flavor_source('first')})", 'raise OSError("disk gone")')
    install(install_plugin, BROKEN_DISTRIBUTION, source, entry_point="broken", version="2.0.1")
    result = run_cli("experiment-tracker", "flavor", "list")
    assert stderr_lines(result) == [
        f"Warning: {BROKEN_ORIGIN}its register_flavors hook raised OSError: disk gone"
    ]
    assert [row["FLAVOR"] for row in flavor_rows(result)] == ["first"]


@pytest.mark.parametrize("install_order", [("alpha", "zeta"), ("zeta", "alpha")])
def test_same_flavor_from_two_distributions_keeps_the_first_distribution_by_name(
    run_cli: RunCli, install_plugin: InstallPlugin, install_order: tuple[str, str]
) -> None:
    # Entry-point names sort the other way round from distribution names.
    entry_points = {"alpha": "zzz", "zeta": "aaa"}
    for name in install_order:
        source = registering(flavor_source(description=f"From {name}."))
        install(install_plugin, f"{name}-trackers", source, entry_point=entry_points[name])

    result = run_cli("flavor", "list", "--type", "experiment-tracker")
    assert result.exit_code == 0
    [warning] = stderr_lines(result)
    assert warning.startswith("Warning: plugin 'aaa' from zeta-trackers 1.0.0: ")
    assert "experiment tracker flavor 'acme'" in warning
    assert "already registered by plugin 'zzz' from alpha-trackers 1.0.0" in warning
    assert parse_table(result.stdout) == [
        {
            "FLAVOR": "acme",
            "TYPE": "experiment_tracker",
            "PACKAGE": "alpha-trackers 1.0.0",
            "DESCRIPTION": "From alpha.",
        }
    ]


# -- environment variables -----------------------------------------------------------


def test_strict_mode_makes_a_broken_plugin_an_error(
    run_cli: RunCli, broken_plugin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNSTACK_STRICT_PLUGINS", "1")
    result = run_cli("flavor", "list")
    assert result.exit_code == 1
    assert result.stdout == ""
    [error] = stderr_lines(result)
    assert error.startswith(f"Error: {BROKEN_ORIGIN}")
    assert broken_plugin in error
    assert error.count(BROKEN_ORIGIN) == 1
    for command in (["plugin", "list"], ["status"]):
        assert run_cli(*command).exit_code == 1, command
    # Commands that need no flavors do not load plugins, so they still work.
    assert run_cli("stack", "list").exit_code == 0


def test_strict_mode_accepts_healthy_plugins(
    run_cli: RunCli, acme_plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNSTACK_STRICT_PLUGINS", "1")
    result = run_cli("flavor", "list")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [row["FLAVOR"] for row in flavor_rows(result)] == ["local", "acme", "local"]
    # plugin list checks implementation paths without importing them.
    listing = run_cli("plugin", "list")
    assert (listing.exit_code, listing.stderr) == (0, "")
    assert "acme_runstack.tracker" not in sys.modules


LOCAL_PLUGINS = ["local_artifact_store", "local_orchestrator"]


@pytest.mark.parametrize(
    ("blocked", "loaded"),
    [
        ("broken", ["acme", *LOCAL_PLUGINS]),
        ("acme-broken", ["acme", *LOCAL_PLUGINS]),
        ("ACME-Broken", ["acme", *LOCAL_PLUGINS]),
        (" acme , broken ", LOCAL_PLUGINS),
    ],
)
def test_disabled_plugin_is_not_loaded(
    run_cli: RunCli,
    install_plugin: InstallPlugin,
    acme_plugin: Path,
    monkeypatch: pytest.MonkeyPatch,
    blocked: str,
    loaded: list[str],
) -> None:
    source, _ = BROKEN_PLUGINS["raises on import"]
    install(install_plugin, BROKEN_DISTRIBUTION, source, entry_point="broken")
    hidden = os.environ.get("RUNSTACK_DISABLE_PLUGINS", "")  # the suite hides other plugins
    monkeypatch.setenv("RUNSTACK_DISABLE_PLUGINS", f"{blocked},{hidden}")
    result = run_cli("flavor", "list")
    assert (result.exit_code, result.stderr) == (0, "")
    assert sorted(plugin_table(run_cli)) == loaded


def test_load_plugins_loads_only_the_named_ones(
    run_cli: RunCli,
    install_plugin: InstallPlugin,
    acme_plugin: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, _ = BROKEN_PLUGINS["raises on import"]
    install(install_plugin, BROKEN_DISTRIBUTION, source, entry_point="broken")
    monkeypatch.setenv("RUNSTACK_LOAD_PLUGINS", "acme-runstack,local_orchestrator")
    result = run_cli("flavor", "list")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [(row["FLAVOR"], row["TYPE"]) for row in flavor_rows(result)] == [
        ("acme", "experiment_tracker"),
        ("local", "orchestrator"),
    ]
    assert sorted(plugin_table(run_cli)) == ["acme", "local_orchestrator"]


@pytest.mark.parametrize(
    ("group", "package"),
    [
        ("orchestrator", "runstack-local-orchestrator"),
        ("artifact-store", "runstack-local-artifact-store"),
    ],
)
def test_without_local_flavors_register_says_which_package_to_install(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, group: str, package: str
) -> None:
    hidden = os.environ.get("RUNSTACK_DISABLE_PLUGINS", "")  # the suite hides other plugins
    local = "local_orchestrator,local_artifact_store"
    monkeypatch.setenv("RUNSTACK_DISABLE_PLUGINS", f"{local},{hidden}")
    result = run_cli(group, "register", "x", "--flavor=local")
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        f"Error: no {group.replace('-', ' ')} flavor is installed, so 'local' is unknown; "
        f"install one with 'pip install {package}'"
    ]
    # Nothing else needs a flavor, so the rest keeps working.
    assert parse_table(run_cli("flavor", "list").stdout) == []
    assert run_cli("stack", "list").exit_code == 0
    assert run_cli("orchestrator", "describe", "default").exit_code == 0


def test_without_any_flavor_of_an_optional_type_register_says_so(run_cli: RunCli) -> None:
    result = run_cli("alerter", "register", "pager", "--flavor=slack")
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        "Error: no alerter flavor is installed, so 'slack' is unknown; "
        "install a plugin that provides one"
    ]


# -- plugin objects registered directly on a fresh manager ---------------------------


class TrackerConfig(FlavorConfig):
    url: str = Field(description="Where the server listens.")


class Tracker(BaseExperimentTracker):
    """A component class that is never built here."""


def tracker_flavor(name: str = "acme", description: str = "Tracks experiments.") -> Flavor:
    return Flavor(
        name=name,
        component_type=ComponentType.EXPERIMENT_TRACKER,
        config_class=TrackerConfig,
        implementation=Tracker,
        description=description,
        local=False,
    )


class TrackerPlugin:
    """A plugin object, as a test or an embedding application registers it."""

    def __init__(self, *flavors: Flavor) -> None:
        self.flavors = flavors

    @hookimpl
    def register_flavors(self, register: FlavorRegistrar) -> None:
        for flavor in self.flavors:
            register(flavor)


class MisspelledPlugin:
    @hookimpl
    def register_flavor(self, register: FlavorRegistrar) -> None:
        register(tracker_flavor())


@pytest.mark.filterwarnings("error")
def test_registered_plugin_objects_are_the_only_flavors() -> None:
    registry = FlavorRegistry(register_objects([("acme", TrackerPlugin(tracker_flavor()))]))
    client = Client(flavors=registry)

    [entry] = client.list_flavors()
    assert (entry.flavor.name, entry.flavor.component_type, entry.plugin.name) == (
        "acme",
        ComponentType.EXPERIMENT_TRACKER,
        "acme",
    )
    assert entry.plugin.flavors == ["experiment_tracker:acme"]
    assert entry.plugin.error is None
    with pytest.raises(NotFoundError, match="no orchestrator flavor is installed"):
        client.get_flavor("orchestrator", "local")

    component = client.register_component("experiment-tracker", "tracker", "acme", {"url": "u"})
    assert client.get_component("experiment_tracker", "tracker") == component
    assert component.config == {"url": "u"}


@pytest.mark.filterwarnings("error")
def test_fresh_manager_ignores_installed_plugins(install_plugin: InstallPlugin) -> None:
    source, _ = BROKEN_PLUGINS["raises on import"]
    install(install_plugin, BROKEN_DISTRIBUTION, source, entry_point="broken")
    registry = FlavorRegistry(register_objects([("acme", TrackerPlugin(tracker_flavor()))]))
    assert [plugin.name for plugin in registry.plugins.plugins] == ["acme"]
    assert [entry.flavor.name for entry in registry.list()] == ["acme"]


def test_directly_registered_object_with_a_misspelled_hook_is_reported() -> None:
    with pytest.warns(PluginWarning, match="plugin 'typo' .*unknown hook 'register_flavor'"):
        registry = FlavorRegistry(
            register_objects([("typo", MisspelledPlugin()), ("acme", TrackerPlugin())])
        )
    problems = {plugin.name: plugin.error for plugin in registry.plugins.plugins}
    assert problems["acme"] is None
    assert "unknown hook 'register_flavor'" in str(problems["typo"])
    assert registry.list() == []


def test_directly_registered_garbage_raises_in_strict_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNSTACK_STRICT_PLUGINS", "1")
    garbage = TrackerPlugin(tracker_flavor(), "not a flavor")  # type: ignore[arg-type]
    with pytest.raises(PluginError, match=r"^plugin 'junk' .*expected a runstack Flavor, got str"):
        FlavorRegistry(register_objects([("junk", garbage)]))


@pytest.mark.parametrize(
    ("flavor", "problem"),
    [
        (42, "expected a runstack Flavor, got int 42"),
        (tracker_flavor(name=7), "flavor name 7 must be letters, digits, '-' or '_'"),  # type: ignore[arg-type]
        (tracker_flavor(name="two words"), "flavor name 'two words' must be letters"),
        (tracker_flavor(name=""), "flavor name '' must be letters"),
    ],
)
def test_directly_registered_invalid_flavor_is_ignored_with_a_warning(
    flavor: object, problem: str
) -> None:
    plugin = TrackerPlugin(tracker_flavor("good"), flavor)  # type: ignore[arg-type]
    with pytest.warns(PluginWarning) as caught:
        registry = FlavorRegistry(register_objects([("odd", plugin)]))
    [warning] = [str(record.message) for record in caught]
    assert warning.startswith("plugin 'odd' from (registered directly): registered an invalid")
    assert problem in warning
    assert [entry.flavor.name for entry in registry.list()] == ["good"]


# -- hook order and hook markers -----------------------------------------------------


class EagerTrackerPlugin(TrackerPlugin):
    """Asks pluggy to call its hook before the others'."""

    @hookimpl(tryfirst=True)
    def register_flavors(self, register: FlavorRegistrar) -> None:
        super().register_flavors(register)


class ReluctantTrackerPlugin(TrackerPlugin):
    """Asks pluggy to call its hook after the others'."""

    @hookimpl(trylast=True)
    def register_flavors(self, register: FlavorRegistrar) -> None:
        super().register_flavors(register)


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        (TrackerPlugin, TrackerPlugin, "first"),
        (TrackerPlugin, EagerTrackerPlugin, "second"),
        (ReluctantTrackerPlugin, TrackerPlugin, "second"),
    ],
    ids=["in-order", "tryfirst", "trylast"],
)
def test_duplicate_flavor_goes_to_the_plugin_pluggy_calls_first_and_names_both(
    first: type[TrackerPlugin], second: type[TrackerPlugin], kept: str
) -> None:
    objects = [
        ("first", first(tracker_flavor(description="first"))),
        ("second", second(tracker_flavor(description="second"))),
    ]
    with pytest.warns(PluginWarning) as caught:
        registry = FlavorRegistry(register_objects(objects))
    [warning] = [str(record.message) for record in caught]
    lost = "first" if kept == "second" else "second"
    assert warning.startswith(f"plugin '{lost}' ")
    assert f"already registered by plugin '{kept}'" in warning
    [entry] = registry.list(ComponentType.EXPERIMENT_TRACKER)
    assert (entry.flavor.description, entry.plugin.name) == (kept, kept)


class WrappingPlugin:
    @hookimpl(wrapper=True)
    def register_flavors(self, register: FlavorRegistrar) -> object:
        register(tracker_flavor("wrapped"))
        return (yield)


class OldStyleWrappingPlugin:
    @hookimpl(hookwrapper=True)
    def register_flavors(self, register: FlavorRegistrar) -> object:
        register(tracker_flavor("wrapped"))
        return (yield)


@pytest.mark.parametrize(
    ("plugin", "marker"),
    [(WrappingPlugin(), "wrapper=True"), (OldStyleWrappingPlugin(), "hookwrapper=True")],
    ids=["wrapper", "hookwrapper"],
)
def test_wrapper_hook_is_refused_with_a_warning(plugin: object, marker: str) -> None:
    objects = [("wrapping", plugin), ("acme", TrackerPlugin(tracker_flavor()))]
    with pytest.warns(PluginWarning) as caught:
        registry = FlavorRegistry(register_objects(objects))
    [warning] = [str(record.message) for record in caught]
    assert warning == (
        "plugin 'wrapping' from (registered directly): invalid hooks: its register_flavors "
        f"hook is a wrapper ({marker}), which runstack does not call; "
        "drop the wrapper marker and call register(...) directly"
    )
    assert [entry.flavor.name for entry in registry.list()] == ["acme"]
    assert registry.plugins.by_name("wrapping").error == warning.partition(": ")[2]


# -- implementations that leave out what their base declares -------------------------


class NoExecuteOrchestrator(BaseOrchestrator):
    """Forgot `execute`."""


class NoFilesystemStore(BaseArtifactStore):
    """Gave a root but forgot the filesystem."""

    @property
    def root(self) -> str:
        return "/tmp/nowhere"


class EmptyConfig(FlavorConfig):
    pass


UNFINISHED = [
    (ComponentType.ORCHESTRATOR, NoExecuteOrchestrator, "execute"),
    (ComponentType.ARTIFACT_STORE, NoFilesystemStore, "filesystem"),
]


def unfinished_flavor(kind: ComponentType, implementation: type[BaseComponent]) -> Flavor:
    return Flavor(
        name="unfinished",
        component_type=kind,
        config_class=EmptyConfig,
        implementation=implementation,
        description="Leaves out a method.",
    )


@pytest.mark.parametrize(("kind", "implementation", "missing"), UNFINISHED, ids=["orch", "store"])
def test_implementation_missing_a_method_fails_to_build_naming_it(
    kind: ComponentType, implementation: type[BaseComponent], missing: str
) -> None:
    flavor = unfinished_flavor(kind, implementation)
    client = Client(flavors=FlavorRegistry(register_objects([("half", TrackerPlugin(flavor))])))
    component = client.register_component(kind, "half", "unfinished")
    with pytest.raises(ConfigError) as raised:
        client.build_component(component)
    assert str(raised.value) == (
        f"the {kind.noun} flavor 'unfinished' cannot be built: its implementation "
        f"test_plugins.{implementation.__name__} does not implement {missing}; "
        "report this to the plugin's authors"
    )
    with pytest.raises(pytest.fail.Exception, match=f"does not implement {missing}"):
        assert_flavor_contract(flavor)


def test_plugins_installed_upgraded_changed_or_removed_between_processes_are_seen(
    tmp_path: Path,
) -> None:
    """Entry points are remembered between processes; any change to what is installed shows."""
    site, home = tmp_path / "site", tmp_path / "home"
    site.mkdir()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RUNSTACK_")}
    environment.update(
        RUNSTACK_HOME=str(home),
        PYTHONPATH=os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )

    def plugins() -> dict[str, str]:
        done = subprocess.run(
            [str(RUNSTACK), "plugin", "list", "--output", "json"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (done.returncode, done.stderr) == (0, ""), done.stdout
        return {p["name"]: f"{p['distribution']} {p['version']}" for p in json.loads(done.stdout)}

    def write(version: str, entry_point: str = "acme") -> None:
        for old in site.glob("*.dist-info"):
            shutil.rmtree(old)
        modules, entry_points = distribution_files("acme-tracking", registering(), entry_point)
        write_distribution(
            site, "acme-tracking", modules, entry_points=entry_points, version=version
        )

    local = plugins()
    assert "acme" not in local
    write("1.0.0")
    assert plugins() == {**local, "acme": "acme-tracking 1.0.0"}
    write("1.1.0")
    assert plugins() == {**local, "acme": "acme-tracking 1.1.0"}
    entry_points = site / "acme_tracking-1.1.0.dist-info" / "entry_points.txt"
    entry_points.write_text(entry_points.read_text().replace("acme =", "acme_renamed ="))
    assert plugins() == {**local, "acme_renamed": "acme-tracking 1.1.0"}
    shutil.rmtree(site / "acme_tracking-1.1.0.dist-info")
    assert plugins() == local
