"""Who may use a team server, and what goes wrong on the way to one: tokens (none, wrong,
revoked), login to a bad place, another runstack version, bad request bodies, a port in use."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from runstack import version
from server_helpers import TeamServer, free_port, unique

Cli = Callable[..., str]
CliError = Callable[..., str]


def config_bytes(home: Path) -> bytes | None:
    path = home / "config.toml"
    return path.read_bytes() if path.exists() else None


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic YWxpY2U6cHc=", "Bearer not-a-token"],
    ids=["none", "another scheme", "wrong"],
)
def test_a_request_without_a_valid_token_is_refused(
    team_server: TeamServer, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with team_server.api(user=None) as api:
        answer = api.get("/stacks", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"] == "AuthenticationError"
    assert "token" in answer.json()["message"]
    assert "default" not in answer.text


def test_info_and_the_schema_need_no_token(team_server: TeamServer) -> None:
    with team_server.api(user=None) as api:
        assert api.get("/info").json() == {"version": version.__version__}
        schema = api.get(f"{team_server.url}/openapi.json").json()
    assert "/api/v1/stacks" in schema["paths"]
    answers = [
        set(operation["responses"])
        for operations in schema["paths"].values()
        for operation in operations.values()
    ]
    # Bad input is answered 400, never FastAPI's 422, and the schema says so.
    assert all({"400", "401", "404", "503"} <= codes and "422" not in codes for codes in answers)


def test_a_revoked_user_is_refused_from_then_on(
    team_server: TeamServer, cli_ok: Cli, cli_error: CliError
) -> None:
    name = unique("carol")
    token = team_server.add_user(name)
    cli_ok("login", team_server.url, "--token", token)
    assert "default" in cli_ok("stack", "list")

    revoked = team_server.runstack(
        "server", "user", "revoke", name, "--db", str(team_server.database)
    )
    assert revoked.stdout == f"Revoked user '{name}': their tokens no longer work.\n"
    listed = team_server.runstack("server", "user", "list", "--db", str(team_server.database))
    assert any(name in line and "revoked" in line for line in listed.stdout.splitlines())
    assert cli_error("stack", "list") == (
        f"Error: the token of user '{name}' was revoked; ask the server's admin for a new user "
        "and log in again with 'runstack login URL --token TOKEN'"
    )
    with team_server.api(user=None) as api:
        answer = api.get("/stacks", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


def test_user_commands_refuse_bad_names_and_clashes(team_server: TeamServer) -> None:
    database = str(team_server.database)
    clash = team_server.runstack("server", "user", "create", "alice", "--db", database)
    assert clash.returncode == 1
    assert clash.stderr == (
        "Error: a user named 'alice' already exists (see 'runstack server user list'); "
        "choose another name\n"
    )
    unknown = team_server.runstack("server", "user", "revoke", "nobody", "--db", database)
    assert unknown.stderr == "Error: no user named 'nobody'; see 'runstack server user list'\n"
    bad = team_server.runstack("server", "user", "create", "a/b", "--db", database)
    assert bad.stderr.startswith("Error: invalid user name 'a/b': it contains '/'")


def test_the_token_is_stored_only_as_a_hash(team_server: TeamServer) -> None:
    import sqlite3

    with sqlite3.connect(team_server.database) as connection:
        hashes = [row[0] for row in connection.execute("SELECT hash FROM tokens")]
    assert team_server.tokens["alice"] not in hashes
    assert all(len(h) == 64 for h in hashes)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "htp://127.0.0.1:8237",
            "Error: 'htp://127.0.0.1:8237' is not a server URL; give one like",
        ),
        ("127.0.0.1:8237", "Error: '127.0.0.1:8237' is not a server URL"),
        ("http://127.0.0.1:99999", "Error: 'http://127.0.0.1:99999' has an invalid port"),
        ("http://127.0.0.1:{free}", "Error: cannot reach the runstack server at http://127.0.0.1:"),
    ],
    ids=["scheme", "no scheme", "port", "unreachable"],
)
def test_login_to_a_bad_place_changes_nothing(
    cli_ok: Cli, cli_error: CliError, runstack_home: Path, url: str, expected: str
) -> None:
    cli_ok("stack", "list")  # the embedded store and config exist before
    before = config_bytes(runstack_home)
    error = cli_error("login", url.format(free=free_port()), "--token", "t")
    assert error.startswith(expected)
    assert config_bytes(runstack_home) == before


def test_login_to_something_that_is_no_runstack_server(
    cli_error: CliError, runstack_home: Path, tmp_path: Path
) -> None:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Silent: the CLI's stderr must hold only its error line."""

    handler = functools.partial(Quiet, directory=str(tmp_path))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as web:
        threading.Thread(target=web.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{web.server_address[1]}"
        error = cli_error("login", url, "--token", "t")
        web.shutdown()
    assert error == (
        f"Error: the server at {url} answered 404 (File not found) to GET /api/v1/info; "
        "is it a runstack server? See its log"
    )
    assert config_bytes(runstack_home) is None


def test_login_with_a_wrong_token_changes_nothing(
    team_server: TeamServer, cli_error: CliError, runstack_home: Path
) -> None:
    assert cli_error("login", team_server.url, "--token", "wrong") == (
        "Error: the token is not valid on this server; log in again with "
        "'runstack login URL --token TOKEN'"
    )
    assert config_bytes(runstack_home) is None


@pytest.mark.parametrize(
    ("client", "fix"),
    [
        ("0.2.0", "upgrade the server: pip install -U runstack where it runs, then restart it"),
        ("0.0.9", "upgrade the client: pip install -U runstack"),
    ],
)
def test_another_api_version_is_refused_saying_which_side_to_upgrade(
    team_server: TeamServer,
    cli_ok: Cli,
    cli_error: CliError,
    runstack_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    client: str,
    fix: str,
) -> None:
    served = version.__version__
    expected = f"Error: the server runs runstack {served}, this client {client}: {fix}"
    cli_ok("login", team_server.url, "--token", team_server.tokens["alice"])
    before = config_bytes(runstack_home)
    monkeypatch.setattr(version, "__version__", client)
    # Refused at login, and by the server for a client logged in before it changed.
    assert cli_error("login", team_server.url, "--token", team_server.tokens["alice"]) == expected
    assert cli_error("stack", "list") == expected
    assert config_bytes(runstack_home) == before


def test_a_body_that_does_not_validate_is_a_400_naming_the_field(team_server: TeamServer) -> None:
    with team_server.api() as api:
        answer = api.post("/stacks", json={"stack": {"id": "x"}})
        garbage = api.put("/runs/x/heartbeat", content=b"{not json")
    assert answer.status_code == 400
    assert answer.json()["error"] == "ConfigError"
    assert answer.json()["message"].startswith("invalid request: field 'body.stack.name': ")
    assert garbage.status_code == 400
    assert garbage.json()["error"] == "ConfigError"


def running_run(api: httpx.Client) -> str:
    """A running run recorded through the API, by a process on another machine; its id."""
    run_id = str(uuid.uuid4())
    run = {
        "id": run_id,
        "name": unique("run"),
        "pipeline_name": unique("pipeline"),
        "status": "running",
        "stack_id": "s",
        "stack_name": "s",
        "artifact_store_id": "a",
        "owner": "alice",
        "config": {},
        "parameters": {},
        "started": "2026-11-30T00:00:00Z",
        "host": "another machine",
    }
    assert api.post("/runs", json=run).status_code == 201
    return run_id


def test_times_without_a_zone_are_refused(team_server: TeamServer) -> None:
    """A heartbeat stored without a zone made every later listing of runs fail with a 500."""
    with team_server.api() as api:
        run_id = running_run(api)
        answer = api.put(f"/runs/{run_id}/heartbeat", json={"moment": "2026-11-30T00:00:01"})
        runs = api.get("/runs")
    assert answer.status_code == 400
    assert answer.json()["message"] == (
        "invalid request: field 'body.moment': a time needs a zone (such as Z or +00:00)"
    )
    assert runs.status_code == 200


def test_a_client_whose_clock_runs_behind_does_not_read_as_crashed(team_server: TeamServer) -> None:
    """Heartbeats were kept at the client's time, and a client behind the server's clock by
    more than three heartbeats had its running runs marked crashed."""
    with team_server.api() as api:
        run_id = running_run(api)
        beat = api.put(f"/runs/{run_id}/heartbeat", json={"moment": "2000-01-01T00:00:00Z"})
        run = api.get(f"/runs/{run_id}").json()
    assert beat.status_code == 204
    assert (run["status"], run["error"]) == ("running", "")


def test_a_record_whose_id_is_taken_is_bad_input_not_an_unavailable_store(
    logged_in: TeamServer, cli_ok: Cli
) -> None:
    """The store's refusal of a clashing id answered 503, as if the store were down."""
    component = json.loads(cli_ok("orchestrator", "describe", "default", "-o", "json"))
    with logged_in.api() as api:
        stored = api.get("/components/orchestrator/default").json()
        answer = api.post("/components", json={**stored, "name": unique("copy")})
    assert stored["id"] == component["id"]
    assert answer.status_code == 400
    assert answer.json()["error"] == "ConfigError"
    assert "UNIQUE constraint failed: components.id" in answer.json()["message"]


def test_a_port_in_use_is_one_line_suggesting_another(
    team_server: TeamServer, cli_error: CliError, tmp_path: Path
) -> None:
    port = team_server.port
    error = cli_error("server", "start", "--port", str(port), "--db", str(tmp_path / "s.db"))
    assert error == (
        f"Error: port {port} on 127.0.0.1 is in use; pick another with --port "
        f"(for example: runstack server start --port {port + 1})"
    )


def test_an_unknown_kind_of_database_is_one_line(cli_error: CliError) -> None:
    assert cli_error("server", "user", "list", "--db", "mysql://db/x") == (
        "Error: unknown kind of store 'mysql://': give postgresql://USER:PASSWORD@HOST:PORT/"
        "DATABASE, sqlite:///PATH or the path of an SQLite file"
    )


def test_the_token_is_asked_for_without_echo(
    team_server: TeamServer, run_cli: Callable[..., Any]
) -> None:
    token = team_server.tokens["bob"]
    result = run_cli("login", team_server.url, input=f"{token}\n")
    assert result.exit_code == 0, result.output
    assert token not in result.stdout
    assert result.stdout.startswith("Token: ")
    assert f"Logged in to {team_server.url} as user 'bob'." in result.stdout


def test_a_database_is_named_by_path_or_sqlite_url(cli_ok: Cli, tmp_path: Path) -> None:
    database = tmp_path / "team.db"
    # SQLAlchemy's spelling: three slashes, then the path (a fourth for an absolute one).
    cli_ok("server", "user", "create", "dana", "--db", f"sqlite:///{database}")
    listed = cli_ok("server", "user", "list", "--db", str(database), "-o", "json")
    assert [user["name"] for user in json.loads(listed)] == ["dana"]


def test_ctrl_c_stops_the_server_cleanly(tmp_path: Path) -> None:
    """Ctrl-C used to end the server with 'Error: interrupted' and exit code 130."""
    import signal

    server = TeamServer(tmp_path)
    server.start()
    assert server.process is not None
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=30) == 0
    assert server.log.read_text().splitlines()[-1] == "runstack server stopped."
