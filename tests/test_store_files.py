"""The files under RUNSTACK_HOME: a damaged store or config is reported, never rewritten."""

from __future__ import annotations

import errno
import gc
import json
import os
import random
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runstack.store.sql_schema import MIGRATIONS, SCHEMA_VERSION, statements
from runstack.testing import parse_table
from schema_rollback import back_to

if TYPE_CHECKING:
    from click.testing import Result

RunCli = Callable[..., "Result"]


def assert_one_line_error(result: Result, path: Path, *fragments: str) -> None:
    """A non-zero exit and exactly one `Error: ...` line that names the file."""
    assert result.exit_code != 0
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert str(path) in line
    for fragment in fragments:
        assert fragment in line


def sqlite_file(path: Path, *statements: str) -> None:
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()


def fresh_store(run_cli: RunCli, home: Path) -> Path:
    """A store created by runstack itself (with the default stack), every connection closed.

    An in-process command's connections close only when garbage is collected, and
    the last one to close merges the WAL into the file: collected now, not mid-test.
    """
    assert run_cli("stack", "list").exit_code == 0
    gc.collect()
    return home / "runstack.db"


# -- a store runstack cannot read ----------------------------------------------------


def random_bytes(path: Path) -> str:
    path.write_bytes(random.Random(7).randbytes(8192))
    return "file is not a database"


def other_program(path: Path) -> str:
    sqlite_file(
        path,
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)",
        "INSERT INTO notes (text) VALUES ('buy milk')",
    )
    return "SQLite file of some other program"


def newer_schema(path: Path) -> str:
    sqlite_file(path, "CREATE TABLE stacks (id TEXT)", "PRAGMA user_version = 99")
    return "newer runstack (schema 99"


@pytest.mark.parametrize("damage", [random_bytes, other_program, newer_schema])
def test_unusable_store_is_reported_in_one_line_and_left_untouched(
    run_cli: RunCli, runstack_home: Path, damage: Callable[[Path], str]
) -> None:
    store = runstack_home / "runstack.db"
    problem = damage(store)
    before = store.read_bytes()

    for command in (["stack", "list"], ["orchestrator", "list"], ["status"]):
        assert_one_line_error(run_cli(*command), store, problem)
    assert store.read_bytes() == before
    assert sorted(path.name for path in runstack_home.iterdir()) == ["runstack.db"]
    # Commands that need no store still work.
    assert run_cli("flavor", "list").exit_code == 0


def test_store_written_by_a_newer_runstack_says_to_upgrade(
    run_cli: RunCli, runstack_home: Path
) -> None:
    store = fresh_store(run_cli, runstack_home)
    newer = SCHEMA_VERSION + 1
    sqlite_file(store, f"PRAGMA user_version = {newer}")
    before = store.read_bytes()
    result = run_cli("stack", "list")
    assert_one_line_error(
        result, store, f"schema {newer}", f"reads up to {SCHEMA_VERSION}", "upgrade runstack"
    )
    assert store.read_bytes() == before


def test_store_from_an_older_runstack_is_migrated_and_keeps_its_stacks(
    run_cli: RunCli, runstack_home: Path
) -> None:
    store = runstack_home / "runstack.db"
    connection = sqlite3.connect(store)
    for statement in statements(MIGRATIONS[0]):
        connection.execute(statement)
    connection.executescript(
        """
        INSERT INTO components VALUES ('c1', 'orchestrator', 'old_orch', 'local', '{}', '{}',
            'alice', 0, '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00');
        INSERT INTO components VALUES ('c2', 'artifact_store', 'old_store', 'local', '{}', '{}',
            'alice', 0, '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00');
        INSERT INTO stacks VALUES ('s1', 'default', 'alice', 0,
            '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00');
        INSERT INTO stack_components VALUES ('s1', 'orchestrator', 'c1');
        INSERT INTO stack_components VALUES ('s1', 'artifact_store', 'c2');
        PRAGMA user_version = 1;
        """
    )
    connection.close()

    result = run_cli("stack", "describe", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["components"]["orchestrator"]["name"] == "old_orch"
    connection = sqlite3.connect(store)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
    connection.close()


def test_a_store_from_before_owners_shares_its_default_stack(
    run_cli: RunCli, runstack_home: Path
) -> None:
    """Stacks and components are seen by their owner only until shared: the default stack of
    an older store becomes shared with what it is made of, as a new store seeds it."""
    store = fresh_store(run_cli, runstack_home)
    # Back to schema 9, before owners (10) and every migration since.
    sqlite_file(store, *back_to(9))

    result = run_cli("stack", "describe", "-o", "json")
    assert result.exit_code == 0, result.output
    described = json.loads(result.stdout)
    assert described["shared"] is True
    assert [c["shared"] for c in described["components"].values()] == [True, True]


def test_store_uses_wal_mode(run_cli: RunCli, runstack_home: Path) -> None:
    store = fresh_store(run_cli, runstack_home)
    with sqlite3.connect(store) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


def test_processes_opening_a_fresh_store_at_once_make_one_default_stack(
    run_cli: RunCli, runstack_home: Path, tmp_path: Path
) -> None:
    start = tmp_path / "start"
    # Each process imports everything first, then waits for the start signal, so that
    # they all open the store together.
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "import runstack.store.sqlite\n"
        "from runstack import Client\n"
        "client = Client()\n"
        "deadline = time.monotonic() + 30\n"
        "while not Path(sys.argv[1]).exists() and time.monotonic() < deadline:\n"
        "    time.sleep(0.001)\n"
        "print(','.join(stack.name for stack in client.list_stacks()))\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(start)],
            env={**os.environ, "RUNSTACK_HOME": str(runstack_home)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    start.touch()
    outcomes = [process.communicate(timeout=60) for process in processes]
    assert outcomes == [("default\n", "")] * len(processes)
    assert [process.returncode for process in processes] == [0] * len(processes)

    stacks = json.loads(run_cli("stack", "list", "-o", "json").stdout)
    assert [stack["name"] for stack in stacks] == ["default"]
    for group in ("orchestrator", "artifact-store"):
        components = json.loads(run_cli(group, "list", "-o", "json").stdout)
        assert [component["name"] for component in components] == ["default"]


# -- the config file -----------------------------------------------------------------

BROKEN_CONFIGS = {
    "not TOML": (b"user = \n[[[", "is not valid TOML"),
    "not UTF-8": (b'user = "\xff\xfe"\n', "is not valid TOML"),
    "user is a number": (b"user = 5\n", "invalid 'user' (expected a non-empty string)"),
    "user is empty": (b'user = ""\n', "invalid 'user'"),
    "active stack is a list": (b"active_stack_id = [1]\n", "invalid 'active_stack_id'"),
    "store is not a table": (b'store = "here"\n', "invalid [store] table"),
    "store path is a number": (b"[store]\npath = 3\n", "invalid 'store.path'"),
}


@pytest.mark.parametrize("content", sorted(BROKEN_CONFIGS))
def test_unreadable_config_is_reported_in_one_line_and_left_untouched(
    run_cli: RunCli, runstack_home: Path, content: str
) -> None:
    config = runstack_home / "config.toml"
    data, problem = BROKEN_CONFIGS[content]
    config.write_bytes(data)
    for command in (["stack", "list"], ["stack", "set", "default"], ["flavor", "list"]):
        assert_one_line_error(run_cli(*command), config, problem)
    assert config.read_bytes() == data


def test_missing_config_means_defaults_and_reading_does_not_create_it(
    run_cli: RunCli, runstack_home: Path
) -> None:
    status = json.loads(run_cli("status", "-o", "json").stdout)
    assert status["user"] == "default"
    assert status["active_stack"]["name"] == "default"
    assert status["config"] == str(runstack_home / "config.toml")
    assert status["store"] == str(runstack_home / "runstack.db")
    assert run_cli("stack", "list").exit_code == 0
    assert not (runstack_home / "config.toml").exists()


def test_config_names_user_and_store_location(
    run_cli: RunCli, runstack_home: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "shared" / "team.db"
    (runstack_home / "config.toml").write_text(
        f'user = "alice"\n[store]\npath = "{elsewhere.as_posix()}"\n', encoding="utf-8"
    )
    status = json.loads(run_cli("status", "-o", "json").stdout)
    assert (status["user"], status["store"]) == ("alice", str(elsewhere))
    assert parse_table(run_cli("stack", "list").stdout)[0]["OWNER"] == "alice"
    assert elsewhere.exists()
    assert not (runstack_home / "runstack.db").exists()


def test_stack_set_writes_the_config_and_it_round_trips(
    run_cli: RunCli, runstack_home: Path
) -> None:
    config = runstack_home / "config.toml"
    config.write_text('user = "alice"\n', encoding="utf-8")
    assert run_cli("stack", "register", "other", "-o", "default", "-a", "default").exit_code == 0
    other = json.loads(run_cli("stack", "describe", "other", "-o", "json").stdout)

    result = run_cli("stack", "set", "other")
    assert (result.exit_code, result.stdout) == (0, "Active stack set to 'other'.\n")
    with config.open("rb") as stream:
        assert tomllib.load(stream) == {"user": "alice", "active_stack_id": other["id"]}
    assert sorted(path.name for path in runstack_home.iterdir() if "config" in path.name) == [
        "config.toml"
    ]
    stacks = json.loads(run_cli("stack", "list", "-o", "json").stdout)
    assert [stack["name"] for stack in stacks if stack["active"]] == ["other"]
    assert json.loads(run_cli("stack", "describe", "-o", "json").stdout)["id"] == other["id"]


def test_config_write_that_fails_halfway_leaves_the_old_file(
    run_cli: RunCli, runstack_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = runstack_home / "config.toml"
    assert run_cli("stack", "register", "other", "-o", "default", "-a", "default").exit_code == 0
    assert run_cli("stack", "set", "other").exit_code == 0
    before = config.read_bytes()

    def disk_full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    result = run_cli("stack", "set", "default")
    assert_one_line_error(result, config, "cannot write", os.strerror(errno.ENOSPC))
    assert config.read_bytes() == before
    assert sorted(path.name for path in runstack_home.iterdir() if "config" in path.name) == [
        "config.toml"
    ]
