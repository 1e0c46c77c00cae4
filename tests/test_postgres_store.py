"""The store on a PostgreSQL server: migrated on open (once, however many open it at once), left
alone when current, refused when newer or not runstack's, and one clear line when it cannot
be reached; `open_store` tells the two databases apart by URL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from postgres_server import PASSWORD, PostgresServer
from runstack import Client
from runstack.errors import StoreError
from runstack.runs import RunStatus
from runstack.store import open_store
from runstack.store.postgres_db import VERSION_TABLE, portable
from runstack.store.sql_schema import MIGRATIONS, SCHEMA_VERSION, statements
from runstack.store.sql_store import SqlStore

OPENERS = 8


def schema_row(url: str) -> tuple[Any, ...]:
    """The version the database records, and the transaction that last wrote it."""
    with psycopg.connect(url) as connection:
        row = connection.execute(f"SELECT version, xmin::text FROM {VERSION_TABLE}").fetchall()
    [found] = row
    return tuple(found)


def test_openers_racing_on_an_empty_database_migrate_and_seed_it_once(
    postgres: PostgresServer,
) -> None:
    url = postgres.new_database()
    opened: list[SqlStore | Exception] = []
    start = threading.Barrier(OPENERS)

    def open_it() -> None:
        start.wait()
        try:
            opened.append(open_store(url, owner="alice"))
        except Exception as error:  # checked below
            opened.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stores = [s for s in opened if isinstance(s, SqlStore)]
    assert len(stores) == OPENERS, opened
    [stack] = stores[0].stacks.list()
    assert (stack.name, stack.owner, sorted(stack.components)) == (
        "default",
        "alice",
        ["artifact_store", "orchestrator"],
    )
    assert len(stores[0].components.list()) == 2
    assert schema_row(url)[0] == SCHEMA_VERSION
    for store in stores:
        store.close()


def test_a_current_store_reopens_without_migrating_and_keeps_its_records(
    postgres: PostgresServer,
) -> None:
    url = postgres.new_database()
    first = open_store(url, owner="default")
    Client(store=first).register_stack(
        "mine", {"orchestrator": "default", "artifact_store": "default"}
    )
    first.close()
    migrated = schema_row(url)

    again = open_store(url, owner="someone_else")

    assert schema_row(url) == migrated
    # The private stack is its owner's to see; the shared default stack everyone's.
    assert [(s.name, s.owner) for s in again.stacks.list()] == [("default", "default")]
    assert [(s.name, s.owner) for s in again.acting_as("default").stacks.list()] == [
        ("default", "default"),
        ("mine", "default"),
    ]
    again.close()


def test_an_older_store_is_migrated_keeping_its_runs(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    with psycopg.connect(url) as connection:
        for script in MIGRATIONS[:2]:
            for statement in statements(script):
                connection.execute(portable(statement))
        connection.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER)")
        connection.execute(f"INSERT INTO {VERSION_TABLE} VALUES (2)")
        connection.execute("INSERT INTO pipelines VALUES ('p1', 'old_pipeline', '2026-01-01')")
        connection.execute(
            "INSERT INTO runs VALUES ('r1', 'old_run', 'p1', 'completed', 's1', 'gone', 'a1', "
            "'default', '{}', '{}', '2026-01-01T00:00:00+00:00', "
            "'2026-01-01T00:01:00+00:00', '')"
        )

    store = open_store(url, owner="default")

    run = store.runs.get("old_run")
    assert (run.pipeline_name, run.status, run.pid, run.host) == (
        "old_pipeline",
        RunStatus.COMPLETED,
        None,
        "",
    )
    assert run.finished == datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
    assert schema_row(url)[0] == SCHEMA_VERSION
    store.close()


def test_a_store_of_a_newer_runstack_is_refused(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    open_store(url, owner="default").close()
    with psycopg.connect(url) as connection:
        connection.execute(f"UPDATE {VERSION_TABLE} SET version = %s", (SCHEMA_VERSION + 1,))

    with pytest.raises(StoreError) as refused:
        open_store(url, owner="default")

    location = url.replace(f":{PASSWORD}", "")
    assert str(refused.value) == (
        f"the store {location} was written by a newer runstack (schema {SCHEMA_VERSION + 1}, "
        f"this one reads up to {SCHEMA_VERSION}); upgrade runstack to use it"
    )


def test_a_database_holding_other_tables_is_left_untouched(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    with psycopg.connect(url) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")

    with pytest.raises(StoreError) as refused:
        open_store(url, owner="default")

    assert str(refused.value).endswith(
        "holds tables runstack did not make; it is left untouched: give runstack an empty "
        "database of its own"
    )
    with psycopg.connect(url) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    assert tables == [("invoices",)]


def test_a_store_whose_connections_the_server_dropped_carries_on(
    postgres: PostgresServer,
) -> None:
    url = postgres.new_database()
    store = open_store(url, owner="default")
    client = Client(store=store)
    client.list_stacks()
    database = url.rpartition("/")[2]
    with psycopg.connect(postgres.url(), autocommit=True) as admin:
        dropped = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (database,),
        ).fetchall()
    assert dropped, "the store held no connection to drop"

    client.register_stack("after", {"orchestrator": "default", "artifact_store": "default"})

    assert [s.name for s in client.list_stacks()] == ["after", "default"]
    store.close()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"password": "wrong"}, 'password authentication failed for user "runstack"'),
        ({"database": "missing"}, 'database "missing" does not exist'),
        ({"port": "1"}, "Connection refused"),
        ({"port": "not_a_port"}, 'invalid integer value "not_a_port" for connection option'),
    ],
)
def test_a_store_that_cannot_be_reached_is_one_line_without_the_password(
    postgres: PostgresServer, change: dict[str, str], reason: str
) -> None:
    parts = {"password": PASSWORD, "database": "postgres", "port": str(postgres.port), **change}
    url = f"postgresql://runstack:{parts['password']}@127.0.0.1:{parts['port']}/{parts['database']}"

    with pytest.raises(StoreError) as failed:
        open_store(url, owner="default")

    message = str(failed.value)
    assert message.startswith(
        f"cannot reach the PostgreSQL store at postgresql://runstack@127.0.0.1:{parts['port']}/"
        f"{parts['database']}: {reason}"
    )
    assert message.endswith("check the URL, the user and password, and that the server is running")
    assert "\n" not in message
    assert parts["password"] not in message


def test_a_url_too_broken_to_read_never_shows_its_password() -> None:
    with pytest.raises(StoreError) as failed:
        open_store("postgresql://runstack:hunter2@[::1/db", owner="default")

    assert str(failed.value).startswith("cannot reach the PostgreSQL store at postgresql://...: ")
    assert "hunter2" not in str(failed.value)


def test_an_unknown_kind_of_store_is_refused_without_its_password() -> None:
    with pytest.raises(StoreError) as refused:
        open_store("mysql://root:hunter2@db/runstack", owner="default")

    assert str(refused.value) == (
        "unknown kind of store 'mysql://': give postgresql://USER:PASSWORD@HOST:PORT/DATABASE, "
        "sqlite:///PATH or the path of an SQLite file"
    )


def test_an_sqlite_store_opens_from_its_url_or_its_path(tmp_path: Path) -> None:
    by_url = open_store(f"sqlite:///{tmp_path / 'a.db'}", owner="default")
    by_path = open_store(str(tmp_path / "b.db"), owner="default")

    assert by_url.location == str(tmp_path / "a.db")
    assert by_path.location == str(tmp_path / "b.db")
    assert [s.name for s in by_url.stacks.list()] == [s.name for s in by_path.stacks.list()]
    by_url.close()
    by_path.close()


POSTGRES_SIDE = {"psycopg", "psycopg_pool", "runstack.store.postgres", "runstack.store.postgres_db"}

EMBEDDED_RUN = f"""
import atexit, sys
atexit.register(lambda: print(sorted({POSTGRES_SIDE!r} & set(sys.modules))))

from runstack import Client, pipeline, step


@step
def one() -> int:
    return 1


@pipeline
def single() -> None:
    one()


single()
print(len(Client().runs.list()), "run")
"""


def test_the_embedded_store_never_loads_the_postgresql_side(
    runstack_home: Path, tmp_path: Path
) -> None:
    script = tmp_path / "single.py"
    script.write_text(EMBEDDED_RUN, encoding="utf-8")

    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "RUNSTACK_HOME": str(runstack_home)},
    )

    assert result.stdout.splitlines()[-2:] == ["1 run", "[]"], result.stderr


def test_a_postgresql_store_without_psycopg_installed_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['psycopg'] = None  # as if it were not installed\n"
        "from runstack.store import open_store\n"
        "try:\n"
        "    open_store('postgresql://runstack:pw@127.0.0.1:1/db', owner='default')\n"
        "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
    )

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.stdout.strip() == (
        "StoreError a PostgreSQL store needs psycopg, which is not installed: "
        "pip install 'runstack[server]'"
    ), result.stderr
