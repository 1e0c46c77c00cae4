"""Crash detection by heartbeat: a run whose process stopped reporting is crashed wherever it
ran, a live run is never taken for dead from another pid namespace, and a reused pid cannot
keep a dead run alive.

The cross-host and cross-namespace cases run real processes in their own UTS or pid
namespace, which needs root; elsewhere they skip, saying so.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

RUNSTACK = str(Path(sys.executable).parent / "runstack")
TIMEOUT = 30

GATED = """
import time
from pathlib import Path

from runstack import pipeline, step


@step
def gate(started: str, release: str) -> int:
    Path(started).write_text("started")
    deadline = time.monotonic() + 60
    while not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return 1


@pipeline(enable_cache=False)
def gated(started: str = "", release: str = "") -> None:
    gate(started=started, release=release)
"""


def environment(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "RUNSTACK_HOME": str(home), **extra}


def runstack_json(home: Path, *arguments: str, prefix: tuple[str, ...] = (), **env: str) -> Any:
    done = subprocess.run(
        [*prefix, RUNSTACK, *arguments, "-o", "json"],
        env=environment(home, **env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    return json.loads(done.stdout)


def needs_unshare(*flags: str) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a namespace of its own needs root and unshare(1)")
    probe = subprocess.run(["unshare", *flags, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot unshare {' '.join(flags)} here: {probe.stderr.strip()}")


def start_gated_run(
    tmp_path: Path, home: Path, prefix: tuple[str, ...] = (), **env: str
) -> tuple[subprocess.Popen[str], Path]:
    """A run whose one step waits for a release file; (the process, the release file)."""
    module = tmp_path / "gated.py"
    module.write_text(GATED, encoding="utf-8")
    started, release = tmp_path / "started", tmp_path / "release"
    config = tmp_path / "run.toml"
    config.write_text(
        f'[parameters]\nstarted = "{started}"\nrelease = "{release}"\n', encoding="utf-8"
    )
    process = subprocess.Popen(
        [*prefix, RUNSTACK, "pipeline", "run", f"{module}:gated", "--config", str(config)],
        env=environment(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + TIMEOUT
    while not started.exists():
        assert time.monotonic() < deadline, "the step never started"
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    return process, release


def test_a_run_killed_on_another_host_reads_as_crashed_once_its_heartbeat_stops(
    tmp_path: Path, runstack_home: Path
) -> None:
    needs_unshare("--uts")
    fast = {"RUNSTACK_HEARTBEAT_SECONDS": "0.2"}
    elsewhere = ("unshare", "--uts", "sh", "-c", 'hostname elsewhere && exec "$@"', "sh")
    process, _ = start_gated_run(tmp_path, runstack_home, elsewhere, **fast)
    [run] = runstack_json(runstack_home, "run", "list", **fast)
    assert (run["status"], run["process"]["host"]) == ("running", "elsewhere")
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=TIMEOUT)

    deadline = time.monotonic() + TIMEOUT
    while run["status"] == "running":
        assert time.monotonic() < deadline, "the run never read as crashed"
        time.sleep(0.1)
        [run] = runstack_json(runstack_home, "run", "list", **fast)
    assert run["status"] == "crashed"
    assert run["error"].startswith("the process running it stopped reporting"), run["error"]
    assert "on elsewhere" in run["error"]
    done = subprocess.run(
        [RUNSTACK, "run", "delete", run["name"], "--yes"],
        env=environment(runstack_home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert runstack_json(runstack_home, "run", "list") == []


def test_a_reader_in_another_pid_namespace_leaves_a_live_run_running(
    tmp_path: Path, runstack_home: Path
) -> None:
    needs_unshare("--pid", "--fork", "--mount-proc")
    process, release = start_gated_run(tmp_path, runstack_home)
    try:
        elsewhere = ("unshare", "--pid", "--fork", "--mount-proc")
        [run] = runstack_json(runstack_home, "run", "list", prefix=elsewhere)
        assert run["status"] == "running", run["error"]
        done = subprocess.run(
            [*elsewhere, RUNSTACK, "run", "delete", run["name"], "--yes"],
            env=environment(runstack_home),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert done.returncode == 1 and "is still running" in done.stderr, done.stderr
    finally:
        release.touch()
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, (stdout, stderr)
    [run] = runstack_json(runstack_home, "run", "list")
    assert run["status"] == "completed"


def test_a_reused_pid_does_not_keep_a_dead_run_alive(tmp_path: Path, runstack_home: Path) -> None:
    """The run's pid now belongs to a live process that started later: the run crashed."""
    process, release = start_gated_run(tmp_path, runstack_home)
    release.touch()
    process.communicate(timeout=TIMEOUT)
    [run] = runstack_json(runstack_home, "run", "list")
    assert run["status"] == "completed"
    # Make it a run still recorded as running by a process that has the pid of this
    # live test process, but started at another moment: pid reuse, as the kernel does it.
    with contextlib.closing(sqlite3.connect(runstack_home / "runstack.db")) as db, db:
        identity = db.execute("SELECT process_identity FROM runs").fetchone()[0]
        namespace, _, started = identity.rpartition(" ")
        db.execute(
            "UPDATE runs SET status = 'running', finished = NULL, pid = ?, process_identity = ?",
            (os.getpid(), f"{namespace} {int(started) + 1}"),
        )
    [run] = runstack_json(runstack_home, "run", "list")
    assert run["status"] == "crashed"
    assert (
        run["error"]
        == f"the process running it died (pid {os.getpid()} on {run['process']['host']})"
    )


def test_a_reader_with_a_shorter_heartbeat_setting_leaves_a_live_run_running(
    tmp_path: Path, runstack_home: Path
) -> None:
    """The run's own heartbeat interval decides when it is late, not the reader's setting."""
    process, release = start_gated_run(tmp_path, runstack_home)
    try:
        time.sleep(0.2)  # far longer than 3 heartbeats of the reader's setting
        [run] = runstack_json(runstack_home, "run", "list", RUNSTACK_HEARTBEAT_SECONDS="0.01")
        assert run["status"] == "running", run["error"]
    finally:
        release.touch()
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, (stdout, stderr)
