"""The team server, used the way people use it: the CLI and the Python API of a logged-in
client, against a real `runstack server start` (the session's `team_server`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline_helpers import run_name_in
from runstack import Client
from runstack.component_types import ComponentType
from runstack.errors import MissingSecretsError
from runstack.stacks import Stack, StackComponent
from runstack.testing import imported_by_command
from server_helpers import TeamServer, unique

Cli = Callable[..., str]
CliError = Callable[..., str]

FLOW = """
@step
def make() -> int:
    print("making <script>alert(1)</script>")
    return 20


@step
def double(value: int) -> int:
    return value * 2


@pipeline
def flow() -> None:
    double(make())
"""


def use_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Act as another client: its own RUNSTACK_HOME from here on."""
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("RUNSTACK_HOME", str(home))


def test_stacks_and_components_live_on_the_server(
    logged_in: TeamServer, cli_ok: Cli, cli_error: CliError, runstack_home: Path
) -> None:
    orchestrator, stack, renamed = unique("orch"), unique("stack"), unique("renamed")
    cli_ok("orchestrator", "register", orchestrator, "--flavor", "local")
    cli_ok("stack", "register", stack, "-o", orchestrator, "-a", "default")
    cli_ok("orchestrator", "update", orchestrator, "--max_parallel=2")

    listed = {s["name"]: s for s in json.loads(cli_ok("stack", "list", "-o", "json"))}
    assert listed[stack]["owner"] == "alice"
    assert listed[stack]["components"]["orchestrator"]["config"] == {"max_parallel": 2}
    described = cli_ok("stack", "describe", stack)
    identifier = listed[stack]["id"]
    assert f"Stack '{stack}' with id '{identifier}' is owned by user alice" in " ".join(
        described.split()
    )

    cli_ok("stack", "rename", stack, renamed)
    assert cli_error("stack", "describe", stack).startswith(f"Error: no stack named '{stack}'")
    cli_ok("stack", "delete", renamed, "--yes")
    cli_ok("orchestrator", "delete", orchestrator)
    assert renamed not in cli_ok("stack", "list")
    # Nothing of it went to this machine's embedded store.
    assert not (runstack_home / "runstack.db").exists()


def test_errors_read_as_the_store_raised_them(
    logged_in: TeamServer, cli_ok: Cli, cli_error: CliError
) -> None:
    stack, store = unique("stack"), unique("store")
    cli_ok("artifact-store", "register", store, "--flavor=local", "--path=/tmp/x")
    cli_ok("stack", "register", stack, "-o", "default", "-a", store)
    assert cli_error("stack", "register", stack, "-o", "default", "-a", "default") == (
        f"Error: a stack named '{stack}' already exists; choose another name"
    )
    in_use = cli_error("artifact-store", "delete", store)
    assert in_use == (
        f"Error: the artifact store '{store}' is used by the stack(s) '{stack}'; "
        "remove it from them or delete those stacks first"
    )
    # What another user owns is theirs to change: the store says so through the server.
    assert cli_error("orchestrator", "delete", "default") == (
        "Error: the orchestrator 'default' is owned by user 'default'; only its owner may change it"
    )
    # Names with slashes and dots stay names on the way to the server.
    for name in ("a/b", "..", "."):
        assert cli_error("stack", "describe", name).startswith(f"Error: no stack named '{name}'")


def test_missing_secrets_travel_with_the_keys_they_name(logged_in: TeamServer) -> None:
    client = Client()
    component = StackComponent.new(
        name=unique("tracker"),
        type=ComponentType.EXPERIMENT_TRACKER,
        flavor="acme",
        config={},
        owner="alice",
    )
    stack = Stack.new(
        name=unique("stack"),
        owner="alice",
        components={**client.get_stack("default").components, component.type: component},
    )
    with pytest.raises(MissingSecretsError) as raised:
        client.store.stacks.create(stack, [component], lacking={component.type: ["token"]})
    assert raised.value.missing == [("experiment_tracker", "token")]
    assert str(raised.value) == "secrets not given: experiment_tracker.token"
    assert stack.name not in [s.name for s in client.list_stacks()]


def test_a_pipeline_run_is_recorded_on_the_server(
    logged_in: TeamServer,
    cli_ok: Cli,
    write_module: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An artifact store both clients reach, so the second reads what the first wrote.
    store, stack = unique("files"), unique("stack")
    cli_ok("artifact-store", "register", store, "--flavor", "local", f"--path={tmp_path / 'art'}")
    cli_ok("stack", "register", stack, "-o", "default", "-a", store, "--set")
    flow = write_module(FLOW)

    first = run_name_in(cli_ok("pipeline", "run", f"{flow}:flow"))
    again = cli_ok("pipeline", "run", f"{flow}:flow")
    assert f"↺ make cached (from run {first})" in again
    second = run_name_in(again)

    use_home(monkeypatch, tmp_path / "second_client")
    cli_ok("login", logged_in.url, "--token", logged_in.tokens["alice"])
    runs = json.loads(cli_ok("run", "list", "--stack", stack, "-o", "json"))
    assert [run["name"] for run in runs] == [second, first]
    assert {run["status"] for run in runs} == {"completed"}
    described = json.loads(cli_ok("run", "describe", first, "-o", "json"))
    assert [step["status"] for step in described["steps"]] == ["completed", "completed"]
    assert "making <script>alert(1)</script>" in cli_ok("run", "logs", first)
    run = Client().runs.get(second)
    assert run.steps["double"].outputs["output"].load() == 40
    assert Client().runs.count(stack=stack) == 2


def test_what_a_step_recorded_travels_through_the_server(
    logged_in: TeamServer, cli_ok: Cli, write_module: Callable[..., Path]
) -> None:
    flow = write_module(
        """
        from runstack import get_step_context

        @step(enable_cache=False)
        def measure() -> None:
            get_step_context().add_metadata({"rows": 3, "exact": True, "where": "s3://in"})

        @pipeline
        def measuring() -> None:
            measure()
        """
    )
    run = run_name_in(cli_ok("pipeline", "run", f"{flow}:measuring"))
    recorded = {"rows": 3, "exact": True, "where": "s3://in"}
    assert Client().runs.get(run).steps["measure"].record.metadata == recorded
    assert json.loads(cli_ok("run", "describe", run, "-o", "json"))["steps"][0]["metadata"] == (
        recorded
    )


def test_runs_page_through_the_server(
    logged_in: TeamServer, cli_ok: Cli, write_module: Callable[..., Path]
) -> None:
    stack = unique("stack")
    cli_ok("stack", "register", stack, "-o", "default", "-a", "default", "--set")
    flow = write_module(FLOW)
    for _ in range(3):
        cli_ok("pipeline", "run", f"{flow}:flow")
    store = Client().store
    stack_id = Client().get_stack(stack).id
    every = [run.name for run in store.runs.list(stack_id=stack_id)]
    assert len(every) == 3
    assert [run.name for run in store.runs.list(stack_id=stack_id, limit=2, offset=1)] == every[1:]
    assert [run.name for run in store.runs.list(stack_id=stack_id, offset=2)] == every[2:]


def test_concurrent_clients_never_see_a_locked_database(logged_in: TeamServer) -> None:
    names = [unique("parallel") for _ in range(40)]

    def register(name: str) -> str:
        client = Client()
        client.register_component("orchestrator", name, "local", {})
        return client.get_component("orchestrator", name).name

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert sorted(pool.map(register, names)) == sorted(names)
    listed = {c.name for c in Client().list_components("orchestrator")}
    assert set(names) <= listed
    assert "database is locked" not in logged_in.log.read_text()


def test_status_login_and_logout(team_server: TeamServer, cli_ok: Cli, runstack_home: Path) -> None:
    embedded = str(runstack_home / "runstack.db")
    assert "Store:        " + embedded in cli_ok("status")
    assert cli_ok("login", team_server.url, "--token", team_server.tokens["bob"]) == (
        f"Logged in to {team_server.url} as user 'bob'.\n"
    )
    status = cli_ok("status")
    assert f"Store:        {team_server.url} (team server, user bob)" in status
    assert "User:         bob" in status
    assert json.loads(cli_ok("status", "-o", "json"))["server"] == {
        "url": team_server.url,
        "user": "bob",
    }
    assert (runstack_home / "config.toml").stat().st_mode & 0o077 == 0
    assert (
        cli_ok("logout")
        == f"Logged out of {team_server.url}; using the embedded store at {embedded}.\n"
    )
    assert "Store:        " + embedded in cli_ok("status")


def test_the_token_may_come_from_the_environment(
    team_server: TeamServer, cli_ok: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNSTACK_TOKEN", team_server.tokens["bob"])
    assert "as user 'bob'" in cli_ok("login", team_server.url)


NOT_LOGGED_IN = {"httpx", "runstack.store.http", "runstack.store.wire", "fastapi", "uvicorn"}
SERVER_SIDE = {"fastapi", "uvicorn", "starlette", "httpx", "jinja2", "psycopg"}


@pytest.mark.parametrize(
    ("arguments", "unwanted"),
    [
        (["stack", "list"], NOT_LOGGED_IN),
        (["run", "list"], NOT_LOGGED_IN),
        (["server", "user", "list"], SERVER_SIDE),
    ],
    ids=["stack list", "run list", "server user list"],
)
def test_commands_load_no_web_library_they_do_not_need(
    arguments: list[str], unwanted: set[str]
) -> None:
    assert imported_by_command(arguments, unwanted) == []


def test_another_users_private_stack_is_404_and_their_shared_one_is_theirs_to_change(
    team_server: TeamServer,
) -> None:
    from runstack.store.http import HttpStore

    alice = Client(store=HttpStore(team_server.url, team_server.tokens["alice"], user="alice"))
    private, shared = unique("private"), unique("shared")
    members = {"orchestrator": "default", "artifact_store": "default"}
    private_id = alice.register_stack(private, members).id
    shared_stack = alice.register_stack(shared, members, shared=True)
    with team_server.api("bob") as bob:
        hidden = bob.get(f"/stacks/{private_id}")
        assert hidden.status_code == 404
        assert private not in hidden.text  # the id asked for is echoed, never the stack
        assert private not in [stack["name"] for stack in bob.get("/stacks").json()]
        assert bob.get(f"/stacks/{shared_stack.id}").status_code == 200
        refused = bob.delete(f"/stacks/{shared_stack.id}")
        assert refused.status_code == 403
        assert refused.json() == {
            "error": "PermissionDeniedError",
            "message": f"the stack '{shared}' is owned by user 'alice'; only its owner may "
            "change it",
        }
    assert alice.get_stack(shared).id == shared_stack.id
