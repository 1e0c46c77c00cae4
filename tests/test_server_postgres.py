"""A team server on PostgreSQL, the database a team would run: users, stacks and a pipeline
run through it, as on SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline_helpers import TWO_STEPS, run_name_in
from postgres_server import PostgresServer
from runstack import Client
from runstack.store.http import HttpStore
from server_helpers import TeamServer, started_server

Cli = Callable[..., str]


@pytest.fixture(scope="module")
def postgres_team_server(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    server = started_server(
        tmp_path_factory.mktemp("pg_team_server"),
        "alice",
        "bob",
        database_url=postgres.new_database(),
    )
    yield server
    server.stop()


def test_a_server_on_postgresql_records_a_pipeline_run_and_keeps_stacks_private(
    postgres_team_server: TeamServer,
    cli_ok: Cli,
    write_module: Callable[..., Path],
    tmp_path: Path,
) -> None:
    server = postgres_team_server
    cli_ok("login", server.url, "--token", server.tokens["alice"])
    cli_ok("artifact-store", "register", "team_store", "--flavor=local", f"--path={tmp_path}")
    cli_ok("stack", "register", "alices", "-o", "default", "-a", "team_store", "--set")
    name = run_name_in(cli_ok("pipeline", "run", f"{write_module(TWO_STEPS)}:two"))

    bob = Client(store=HttpStore(server.url, server.tokens["bob"], user="bob"))
    run = bob.get_run(name)
    assert (run.status.value, run.record.stack_name, run.record.owner) == (
        "completed",
        "alices",
        "alice",
    )
    # Runs are everyone's to see; the private artifact store that holds the outputs is alice's.
    assert Client().get_run(name).steps["second"].outputs["output"].load() == 2
    assert "alices" not in [stack.name for stack in bob.list_stacks()]
    assert [s.name for s in Client().list_stacks()] == ["alices", "default"]
