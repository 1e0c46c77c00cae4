"""Several processes on one RUNSTACK_HOME: runs and registrations racing, nothing lost or locked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RUNSTACK = str(Path(sys.executable).parent / "runstack")
TIMEOUT = 60
PROCESSES = 8
CHAIN = 20
IMPORTS = 6

CHAIN_PIPELINE = f"""
import sys

from runstack import pipeline, step


@step
def first(seed: int) -> int:
    return seed


@step
def add_one(value: int) -> int:
    return value + 1


@pipeline(enable_cache=False)
def chain(seed: int = 0) -> None:
    value = first(seed=seed)
    for _ in range({CHAIN - 1}):
        value = add_one(value)


if __name__ == "__main__":
    seed = int(sys.argv[1])
    chain.with_options(name=f"chain_{{seed}}")(seed=seed)
"""

GATED_PIPELINE = """
import time
from pathlib import Path

from runstack import pipeline, step


@step
def gate(started: str, release: str) -> int:
    Path(started).write_text("started")
    deadline = time.monotonic() + 30
    while not Path(release).exists():
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.02)
    return 1


@step
def after(value: int) -> int:
    return value + 1


@pipeline(enable_cache=False)
def gated(started: str = "", release: str = "") -> None:
    after(gate(started=started, release=release))
"""


def environment(home: Path) -> dict[str, str]:
    return {**os.environ, "RUNSTACK_HOME": str(home), "COLUMNS": "200"}


def start(arguments: list[str], home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        arguments,
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    """Wait for every process (killing any that overruns); (exit code, stdout, stderr) each."""
    results = []
    deadline = time.monotonic() + TIMEOUT
    for process in processes:
        try:
            stdout, stderr = process.communicate(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            raise
        results.append((process.returncode, stdout, stderr))
    return results


def runstack_json(home: Path, *arguments: str) -> Any:
    done = subprocess.run(
        [RUNSTACK, *arguments, "-o", "json"],
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def runstack_ok(home: Path, *arguments: str) -> str:
    done = subprocess.run(
        [RUNSTACK, *arguments],
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    return done.stdout


def test_concurrent_runs_record_every_step_and_artifact(
    tmp_path: Path, runstack_home: Path
) -> None:
    script = tmp_path / "chain.py"
    script.write_text(CHAIN_PIPELINE, encoding="utf-8")

    processes = [
        start([sys.executable, str(script), str(seed)], runstack_home) for seed in range(PROCESSES)
    ]
    results = finish(processes)

    for code, stdout, stderr in results:
        assert code == 0, (stdout, stderr)
        assert "database is locked" not in stdout + stderr
        assert "Error" not in stderr, stderr
        assert f"{CHAIN} completed." in stdout, stdout
    runs = runstack_json(runstack_home, "run", "list", "--all")
    assert sorted(r["pipeline"] for r in runs) == [f"chain_{n}" for n in range(PROCESSES)]
    assert [r["status"] for r in runs] == ["completed"] * PROCESSES
    completed_steps = 0
    artifacts: dict[str, str] = {}
    finals = {}
    for run in runs:
        described = runstack_json(runstack_home, "run", "describe", run["name"])
        steps = described["steps"]
        assert len(steps) == CHAIN
        completed_steps += sum(s["status"] == "completed" for s in steps)
        for step in steps:
            for artifact in step["outputs"].values():
                artifacts[artifact["id"]] = artifact["uri"]
        finals[run["pipeline"]] = steps[-1]["outputs"]
    assert completed_steps == PROCESSES * CHAIN == 160
    assert len(artifacts) == PROCESSES * CHAIN == 160
    [store_id] = {run["artifact_store_id"] for run in runs}
    root = runstack_home / "artifact_stores" / store_id
    assert all((root / uri).exists() for uri in artifacts.values())
    assert len(set(artifacts.values())) == 160
    # Each chain adds one per step to its own seed: the last value proves no run read another's.
    last = [next(iter(finals[f"chain_{seed}"].values()))["id"] for seed in range(PROCESSES)]
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD_ARTIFACTS, *last],
        env=environment(runstack_home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == [str(seed + CHAIN - 1) for seed in range(PROCESSES)]


LOAD_ARTIFACTS = """
import sys
from runstack import Client
client = Client()
print(*(client.artifacts.get(artifact_id).load() for artifact_id in sys.argv[1:]))
"""


def test_concurrent_registrations_of_distinct_names_all_land(
    tmp_path: Path, runstack_home: Path
) -> None:
    processes = [
        start(
            [
                RUNSTACK,
                "artifact-store",
                "register",
                f"store_{n}",
                "--flavor=local",
                f"--path={tmp_path / str(n)}",
            ],
            runstack_home,
        )
        for n in range(20)
    ]
    results = finish(processes)

    assert [code for code, _, _ in results] == [0] * 20, [err for _, _, err in results]
    assert all(stderr == "" for _, _, stderr in results)
    listed = runstack_json(runstack_home, "artifact-store", "list")
    names = sorted(component["name"] for component in listed)
    assert names == sorted(["default", *(f"store_{n}" for n in range(20))])
    paths = {c["name"]: c["config"]["path"] for c in listed if c["name"] != "default"}
    assert paths == {f"store_{n}": str(tmp_path / str(n)) for n in range(20)}


def test_concurrent_registrations_of_one_name_let_exactly_one_win(
    tmp_path: Path, runstack_home: Path
) -> None:
    processes = [
        start(
            [
                RUNSTACK,
                "artifact-store",
                "register",
                "shared_name",
                "--flavor=local",
                f"--path={tmp_path / str(n)}",
            ],
            runstack_home,
        )
        for n in range(20)
    ]
    results = finish(processes)

    winners = [n for n, (code, _, _) in enumerate(results) if code == 0]
    assert len(winners) == 1, [err for _, _, err in results]
    losers = [stderr for code, _, stderr in results if code != 0]
    assert len(losers) == 19
    for stderr in losers:
        lines = stderr.splitlines()
        assert len(lines) == 1, stderr
        assert lines[0].startswith("Error: ")
        assert "'shared_name' already exists" in lines[0]
    listed = runstack_json(runstack_home, "artifact-store", "list")
    [registered] = [c for c in listed if c["name"] == "shared_name"]
    assert registered["config"]["path"] == str(tmp_path / str(winners[0]))


def test_stack_set_during_a_run_leaves_the_run_on_its_stack(
    tmp_path: Path, runstack_home: Path
) -> None:
    module = tmp_path / "gated.py"
    module.write_text(GATED_PIPELINE, encoding="utf-8")
    started, release = tmp_path / "started", tmp_path / "release"
    config = tmp_path / "run.toml"
    config.write_text(
        f'[parameters]\nstarted = "{started}"\nrelease = "{release}"\n', encoding="utf-8"
    )
    original = runstack_json(runstack_home, "artifact-store", "describe", "default")
    original_root = runstack_home / "artifact_stores" / original["id"]
    other_root = tmp_path / "other_artifacts"

    running = start(
        [RUNSTACK, "pipeline", "run", f"{module}:gated", "--config", str(config)], runstack_home
    )
    deadline = time.monotonic() + TIMEOUT
    while not started.exists():
        assert time.monotonic() < deadline, "the first step never started"
        assert running.poll() is None, running.communicate(timeout=TIMEOUT)
        time.sleep(0.02)
    runstack_ok(
        runstack_home,
        "artifact-store",
        "register",
        "other",
        "--flavor=local",
        f"--path={other_root}",
    )
    runstack_ok(runstack_home, "stack", "register", "other", "-o", "default", "-a", "other")
    runstack_ok(runstack_home, "stack", "set", "other")
    assert running.poll() is None, "the run finished before the stack changed"
    release.write_text("go")
    [(code, stdout, stderr)] = finish([running])

    assert code == 0, (stdout, stderr)
    [first] = runstack_json(runstack_home, "run", "list", "--all")
    assert (first["stack"]["name"], first["status"]) == ("default", "completed")
    first_uris = artifact_uris(runstack_home, first["name"])
    assert len(first_uris) == 2
    assert first["artifact_store_id"] == original["id"]
    assert all((original_root / uri).exists() for uri in first_uris), first_uris
    assert not any((other_root / uri).exists() for uri in first_uris)

    runstack_ok(runstack_home, "pipeline", "run", f"{module}:gated", "--config", str(config))
    second, again = runstack_json(runstack_home, "run", "list", "--all")
    assert again["id"] == first["id"]
    assert (second["stack"]["name"], second["status"]) == ("other", "completed")
    second_uris = artifact_uris(runstack_home, second["name"])
    assert len(second_uris) == 2
    assert second["artifact_store_id"] != original["id"]
    assert all((other_root / uri).exists() for uri in second_uris), second_uris


def artifact_uris(home: Path, run_name: str) -> list[str]:
    described = runstack_json(home, "run", "describe", run_name)
    return [a["uri"] for step in described["steps"] for a in step["outputs"].values()]


IMPORTER = """
import sys
import time
from pathlib import Path

from runstack.cli.main import cli
from runstack.client import Client

ready, go, stack_file, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
client = Client()  # everything but the import itself happens before the start signal
client.get_flavor("artifact_store", "local").validate_config({"path": "warm"})
client.get_flavor("orchestrator", "local").validate_config({})
client.list_stacks()
ready.touch()
while not go.exists():
    time.sleep(0.001)
cli(["stack", "import", stack_file, "--name", name])
"""


def test_concurrent_imports_of_one_stack_file_end_as_if_run_one_after_another(
    tmp_path: Path, runstack_home: Path, team_stack_file: Path
) -> None:
    """The file's artifact store does not exist yet: one import creates it, the rest reuse it."""
    script = tmp_path / "importer.py"
    script.write_text(IMPORTER, encoding="utf-8")
    runstack_ok(runstack_home, "stack", "list")  # the store exists: the race is the import
    names = [f"s{n}" for n in range(IMPORTS)]
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{name}" for name in names]
    processes = [
        start(
            [sys.executable, str(script), str(r), str(go), str(team_stack_file), n], runstack_home
        )
        for r, n in zip(ready, names, strict=True)
    ]
    deadline = time.monotonic() + TIMEOUT
    while not all(r.exists() for r in ready):
        assert time.monotonic() < deadline, finish(processes)
        time.sleep(0.01)
    go.touch()
    results = finish(processes)

    assert [(code, stderr) for code, _, stderr in results] == [(0, "")] * IMPORTS
    stores = runstack_json(runstack_home, "artifact-store", "list")
    assert sorted(store["name"] for store in stores) == ["default", "team_store"]
    [team_store] = [store["id"] for store in stores if store["name"] == "team_store"]
    stacks = runstack_json(runstack_home, "stack", "list")
    members = {
        stack["name"]: stack["components"]["artifact_store"]["id"]
        for stack in stacks
        if stack["name"] != "default"
    }
    assert members == dict.fromkeys(names, team_store)
