"""Ctrl-C during a run: no new step starts, the running one finishes, the run is `stopped`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PIPELINE = """
import time
from pathlib import Path
from runstack import pipeline, step

@step
def slow(marker: str) -> int:
    Path(marker).write_text("started")
    time.sleep(2)
    return 1

@step
def later(value: int) -> int:
    return value + 1

@pipeline
def interrupted(marker: str) -> None:
    later(slow(marker))
"""


def runstack(*arguments: str, env: dict[str, str]) -> subprocess.Popen[str]:
    executable = Path(sys.executable).parent / "runstack"
    return subprocess.Popen(
        [str(executable), *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C must reach the run even when pytest itself was started with SIGINT ignored
        # (a background job): Python only installs its handler where SIGINT is not ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_ctrl_c_stops_the_run_cleanly(tmp_path: Path, runstack_home: Path) -> None:
    module = tmp_path / "interrupted.py"
    module.write_text(PIPELINE, encoding="utf-8")
    marker = tmp_path / "marker"
    config = tmp_path / "run.toml"
    # Many step threads: the Ctrl-C may come while the run is still starting them.
    config.write_text(
        f'[parameters]\nmarker = "{marker}"\n[settings.orchestrator]\nmax_parallel = 64\n',
        encoding="utf-8",
    )
    env = {**os.environ, "RUNSTACK_HOME": str(runstack_home)}

    process = runstack("pipeline", "run", f"{module}:interrupted", "--config", str(config), env=env)
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the first step never started"
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == 130, (stdout, stderr)
    assert stderr.strip().splitlines()[-1] == "Error: interrupted"
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "runstack"), "run", "list", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    [run] = json.loads(listed.stdout)
    assert run["status"] == "stopped"
    described = subprocess.run(
        [
            str(Path(sys.executable).parent / "runstack"),
            "run",
            "describe",
            run["name"],
            "-o",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    steps = {s["name"]: s["status"] for s in json.loads(described.stdout)["steps"]}
    assert steps == {"slow": "completed", "later": "stopped"}
