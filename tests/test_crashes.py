"""A process killed outright (SIGKILL): its run reads as crashed, the store and config stay whole.

Each test kills a real `runstack` process, so nothing in it gets to clean up:
what survives is what the files held at that instant.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runstack.processes import this_host
from runstack.store.sql_schema import MIGRATIONS, SCHEMA_VERSION, statements

if TYPE_CHECKING:
    from click.testing import Result

RunCli = Callable[..., "Result"]
RUNSTACK = str(Path(sys.executable).parent / "runstack")
KILLS = 5
DIED = "the process running it died"

PIPELINE = """
import os
import time
from pathlib import Path

from runstack import Client, pipeline, step


@step
def load() -> int:
    return 1


@step
def double(value: int) -> int:
    return value * 2


@step
def add(value: int) -> int:
    return value + 3


@step
def slow(value: int, marker: str) -> int:
    if not Path(marker).exists():  # the first run: start writing a file, then wait to be killed
        client = Client()
        store = client.build_component(client.active_stack.artifact_store)
        with store.open("crash/half.bin", "wb") as stream:
            stream.write(b"x" * 4096)
            stream.flush()
            Path(marker).write_text(str(os.getpid()))
            time.sleep(60)
    return value + 1


@step
def report(value: int) -> int:
    return value


@pipeline
def crashy(marker: str) -> None:
    report(slow(add(double(load())), marker))
"""


def wait_for(path: Path, process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 20
    while not path.exists():
        assert time.monotonic() < deadline, f"{what} never happened"
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)


def sigkill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL


def json_of(run_cli: RunCli, *arguments: str) -> Any:
    result = run_cli(*arguments, "-o", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- a run killed in the middle of a step --------------------------------------------


def test_a_run_killed_mid_step_reads_as_crashed_and_a_rerun_reuses_its_finished_steps(
    tmp_path: Path, runstack_home: Path, run_cli: RunCli
) -> None:
    module = tmp_path / "crashy.py"
    module.write_text(PIPELINE, encoding="utf-8")
    marker = tmp_path / "marker"
    config = tmp_path / "run.toml"
    config.write_text(f'[parameters]\nmarker = "{marker}"\n', encoding="utf-8")
    env = {**os.environ, "RUNSTACK_HOME": str(runstack_home)}
    command = [RUNSTACK, "pipeline", "run", f"{module}:crashy", "--config", str(config)]

    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_for(marker, process, "the step 'slow'")
    assert int(marker.read_text()) == process.pid  # the step ran in the process we kill
    sigkill(process)

    # The run and the step it was running read as crashed, not as running for ever.
    [run] = json_of(run_cli, "run", "list", "--all")
    assert (run["status"], run["process"]) == (
        "crashed",
        {"pid": process.pid, "host": this_host()},
    )
    assert run["error"].startswith(DIED)
    described = json_of(run_cli, "run", "describe", run["name"])
    statuses = {s["name"]: s["status"] for s in described["steps"]}
    assert statuses == {"load": "completed", "double": "completed", "add": "completed"} | {
        "slow": "crashed"
    }, statuses
    crashed = next(s for s in described["steps"] if s["name"] == "slow")
    assert crashed["error"].startswith(DIED) and crashed["outputs"] == {}
    text = run_cli("run", "describe", run["name"]).stdout
    assert "crashed" in text and DIED in text

    # No half-written artifact is visible: only the 3 finished steps' outputs are recorded,
    # and the file the killed step was writing exists only as a hidden `.partial`.
    artifacts = json_of(run_cli, "artifact", "list")
    producers = {a["producer_step_run_id"] for a in artifacts}
    finished = {s["id"] for s in described["steps"] if s["status"] == "completed"}
    assert (len(artifacts), producers) == (3, finished), artifacts
    from runstack import Client

    client = Client()
    store = client.build_component(client.active_stack.artifact_store)
    assert not store.exists("crash/half.bin")
    assert store.ls("crash") == []
    partials = list(Path(store.path("crash")).glob("half.bin.*.partial"))
    assert len(partials) == 1 and partials[0].stat().st_size == 4096

    # The same pipeline again: the 3 finished steps come from the cache, the killed one runs.
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    assert rerun.returncode == 0, (rerun.stdout, rerun.stderr)
    runs = json_of(run_cli, "run", "list", "--all")
    assert [r["status"] for r in runs] == ["completed", "crashed"]
    again = json_of(run_cli, "run", "describe", runs[0]["name"])
    statuses = {s["name"]: s["status"] for s in again["steps"]}
    cached = [name for name, status in statuses.items() if status == "cached"]
    assert cached == ["load", "double", "add"], f"{len(cached)}/3 finished steps reused"
    assert (statuses["slow"], statuses["report"]) == ("completed", "completed")


def test_listing_many_runs_checks_only_the_running_ones(
    run_cli: RunCli, runstack_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10,000 runs, 3 still `running`: only the 2 owned by this machine are looked up."""
    assert run_cli("stack", "list").exit_code == 0
    dead_pid = subprocess.Popen(["true"])  # a process that has exited (and been reaped)
    dead_pid.wait()
    host = this_host()
    finished = [(f"done-{i}", "completed", None, "") for i in range(9_997)]
    running = [
        ("alive", "running", os.getpid(), host),
        ("dead", "running", dead_pid.pid, host),
        ("elsewhere", "running", 1, "another-machine"),
    ]
    with sqlite3.connect(runstack_home / "runstack.db") as connection:
        connection.execute("INSERT INTO pipelines VALUES ('p', 'many', '2024-01-01T00:00:00')")
        connection.executemany(
            "INSERT INTO runs (id, name, pipeline_id, status, stack_id, stack_name, "
            "artifact_store_id, owner, config, parameters, started, finished, error, pid, host) "
            "VALUES (?, ?, 'p', ?, 's', 'default', 'a', 'default', '{}', '{}', "
            "'2024-01-01T00:00:00', NULL, '', ?, ?)",
            [(name, name, status, pid, where) for name, status, pid, where in finished + running],
        )
        connection.execute(
            "INSERT INTO step_runs (id, run_id, pipeline_name, artifact_store_id, invocation, "
            "step_name, position, status, started, finished, cache_key, cache_parts, parameters, "
            "reason, cached_from, error, attempts, logs) "
            "VALUES ('step', 'dead', 'many', 'a', 'train', 'train', 0, "
            "'running', '2024-01-01T00:00:00', NULL, '', '{}', '{}', '', NULL, '', 1, '')"
        )
    connection.close()

    checked: list[int] = []

    def is_alive(pid: int) -> bool:
        checked.append(pid)
        return pid != dead_pid.pid

    monkeypatch.setattr("runstack.store.sql_crashes.is_alive", is_alive)
    runs = json_of(run_cli, "run", "list", "--all")
    assert len(runs) == 10_000
    assert sorted(checked) == sorted([os.getpid(), dead_pid.pid]), checked
    status = {r["name"]: r["status"] for r in runs if not r["name"].startswith("done-")}
    assert status == {"alive": "running", "dead": "crashed", "elsewhere": "running"}
    steps = json_of(run_cli, "run", "describe", "dead")["steps"]
    assert [(s["status"], s["reason"].startswith(DIED)) for s in steps] == [("crashed", True)]
    checked.clear()
    json_of(run_cli, "run", "list", "--all")
    assert checked == [os.getpid()]  # the crashed run is settled: 1 lookup left


def test_runs_recorded_before_their_process_was_kept_stay_as_they_were(
    run_cli: RunCli, runstack_home: Path
) -> None:
    """A schema-2 store migrates; its running run has no owner to check, so it stays running."""
    store = runstack_home / "runstack.db"
    connection = sqlite3.connect(store)
    for script in MIGRATIONS[:2]:
        for statement in statements(script):
            connection.execute(statement)
    connection.executescript(
        """
        INSERT INTO pipelines VALUES ('p', 'old', '2024-01-01T00:00:00');
        INSERT INTO runs VALUES ('r', 'old-run', 'p', 'running', 's', 'default', 'a', 'ana',
            '{}', '{}', '2024-01-01T00:00:00', NULL, '');
        PRAGMA user_version = 2;
        """
    )
    connection.close()

    [run] = json_of(run_cli, "run", "list")
    assert (run["status"], run["process"]) == ("running", {"pid": None, "host": ""})
    with sqlite3.connect(store) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    connection.close()


# -- a process killed while it writes the store or the config ------------------------

HAMMER = """
import itertools
import sys
from pathlib import Path

from runstack import Client
from runstack.stacks import new_id, now
from runstack.runs import RunRecord, RunStatus

ready, tag, folder = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
client = Client()
stack = client.active_stack
for i in itertools.count():
    name = f"{tag}-{i}"
    client.register_component("artifact_store", name, "local", {"path": f"{folder}/{name}"})
    client.register_stack(name, {"orchestrator": "default", "artifact_store": name})
    client.update_component("artifact_store", name, {"path": f"{folder}/{name}-moved"})
    run = RunRecord(
        id=new_id(), name=name, pipeline_name="hammer", status=RunStatus.RUNNING,
        stack_id=stack.id, stack_name=stack.name, artifact_store_id=stack.artifact_store.id,
        owner="ana", config={"i": i, "text": "x" * 2000}, parameters={"i": i}, started=now(),
    )
    client.store.runs.create(run)
    client.store.runs.finish(run.id, RunStatus.COMPLETED, now(), "")
    if i % 2:
        client.delete_stack(name)
        client.delete_component("artifact_store", name)
    if i == 3:
        ready.touch()
"""

STACK_SWITCHER = """
import itertools
import sys
from pathlib import Path

from runstack.cli.main import cli

ready = Path(sys.argv[1])
for i in itertools.count():
    cli(["stack", "set", "ab"[i % 2]], standalone_mode=False)
    if i == 3:
        ready.touch()
"""


def kill_at_random(script: Path, tmp_path: Path, home: Path, kill: int, *extra: str) -> None:
    """Start `script`, let it write for a random moment, then SIGKILL it."""
    ready = tmp_path / f"ready-{kill}"
    process = subprocess.Popen(
        [sys.executable, str(script), str(ready), *extra],
        env={**os.environ, "RUNSTACK_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(ready, process, "the first writes")
    time.sleep(random.Random(kill).uniform(0.0, 0.3))
    sigkill(process)


def test_a_process_killed_while_writing_the_store_leaves_it_readable(
    tmp_path: Path, runstack_home: Path, run_cli: RunCli
) -> None:
    script = tmp_path / "hammer.py"
    script.write_text(HAMMER, encoding="utf-8")
    readable = 0
    for kill in range(KILLS):
        kill_at_random(script, tmp_path, runstack_home, kill, f"k{kill}", str(tmp_path))
        results = [
            run_cli("stack", "list"),
            run_cli("artifact-store", "list", "-o", "json"),
            run_cli("run", "list", "--all", "-o", "json"),
        ]
        assert [r.exit_code for r in results] == [0, 0, 0], [r.output for r in results]
        with sqlite3.connect(f"file:{runstack_home / 'runstack.db'}?mode=ro", uri=True) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
            rows = db.execute("SELECT name, config, secrets, type FROM components").fetchall()
            runs = db.execute("SELECT config FROM runs").fetchall()
        db.close()
        for name, config, secrets, _ in rows:
            assert isinstance(json.loads(config), dict), name
            assert isinstance(json.loads(secrets), dict), name
        assert all(json.loads(config)["text"] == "x" * 2000 for (config,) in runs)
        listed = json.loads(results[1].stdout)
        stores = [row for row in rows if row[3] == "artifact_store"]
        assert len(listed) == len(stores), (len(listed), len(stores))
        readable += 1
    assert readable == KILLS, f"{readable}/{KILLS} stores readable after a kill"


def test_a_process_killed_while_switching_stacks_leaves_config_naming_one(
    tmp_path: Path, runstack_home: Path, run_cli: RunCli
) -> None:
    for name in "ab":
        assert run_cli("stack", "copy", "default", name).exit_code == 0
    stacks = json_of(run_cli, "stack", "list")
    ids = {s["id"] for s in stacks if s["name"] in ("a", "b")}
    script = tmp_path / "switch.py"
    script.write_text(STACK_SWITCHER, encoding="utf-8")
    whole = 0
    for kill in range(KILLS):
        kill_at_random(script, tmp_path, runstack_home, kill)
        config = tomllib.loads((runstack_home / "config.toml").read_text(encoding="utf-8"))
        assert config["active_stack_id"] in ids, config
        assert run_cli("stack", "list").exit_code == 0
        whole += 1
    assert whole == KILLS, f"{whole}/{KILLS} config files whole after a kill"
