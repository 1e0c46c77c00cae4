"""Names that become paths or ids, lookups by name or id prefix, and deleting what they name:
no name can make runstack write or delete outside a run's own folder, and every refusal says why."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pytest

from runstack import Client, pipeline, step
from runstack.errors import ConfigError

Cli = Callable[..., str]
CliFails = Callable[..., tuple[str, str]]
RunCli = Callable[..., Any]

RULE = "1 to 128 characters, no '/', '\\', NUL or control characters, not '.' or '..'"
BAD_NAMES = [
    pytest.param("../../..", id="climbs-out"),
    pytest.param("..", id="parent"),
    pytest.param(".", id="here"),
    pytest.param("a/../../..", id="climbs-through-a-folder"),
    pytest.param("a\\b", id="backslash"),
    pytest.param("a\0b", id="nul"),
    pytest.param("tab\there", id="control"),
    pytest.param("", id="empty"),
    pytest.param("x" * 129, id="too-long"),
]


@step
def produce() -> Annotated[int, "model"]:
    return 1


@pipeline
def producing() -> None:
    produce()


@pytest.fixture
def store_folder(tmp_path: Path) -> Path:
    """The active stack's artifact store keeps its files here (tmp_path/store/root); a file
    beside it and a file runstack never wrote inside it stand for a user's other data."""
    root = tmp_path / "store" / "root"
    root.mkdir(parents=True)
    (root.parent / "beside.txt").write_text("keep me")
    (root / "foreign.txt").write_text("keep me too")
    client = Client()
    client.register_component("artifact_store", "mine", "local", {"path": str(root)})
    client.register_stack("mine", {"orchestrator": "default", "artifact_store": "mine"})
    client.set_active_stack("mine")
    return root


def assert_user_files_survive(root: Path) -> None:
    assert (root.parent / "beside.txt").read_text() == "keep me"
    assert (root / "foreign.txt").read_text() == "keep me too"


# -- the name rule: pipelines, steps, outputs, runs --------------------------------------


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_bad_output_name_is_refused_when_the_step_is_defined(name: str) -> None:
    def make() -> int:
        return 1

    make.__annotations__["return"] = Annotated[int, name]
    with pytest.raises(ConfigError) as raised:
        step(make)
    assert str(raised.value).startswith(f"step 'make': invalid output name {name!r}: ")
    assert RULE in str(raised.value)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_bad_step_or_pipeline_name_is_refused_when_defined(name: str) -> None:
    def make() -> int:
        return 1

    quoted = re.escape(repr(name))
    with pytest.raises(ConfigError, match=f"^invalid step name {quoted}: .*{re.escape(RULE)}"):
        step(name=name)(make)
    with pytest.raises(ConfigError, match=f"^invalid step name {quoted}: "):
        step(make).with_options(name=name)
    with pytest.raises(ConfigError, match=f"^invalid pipeline name {quoted}: "):
        pipeline(name=name)(make)
    with pytest.raises(ConfigError, match=f"^invalid pipeline name {quoted}: "):
        pipeline(make).with_options(name=name)


def test_an_output_climbing_out_of_its_folder_cannot_be_run_and_the_store_stays_whole(
    store_folder: Path, cli_error: Cli, write_module: Callable[..., Path]
) -> None:
    flow = write_module(
        """
        @step
        def make() -> Annotated[int, "../../.."]:
            return 1


        @pipeline
        def flow() -> None:
            make()
        """
    )
    message = cli_error("pipeline", "run", f"{flow}:flow")
    assert "invalid output name '../../..'" in message
    assert Client().list_runs() == []
    assert sorted(p.name for p in store_folder.iterdir()) == ["foreign.txt"]
    assert_user_files_survive(store_folder)


def test_runs_of_a_step_named_dot_dot_are_refused_before_any_step_runs(
    store_folder: Path, cli_error: Cli, write_module: Callable[..., Path]
) -> None:
    flow = write_module(
        """
        @step(name="..")
        def make() -> int:
            return 1


        @pipeline
        def flow() -> None:
            make()
        """
    )
    for _ in range(2):
        assert "invalid step name '..'" in cli_error("pipeline", "run", f"{flow}:flow")
    assert Client().list_runs() == []
    assert sorted(p.name for p in store_folder.iterdir()) == ["foreign.txt"]


def test_two_outputs_of_a_step_with_one_name_are_refused() -> None:
    def pair() -> tuple[Annotated[int, "value"], Annotated[str, "value"]]:
        return 1, "one"

    with pytest.raises(
        ConfigError, match="step 'pair' has two outputs named 'value'; give each its own name"
    ):
        step(pair)


def test_a_step_id_made_too_long_by_its_number_is_refused_before_any_step_runs() -> None:
    longest = produce.with_options(name="x" * 128)

    @pipeline
    def twice() -> None:
        longest()
        longest()

    with pytest.raises(ConfigError, match=f"invalid step name '{'x' * 128}_2'"):
        twice()
    assert Client().list_runs() == []


@pytest.mark.parametrize(
    "template",
    ["nightly/{date}", "..", "{date}\n", str(uuid.uuid4()), str(uuid.uuid4()).upper()],
)
def test_a_run_name_breaking_the_rule_or_looking_like_an_id_is_refused_before_the_run(
    template: str,
) -> None:
    with pytest.raises(ConfigError, match="invalid run name"):
        producing.with_options(run_name=template)()
    assert Client().list_runs() == []


def test_a_run_name_that_starts_another_runs_id_is_refused() -> None:
    first = producing()
    prefix = first.id[:8]
    with pytest.raises(
        ConfigError,
        match=f"invalid run name '{prefix}': it looks like an id of the run '{first.name}'",
    ):
        producing.with_options(run_name=prefix)()
    assert [run.id for run in Client().list_runs()] == [first.id]


# -- lookups by id prefix: `%` and `_` are literal --------------------------------------


def test_percent_and_underscore_in_an_id_prefix_match_only_themselves(
    store_folder: Path, cli_ok: Cli, cli_error: Cli
) -> None:
    run = producing()
    artifact = run.steps["produce"].outputs["model"]
    stack = Client().get_stack("mine")
    component = stack.artifact_store
    for wildcard in ("_", "%"):
        run_prefix = wildcard + run.id[1:8]
        assert cli_error("run", "delete", run_prefix, "-y") == (
            f"Error: no run named {run_prefix!r}; see 'runstack run list'"
        )
        assert cli_error("run", "describe", wildcard).startswith(
            f"Error: no run named {wildcard!r}"
        )
        assert cli_error("artifact", "describe", wildcard + artifact.id[1:6]).startswith(
            "Error: no artifact with id"
        )
        assert cli_error("stack", "describe", wildcard + stack.id[1:6]).startswith(
            "Error: no stack named"
        )
        assert cli_error("artifact-store", "describe", wildcard + component.id[1:6]).startswith(
            "Error: no artifact store named"
        )
    assert Client().get_run(run.id[:8]).id == run.id


# -- names that look like ids -------------------------------------------------------------


def test_a_stack_or_component_name_that_is_an_id_or_starts_one_is_refused(
    cli_error: Cli, cli_ok: Cli
) -> None:
    client = Client()
    default = client.get_stack("default")
    component = default.artifact_store
    a_uuid = str(uuid.uuid4())
    cases = [
        (("stack", "register", a_uuid, "-o", "default", "-a", "default"), "stack", a_uuid),
        (("stack", "copy", "default", default.id[:6]), "stack", default.id[:6]),
        (("artifact-store", "register", a_uuid, "--flavor=local"), "artifact store", a_uuid),
        (
            ("artifact-store", "rename", "default", component.id[:6].upper()),
            "artifact store",
            component.id[:6].upper(),
        ),
    ]
    for arguments, what, name in cases:
        message = cli_error(*arguments)
        assert message.startswith(f"Error: invalid {what} name {name!r}: "), message
        assert "looks like an id" in message
    assert [s.name for s in client.list_stacks()] == ["default"]
    assert [c.name for c in client.list_components("artifact_store")] == ["default"]
    cli_ok("stack", "copy", "default", default.id[:3])  # too short to be taken for an id


def test_a_component_in_a_stack_file_gets_the_same_name_check(
    cli_error: Cli, tmp_path: Path
) -> None:
    for name in ("../escape", str(uuid.uuid4())):
        stack_file = tmp_path / "stack.toml"
        stack_file.write_text(
            '[stack]\nname = "s"\n'
            '[components.orchestrator]\nname = "default"\nflavor = "local"\n'
            f'[components.artifact_store]\nname = "{name}"\nflavor = "local"\n',
            encoding="utf-8",
        )
        message = cli_error("stack", "import", str(stack_file))
        assert message.startswith(f"Error: invalid artifact store name {name!r}: "), message
    assert [c.name for c in Client().list_components("artifact_store")] == ["default"]


def test_an_id_means_its_object_even_where_an_older_store_let_a_name_look_like_it(
    runstack_home: Path, cli_ok: Cli
) -> None:
    client = Client()
    client.copy_stack("default", "other")
    client.register_component("orchestrator", "other", "local")
    default, other = client.get_stack("default"), client.get_stack("other")
    orchestrator = client.get_component("orchestrator", "default")
    with sqlite3.connect(runstack_home / "runstack.db") as connection:
        connection.execute("UPDATE stacks SET name = ? WHERE id = ?", (default.id, other.id))
        connection.execute(
            "UPDATE components SET name = ? WHERE name = 'other'", (orchestrator.id,)
        )
    connection.close()

    assert Client().get_stack(default.id).name == "default"
    assert Client().get_component("orchestrator", orchestrator.id).name == "default"
    assert Client().get_stack(other.id).name == default.id


# -- a pipeline inside a pipeline -----------------------------------------------------------


def test_a_pipeline_called_inside_a_pipeline_is_an_error_and_never_runs() -> None:
    @pipeline
    def outer() -> None:
        producing()

    with pytest.raises(
        ConfigError,
        match="pipeline 'producing' is called inside pipeline 'outer'; calling a pipeline "
        "from a pipeline is not supported yet: call its steps in 'outer' instead",
    ):
        outer()
    assert Client().list_runs() == []


def test_a_pipeline_calling_itself_is_an_error() -> None:
    @pipeline
    def loop() -> None:
        produce()
        loop()

    with pytest.raises(ConfigError, match="pipeline 'loop' calls itself"):
        loop()
    assert Client().list_runs() == []
