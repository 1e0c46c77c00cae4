"""Names that become paths or ids, lookups by name or id prefix, and deleting what they name:
no name can make runstack write or delete outside a run's own folder, and every refusal says why."""

from __future__ import annotations

import re
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
