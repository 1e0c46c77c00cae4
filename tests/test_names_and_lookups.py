"""Names that become paths or ids, lookups by name or id prefix, and deleting what they name:
no name can make runstack write or delete outside a run's own folder, and every refusal says why."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pytest

from pipeline_helpers import artifact_path
from runstack import Client, pipeline, step
from runstack.errors import ConfigError, InUseError, NotFoundError
from runstack.processes import this_host
from runstack.runs import RunRecord, RunStatus
from runstack.stacks import new_id, now

Cli = Callable[..., str]
CliFails = Callable[..., tuple[str, str]]
RunCli = Callable[..., Any]

RULE = (
    "1 to 128 characters and 255 bytes in UTF-8, no '/', '\\', NUL or control characters, "
    "not '.' or '..'"
)
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
    pytest.param("é" * 128, id="too-long-for-a-folder-name"),  # 256 bytes
    pytest.param("a\ud800b", id="lone-surrogate"),  # no file system can store it
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
    assert Client().runs.list() == []
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
    assert Client().runs.list() == []
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
    assert Client().runs.list() == []


@pytest.mark.parametrize(
    "template",
    ["nightly/{date}", "..", "{date}\n", str(uuid.uuid4()), str(uuid.uuid4()).upper()],
)
def test_a_run_name_breaking_the_rule_or_looking_like_an_id_is_refused_before_the_run(
    template: str,
) -> None:
    with pytest.raises(ConfigError, match="invalid run name"):
        producing.with_options(run_name=template)()
    assert Client().runs.list() == []


def test_a_run_name_that_starts_another_runs_id_is_refused() -> None:
    first = producing()
    prefix = first.id[:8]
    with pytest.raises(
        ConfigError,
        match=f"invalid run name '{prefix}': it looks like an id of the run '{first.name}'",
    ):
        producing.with_options(run_name=prefix)()
    assert [run.id for run in Client().runs.list()] == [first.id]


# -- deleting a run removes only what it wrote, inside its own folder -------------------


def _rewrite_uri(runstack_home: Path, artifact_id: str, uri: str) -> None:
    """What an older runstack recorded for a step or output named to climb out of its folder."""
    with sqlite3.connect(runstack_home / "runstack.db") as connection:
        connection.execute("UPDATE artifacts SET uri = ? WHERE id = ?", (uri, artifact_id))
    connection.close()


@pytest.mark.parametrize(
    "recorded",
    [
        pytest.param("producing/{run}/produce/../../..", id="output-named-to-climb-out"),
        pytest.param("producing/{run}/../model", id="step-named-dot-dot"),
        pytest.param("producing/{run}/produce/a/../../../..", id="output-with-a-slash"),
        pytest.param("producing/{other}/produce/model", id="another-runs-folder"),
        pytest.param("producing", id="the-pipelines-folder"),
    ],
)
def test_run_delete_leaves_files_outside_the_runs_own_folder_and_says_so(
    store_folder: Path, runstack_home: Path, run_cli: RunCli, recorded: str
) -> None:
    other, run = producing(), producing.with_options(enable_cache=False)()
    other_files = artifact_path(other.steps["produce"].outputs["model"])
    artifact = run.steps["produce"].outputs["model"]
    uri = recorded.format(run=run.id, other=other.id)
    _rewrite_uri(runstack_home, artifact.id, uri)

    result = run_cli("run", "delete", run.name, "--yes")

    assert_user_files_survive(store_folder)
    assert other_files.exists()
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Deleted run '{run.name}'.\n"
    assert result.stderr == (
        f"Warning: left the files of artifact {artifact.id} in place: its recorded path "
        f"{uri!r} is not inside the run's own folder 'producing/{run.id}/'\n"
    )
    with pytest.raises(NotFoundError):
        Client().runs.get(run.id)


def test_run_delete_leaves_a_reused_artifact_pointing_into_a_live_runs_folder(
    store_folder: Path, runstack_home: Path, run_cli: RunCli, cli_ok: Cli
) -> None:
    maker, reuser = producing(), producing()
    live = producing.with_options(enable_cache=False)()
    live_files = artifact_path(live.steps["produce"].outputs["model"])
    artifact = reuser.steps["produce"].outputs["model"]
    cli_ok("run", "delete", maker.name, "-y")
    uri = f"producing/{live.id}/produce/model"
    _rewrite_uri(runstack_home, artifact.id, uri)

    result = run_cli("run", "delete", reuser.name, "-y")

    assert live_files.exists()
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Warning: left the files of artifact {artifact.id} in place: its recorded path "
        f"{uri!r} lies in the folder of run {live.name!r}, which still exists\n"
    )


@pipeline(enable_cache=False)
def producing_twice() -> None:
    produce()
    produce()


def test_run_delete_leaves_a_folder_swapped_for_a_link_and_removes_the_rest(
    store_folder: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    run = producing_twice()
    linked = artifact_path(run.steps["produce"].outputs["model"])
    removed = artifact_path(run.steps["produce_2"].outputs["model"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "data.txt").write_text("keep me")
    shutil.rmtree(linked)
    linked.symlink_to(elsewhere, target_is_directory=True)

    result = run_cli("run", "delete", run.name, "--yes")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"Deleted run '{run.name}'.\n"
    artifact = run.steps["produce"].outputs["model"]
    assert result.stderr.startswith(
        f"Warning: left the files of artifact {artifact.record.id} in place: "
    ), result.stderr
    assert "symbolic link" in result.stderr
    assert (elsewhere / "data.txt").read_text() == "keep me"
    assert not removed.exists()
    with pytest.raises(NotFoundError):
        Client().runs.get(run.id)


def test_run_delete_still_removes_the_runs_own_files(store_folder: Path, cli_ok: Cli) -> None:
    run = producing()
    files = artifact_path(run.steps["produce"].outputs["model"])
    assert cli_ok("run", "delete", run.name, "-y") == f"Deleted run '{run.name}'.\n"
    assert not files.exists()
    assert_user_files_survive(store_folder)


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
        artifact_prefix = wildcard + artifact.id[1:6]
        assert cli_error("artifact", "describe", artifact_prefix) == (
            f"Error: no artifact named {artifact_prefix!r}, and no artifact with id "
            f"{artifact_prefix!r}; see 'runstack artifact list'"
        )
        assert cli_error("stack", "describe", wildcard + stack.id[1:6]).startswith(
            "Error: no stack named"
        )
        assert cli_error("artifact-store", "describe", wildcard + component.id[1:6]).startswith(
            "Error: no artifact store named"
        )
    assert Client().runs.get(run.id[:8]).id == run.id


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


# -- artifact stores that runs still use --------------------------------------------------


def test_deleting_an_artifact_store_that_runs_use_is_refused_or_forced_with_a_note(
    store_folder: Path, run_cli: RunCli, cli_ok: Cli, cli_error: Cli
) -> None:
    run = producing()
    files = artifact_path(run.steps["produce"].outputs["model"])
    client = Client()
    client.set_active_stack("default")
    client.delete_stack("mine")

    assert cli_error("artifact-store", "delete", "mine") == (
        f"Error: the artifact store 'mine' holds the artifacts of 1 run(s) ({run.name}); "
        "delete those runs first, or pass --force to forget the store and leave its "
        f"files in {store_folder}"
    )
    with pytest.raises(InUseError, match="holds the artifacts of 1 run"):
        client.delete_component("artifact_store", "mine")

    result = run_cli("artifact-store", "delete", "mine", "--force")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Deleted artifact store 'mine'.\n"
    assert result.stderr == (
        f"Warning: the files of the artifact store 'mine' stay in {store_folder} "
        "(1 run(s) still refer to them)\n"
    )
    result = run_cli("run", "delete", run.name, "-y")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Deleted run '{run.name}'.\n"
    assert result.stderr == (
        f"Warning: the files of 1 artifact(s) were not removed: the artifact store "
        f"(id {run.record.artifact_store_id}) no longer exists\n"
    )
    assert files.exists()
    assert cli_ok("run", "list", "-o", "json") == "[]\n"


def test_run_delete_when_the_artifact_store_folder_is_gone_says_so(
    store_folder: Path, run_cli: RunCli
) -> None:
    run = producing()
    for path in sorted(store_folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    store_folder.rmdir()

    result = run_cli("run", "delete", run.name, "-y")

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Warning: the folder of the artifact store 'mine' ({store_folder}) is gone; "
        "no files were removed\n"
    )
    assert not store_folder.exists()


# -- a pipeline inside a pipeline -----------------------------------------------------------


def test_a_pipeline_calling_itself_is_an_error() -> None:
    @pipeline
    def loop() -> None:
        produce()
        loop()

    with pytest.raises(ConfigError, match="pipeline 'loop' calls itself"):
        loop()
    assert Client().runs.list() == []


# -- paths at registration ------------------------------------------------------------------


def test_a_nul_byte_in_a_path_is_refused_at_registration(cli_error: Cli) -> None:
    assert "path: Value error, must not contain a NUL byte" in cli_error(
        "artifact-store", "register", "x", "--flavor=local", "--path=a\0b"
    )
    client = Client()
    with pytest.raises(ConfigError, match=r"path: .*NUL"):
        client.register_component("artifact_store", "x", "local", {"path": "a\0b"})
    with pytest.raises(ConfigError, match=r"path: .*NUL"):
        client.update_component("artifact_store", "default", {"path": "a\0b"})
    assert [c.name for c in client.list_components("artifact_store")] == ["default"]


def test_registration_shows_a_path_validation_changed(
    cli_ok: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli_ok("artifact-store", "register", "x", "--flavor=local", "--path=rel") == (
        f"Registered artifact store 'x' (flavor 'local'); path 'rel' is stored as "
        f"'{tmp_path / 'rel'}'.\n"
    )
    assert cli_ok("artifact-store", "update", "x", "--path=other") == (
        f"Updated artifact store 'x'; path 'other' is stored as '{tmp_path / 'other'}'.\n"
    )
    assert cli_ok("artifact-store", "register", "y", "--flavor=local", f"--path={tmp_path}") == (
        "Registered artifact store 'y' (flavor 'local').\n"
    )


# -- deleting a run still marked running ---------------------------------------------------


def test_run_delete_of_a_running_run_needs_force(cli_fails: CliFails, cli_ok: Cli) -> None:
    client = Client()
    stack = client.active_stack
    run = RunRecord(
        id=new_id(),
        name="busy",
        pipeline_name="flow",
        status=RunStatus.RUNNING,
        stack_id=stack.id,
        stack_name=stack.name,
        artifact_store_id=stack.artifact_store.id,
        owner=client.user,
        config={},
        parameters={},
        started=now(),
        pid=os.getpid(),
        host=this_host(),
    )
    client.store.runs.create(run)

    assert cli_fails("run", "delete", "busy", "-y")[1] == (
        "Error: run 'busy' is still running; wait for it to finish, or pass --force to "
        "delete it anyway"
    )
    assert cli_ok("run", "delete", "busy", "-y", "--force") == (
        "Deleted run 'busy', which was still marked running.\n"
    )
    assert client.runs.list() == []
