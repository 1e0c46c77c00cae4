"""What the CLI prints: help, version, JSON for scripts, tables that fit, and lazy start-up."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import runstack
from pipeline_helpers import TWO_STEPS, run_name_in
from runstack.cli.table import display_width
from runstack.component_types import ComponentType
from runstack.testing import parse_table, write_distribution

if TYPE_CHECKING:
    from click.testing import Result

RunCli = Callable[..., "Result"]

GROUPS = [
    "stack",
    "flavor",
    "plugin",
    "status",
    "pipeline",
    "run",
    "artifact",
    "model",
    "server",
    "login",
    "logout",
    "dashboard",
    "orchestrator",
    "artifact-store",
    "step-operator",
    "experiment-tracker",
    "model-deployer",
    "model-registry",
    "container-registry",
    "image-builder",
    "alerter",
    "annotator",
    "data-validator",
    "feature-store",
]

OPTIONAL_TYPES = ("step_operator", "experiment_tracker", "model_registry")

# A plugin with a config-less `acme` flavor for several optional component types.
SUITE_PLUGIN = f"""
from runstack import Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType
from runstack.components import BaseComponent


@hookimpl
def register_flavors(register):
    for kind in {OPTIONAL_TYPES!r}:
        register(
            Flavor(
                name="acme",
                component_type=ComponentType(kind),
                config_class=FlavorConfig,
                implementation=BaseComponent,
                description="The Acme " + kind.replace("_", " ") + ", for every team's needs.",
            )
        )
"""

LONG_STACK = "stack-for-the-nightly-training-pipeline-on-the-big-gpu-cluster-x"
LONG_NAME = "{}_nightly_training_pipeline_component_with_a_rather_long_name_x"


def ok(run_cli: RunCli, *arguments: str, columns: int = 1000) -> str:
    result = run_cli(*arguments, columns=columns)
    assert (result.exit_code, result.stderr) == (0, ""), (arguments, result.output)
    return result.stdout


def as_json(run_cli: RunCli, *arguments: str) -> object:
    return json.loads(ok(run_cli, *arguments, "--output", "json"))


@pytest.fixture
def suite(install_plugin: Callable[..., Path]) -> None:
    install_plugin(
        "acme-suite",
        {"acme_suite.__init__": "", "acme_suite.plugin": SUITE_PLUGIN},
        entry_points={"acme_suite": "acme_suite.plugin"},
    )


@pytest.fixture
def crowded(run_cli: RunCli, suite: None) -> None:
    """A long-named active stack with an orchestrator, artifact store and three optional parts."""
    options = []
    for kind in ("orchestrator", "artifact_store", *OPTIONAL_TYPES):
        component_type = ComponentType(kind)
        flavor = "local" if component_type.required else "acme"
        name = LONG_NAME.format(kind[:2])
        assert len(name) == 64
        ok(run_cli, component_type.cli_name, "register", name, f"--flavor={flavor}")
        options += [f"--{component_type.cli_name}", name]
    ok(run_cli, "stack", "register", LONG_STACK, *options, "--set", "--share")
    ok(run_cli, "stack", "register", "small", "-o", "default", "-a", "default")


# -- help and version ----------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_every_command_group(run_cli: RunCli, flag: str) -> None:
    output = ok(run_cli, flag)
    commands = output.partition("Commands:\n")[2]
    listed = [line.split()[0] for line in commands.splitlines() if line.strip()]
    assert sorted(listed) == sorted(GROUPS)
    assert GROUPS[12:] == [kind.cli_name for kind in ComponentType]


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(run_cli: RunCli, flag: str) -> None:
    assert ok(run_cli, flag) == f"runstack, version {runstack.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", runstack.__version__)


# -- JSON ----------------------------------------------------------------------------

JSON_COMMANDS = [
    ("stack", "list"),
    ("stack", "describe"),
    ("stack", "describe", LONG_STACK),
    ("flavor", "list"),
    ("plugin", "list"),
    ("status",),
    ("orchestrator", "describe", "default"),
    ("artifact-store", "describe", "default"),
    ("experiment-tracker", "describe", LONG_NAME.format("ex")),
    ("orchestrator", "flavor", "describe", "local"),
    ("artifact-store", "flavor", "describe", "local"),
    ("step-operator", "flavor", "describe", "acme"),
    *((kind.cli_name, "list") for kind in ComponentType),
    *((kind.cli_name, "flavor", "list") for kind in ComponentType),
]


@pytest.mark.parametrize("command", JSON_COMMANDS, ids=" ".join)
def test_every_list_and_describe_prints_json(
    run_cli: RunCli, crowded: None, command: tuple[str, ...]
) -> None:
    data = as_json(run_cli, *command)
    assert isinstance(data, list if command[-1] == "list" else dict)


def test_json_has_the_same_rows_as_the_table(run_cli: RunCli, crowded: None) -> None:
    table = parse_table(ok(run_cli, "stack", "list"))
    data = as_json(run_cli, "stack", "list")
    assert isinstance(data, list)
    assert [(row["STACK NAME"], row["STACK ID"]) for row in table] == [
        (stack["name"], stack["id"][:8]) for stack in data
    ]
    assert [stack["name"] for stack in data if stack["active"]] == [LONG_STACK]


# -- tables at 80 columns ------------------------------------------------------------


def table_columns(output: str) -> dict[str, str]:
    """Each column of the first table: its header and its cells top to bottom, spaces removed.

    Wrapping splits a cell over several lines of its own column only, so joining a
    column's pieces gives back every header and value, whatever the wrapping did.
    """
    lines = output.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith(("┏", "┠", "┗", "+"))]
    header, body = lines[rules[0] + 1 : rules[1]], lines[rules[1] + 1 : rules[-1]]

    def joined(part: list[str]) -> list[str]:
        cells = [
            re.split("[┃│]" if line.startswith("┃") else "[|]", line)[1:-1]
            for line in part
            if line.startswith(("┃", "|"))
        ]
        return ["".join(column).replace(" ", "") for column in zip(*cells, strict=True)]

    return dict(zip(joined(header), joined(body), strict=True))


def squeezed(text: str) -> str:
    return text.replace(" ", "")


STACK_LIST_HEADERS = [
    "ACTIVE",
    "STACK NAME",
    "STACK ID",
    "SHARED",
    "OWNER",
    "ARTIFACT_STORE",
    "EXPERIMENT_TRACKER",
    "MODEL_REGISTRY",
    "ORCHESTRATOR",
    "STEP_OPERATOR",
]

NARROW_TABLES = [
    (("stack", "list"), STACK_LIST_HEADERS),
    (("flavor", "list"), ["FLAVOR", "TYPE", "PACKAGE", "DESCRIPTION"]),
    (("plugin", "list"), ["PLUGIN", "PACKAGE", "FLAVORS", "MATERIALIZERS", "STATUS"]),
    (
        ("experiment-tracker", "list"),
        ["ACTIVE", "NAME", "COMPONENT ID", "FLAVOR", "SHARED", "OWNER"],
    ),
    (("orchestrator", "flavor", "describe", "local"), ["KEY", "TYPE", "DEFAULT", "DESCRIPTION"]),
    (("stack", "describe"), ["COMPONENT_TYPE", "COMPONENT_NAME", "FLAVOR", "LOCATION"]),
    (("orchestrator", "describe", LONG_NAME.format("or")), ["COMPONENT_PROPERTY", "VALUE"]),
]
TITLED = [
    command for command, _ in NARROW_TABLES if command[-1] != "list" and "flavor" not in command
]


def split_title_and_caption(output: str) -> tuple[list[str], list[str]]:
    """(the other lines, the centred title and caption) of a describe table."""
    lines = output.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith(("┏", "┗", "+"))]
    framing = {rules[0] - 1, rules[-1] + 1}
    return (
        [line for i, line in enumerate(lines) if i not in framing],
        [line for i, line in enumerate(lines) if i in framing],
    )


@pytest.mark.parametrize(("command", "headers"), NARROW_TABLES, ids=lambda v: " ".join(v))
def test_tables_fit_80_columns_without_dropping_a_column(
    run_cli: RunCli, crowded: None, command: tuple[str, ...], headers: list[str]
) -> None:
    output = ok(run_cli, *command, columns=80)
    lines = split_title_and_caption(output)[0] if command in TITLED else output.splitlines()
    assert [line for line in lines if display_width(line) > 80] == []
    assert list(table_columns(output)) == [squeezed(header) for header in headers]


@pytest.mark.parametrize("command", TITLED, ids=" ".join)
def test_describe_title_and_caption_fit_80_columns(
    run_cli: RunCli, crowded: None, command: tuple[str, ...]
) -> None:
    # The caption names the stack or component: 64 characters and more words.
    framing = split_title_and_caption(ok(run_cli, *command, columns=80))[1]
    assert len(framing) == 2
    assert [line for line in framing if display_width(line) > 80] == []


def body_lines(output: str) -> list[str]:
    """The lines of a boxed table between its header rule and its bottom rule."""
    lines = output.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith(("┏", "┠", "┗", "+"))]
    return lines[rules[1] + 1 : rules[-1]]


def test_names_stay_on_one_line_at_80_columns_shortened_with_an_ellipsis(
    run_cli: RunCli, crowded: None
) -> None:
    # Ten columns in 80: every stack still takes one line, its long names cut, not wrapped.
    body = body_lines(ok(run_cli, "stack", "list", columns=80))
    assert len(body) == 3
    [crowded_row] = [line for line in body if "👉" in line]
    assert crowded_row.count("…") >= 6
    wide = table_columns(ok(run_cli, "stack", "list", columns=140))
    assert "default" in wide["OWNER"]


def test_descriptions_wrap_at_80_columns_without_losing_a_word(
    run_cli: RunCli, crowded: None
) -> None:
    columns = table_columns(ok(run_cli, "experiment-tracker", "flavor", "list", columns=80))
    assert "TheAcmeexperimenttracker,foreveryteam'sneeds." in columns["DESCRIPTION"]


def test_run_list_at_80_columns_is_one_line_per_run_telling_runs_apart(
    run_cli: RunCli, write_module: Callable[..., Path]
) -> None:
    module = write_module(TWO_STEPS)
    names = [run_name_in(ok(run_cli, "pipeline", "run", f"{module}:two")) for _ in range(3)]
    output = ok(run_cli, "run", "list", columns=80)
    assert [line for line in output.splitlines() if display_width(line) > 80] == []
    shown = [row["RUN NAME"] for row in parse_table(output)]
    assert len(body_lines(output)) == len(shown) == 3
    assert len(set(shown)) == 3
    for name in shown:
        assert name.startswith("…")
        assert any(full.endswith(name[1:]) for full in names)


def test_a_pipe_gets_plain_columns_with_whole_values(run_cli: RunCli, crowded: None) -> None:
    result = run_cli("stack", "list", columns=80, terminal=False)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert not any(character in result.stdout for character in "┏┃│┠┗+|…")
    assert lines[0].split()[:3] == ["ACTIVE", "STACK", "NAME"]
    [row] = [line for line in lines if LONG_STACK in line]
    for kind in ("orchestrator", "artifact_store", *OPTIONAL_TYPES):
        assert LONG_NAME.format(kind[:2]) in row
    assert len(lines) == 4


def test_output_into_a_real_pipe_is_plain(runstack_home: Path) -> None:
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "runstack"), "stack", "list"],
        env={**os.environ, "RUNSTACK_HOME": str(runstack_home), "COLUMNS": "20"},
        capture_output=True,
        text=True,
        check=True,
    )
    header, row = listed.stdout.splitlines()
    assert header.split() == [
        "ACTIVE",
        *("STACK", "NAME", "STACK", "ID", "SHARED", "OWNER"),
        *("ARTIFACT_STORE", "ORCHESTRATOR"),
    ]
    assert row.split()[1:2] == ["default"]


# -- ids -----------------------------------------------------------------------------


def test_ids_are_short_in_tables_and_full_in_describe_and_json(
    run_cli: RunCli, crowded: None
) -> None:
    stack = as_json(run_cli, "stack", "describe", LONG_STACK)
    component = as_json(run_cli, "experiment-tracker", "describe", LONG_NAME.format("ex"))
    assert isinstance(stack, dict)
    assert isinstance(component, dict)
    stack_id, component_id = stack["id"], component["id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", stack_id)

    stack_list = ok(run_cli, "stack", "list")
    assert stack_id[:8] in [row["STACK ID"] for row in parse_table(stack_list)]
    assert stack_id not in stack_list
    component_list = ok(run_cli, "experiment-tracker", "list")
    assert [row["COMPONENT ID"] for row in parse_table(component_list)] == [component_id[:8]]
    assert component_id not in component_list

    assert f"with id '{stack_id}'" in ok(run_cli, "stack", "describe", LONG_STACK)
    described = ok(run_cli, "experiment-tracker", "describe", LONG_NAME.format("ex"))
    assert {"COMPONENT_PROPERTY": "COMPONENT_ID", "VALUE": component_id} in parse_table(described)
    listed = as_json(run_cli, "stack", "list")
    assert isinstance(listed, list)
    assert stack_id in [entry["id"] for entry in listed]


# -- status --------------------------------------------------------------------------


def test_status_shows_active_stack_user_files_and_plugins(
    run_cli: RunCli, runstack_home: Path
) -> None:
    stack = as_json(run_cli, "stack", "describe")
    store = as_json(run_cli, "artifact-store", "describe", "default")
    assert isinstance(stack, dict)
    assert isinstance(store, dict)
    lines = dict(line.split(":", 1) for line in ok(run_cli, "status").splitlines())
    values = {label: value.strip() for label, value in lines.items()}
    assert values["Active stack"] == f"default (id {stack['id']})"
    assert values["User"] == "default"
    assert values["Home"] == str(runstack_home)
    assert values["Config"] == str(runstack_home / "config.toml")
    assert values["Store"] == str(runstack_home / "runstack.db")
    artifacts = runstack_home / "artifact_stores" / store["id"]
    assert values["Artifacts"] == f"{artifacts} (artifact store 'default')"
    plugin_lines = [
        line for line in ok(run_cli, "status").splitlines() if line.startswith("Plugin:")
    ]
    assert plugin_lines == [
        "Plugin:       local_artifact_store (runstack-local-artifact-store "
        f"{version('runstack-local-artifact-store')}): artifact_store:local",
        "Plugin:       local_orchestrator (runstack-local-orchestrator "
        f"{version('runstack-local-orchestrator')}): orchestrator:local",
    ]


def test_status_follows_the_active_stack_and_user(run_cli: RunCli, runstack_home: Path) -> None:
    (runstack_home / "config.toml").write_text('user = "alice"\n', encoding="utf-8")
    ok(run_cli, "artifact-store", "register", "mine", "--flavor=local", f"--path={runstack_home}")
    ok(run_cli, "stack", "register", "own", "-o", "default", "-a", "mine", "--set")
    status = as_json(run_cli, "status")
    assert isinstance(status, dict)
    assert status["user"] == "alice"
    assert status["active_stack"]["name"] == "own"
    assert status["artifact_store"] == {"name": "mine", "root": str(runstack_home)}
    text = ok(run_cli, "status")
    assert "User:         alice\n" in text
    assert f"Artifacts:    {runstack_home} (artifact store 'mine')\n" in text


# -- lazy start-up -------------------------------------------------------------------

# Runs the CLI once per argument list in one interpreter and records, after each run,
# its exit code and every module imported so far.
_RECORD_IMPORTS = """
import json, sys
from runstack.cli.main import main

target, commands = sys.argv[1], json.loads(sys.argv[2])
report = []
for arguments in commands:
    sys.argv = ["runstack", *arguments]
    try:
        main()
    except SystemExit as done:
        code = done.code
    finally:
        report.append({"arguments": arguments, "code": code, "modules": sorted(sys.modules)})
with open(target, "w", encoding="utf-8") as stream:
    json.dump(report, stream)
"""

HEAVY = (
    "pydantic",
    "pluggy",
    "fsspec",
    "runstack.plugins",
    "runstack.installed",
    "runstack.flavor_registry",
)
PLUGIN_MODULES = ("runstack_local_orchestrator", "runstack_local_artifact_store", "acme_lazy")


def test_help_and_stack_list_import_no_plugin_machinery(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_distribution(
        site,
        "acme-lazy",
        {"acme_lazy.__init__": "", "acme_lazy.plugin": SUITE_PLUGIN},
        entry_points={"acme_lazy": "acme_lazy.plugin"},
    )
    environment = {key: v for key, v in os.environ.items() if not key.startswith("RUNSTACK_")}
    path = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    environment.update(RUNSTACK_HOME=str(tmp_path / "home"), PYTHONPATH=os.pathsep.join(path))
    report = tmp_path / "report.json"
    commands = [["--help"], ["stack", "list"], ["flavor", "list"]]
    done = subprocess.run(
        [sys.executable, "-c", _RECORD_IMPORTS, str(report), json.dumps(commands)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Commands:" in done.stdout
    assert "default" in done.stdout
    runs = json.loads(report.read_text(encoding="utf-8"))
    assert [run["code"] for run in runs] == [0, 0, 0]

    def loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
        return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]

    help_run, list_run, flavor_run = runs
    assert loaded(help_run["modules"], HEAVY + PLUGIN_MODULES) == []
    assert loaded(list_run["modules"], HEAVY + PLUGIN_MODULES) == []
    # The check can see plugins being loaded: a command that needs flavors loads them all.
    assert set(loaded(flavor_run["modules"], HEAVY + PLUGIN_MODULES)) >= {
        "pluggy",
        "pydantic",
        "runstack.flavor_registry",
        "runstack_local_orchestrator.plugin",
        "acme_lazy.plugin",
    }


@pytest.mark.parametrize("kind", list(ComponentType), ids=lambda kind: kind.cli_name)
def test_help_uses_an_before_a_vowel(run_cli: RunCli, kind: ComponentType) -> None:
    texts = [ok(run_cli, kind.cli_name, "--help")]
    for command in ("register", "update", "rename", "share", "delete", "describe", "list"):
        texts.append(ok(run_cli, kind.cli_name, command, "--help"))
    wrong = re.findall(r"\b[Aa] [aeiou]\w*", " ".join(" ".join(t.split()) for t in texts))
    assert wrong == []


EMPTY_LISTS = [
    (
        ("experiment-tracker", "list"),
        "No experiment trackers registered. No experiment tracker flavor is installed",
    ),
    (
        ("experiment-tracker", "flavor", "list"),
        "No experiment tracker flavor is installed: install a plugin that provides one.",
    ),
    (("run", "list"), "No runs yet. 'runstack pipeline run FILE.py:PIPELINE' starts one."),
    (("run", "list", "--status", "failed"), "No runs match status 'failed'."),
    (("artifact", "list"), "No artifacts yet"),
    (("pipeline", "list"), "No pipeline has run yet."),
]


@pytest.mark.parametrize(("command", "said"), EMPTY_LISTS, ids=lambda v: " ".join(v))
def test_an_empty_list_says_so_and_what_would_fill_it(
    run_cli: RunCli, command: tuple[str, ...], said: str
) -> None:
    for terminal in (True, False):
        result = run_cli(*command, terminal=terminal)
        assert (result.exit_code, result.stdout) == (0, "")
        assert said in result.stderr


def test_an_empty_list_of_a_type_with_flavors_names_the_flavor_command(
    run_cli: RunCli, suite: None
) -> None:
    result = run_cli("experiment-tracker", "list")
    assert result.stderr.strip() == (
        "No experiment trackers registered. "
        "'runstack experiment-tracker flavor list' shows the flavors installed."
    )


LIST_COMMANDS = [
    ("stack", "list"),
    ("orchestrator", "list"),
    ("experiment-tracker", "list"),
    ("flavor", "list"),
    ("orchestrator", "flavor", "list"),
    ("plugin", "list"),
    ("run", "list"),
    ("pipeline", "list"),
    ("artifact", "list"),
]


@pytest.mark.parametrize("command", LIST_COMMANDS, ids=" ".join)
def test_every_list_command_prints_a_json_array(run_cli: RunCli, command: tuple[str, ...]) -> None:
    # The documented shape (README, "Tables"): an array of objects, empty or not.
    listed = as_json(run_cli, *command)
    assert isinstance(listed, list)
    assert all(isinstance(item, dict) for item in listed)
