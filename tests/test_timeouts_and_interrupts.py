"""Steps that hang: a timeout fails them, a second Ctrl-C stops the run at once, and workers
die with the process that started them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pipeline_helpers import TWO_STEPS, run_name_in, statuses
from runstack import Client, pipeline
from runstack.errors import ConfigError
from runstack.pipelines.runner import PipelineRunError

if TYPE_CHECKING:
    from click.testing import Result

RUNSTACK = str(Path(sys.executable).parent / "runstack")

HANGING = """
import os
import time
from pathlib import Path


@step
def hangs(marker: str) -> int:
    Path(marker).write_text(str(os.getpid()))
    release = Path(marker + ".release")
    for _ in range(600):  # until the test releases it, at most a minute
        if release.exists():
            break
        time.sleep(0.1)
    Path(marker + ".finished").write_text("")
    return 1


@step
def downstream(value: int) -> int:
    return value


@pipeline
def hanging(marker: str) -> None:
    downstream(hangs(marker))
"""


def gone(pid: int) -> bool:
    """Whether a process has ended (a zombie nobody reaped counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)


def test_a_step_past_its_timeout_fails_and_its_worker_process_is_killed(
    import_module: Callable[[str], object], tmp_path: Path
) -> None:
    flow = import_module(HANGING)
    marker = tmp_path / "marker"
    hanging = flow.hanging.with_options(  # type: ignore[attr-defined]
        timeout=0.5, settings={"orchestrator": {"mode": "processes"}}
    )

    with pytest.raises(PipelineRunError, match=r"step .hangs. failed: timed out after 0.5 s"):
        hanging(str(marker))

    wait_until(lambda: gone(int(marker.read_text())), "the killed worker's end", seconds=10)
    assert not Path(f"{marker}.finished").exists()


def test_a_step_past_its_timeout_in_a_thread_is_no_longer_waited_for(
    import_module: Callable[[str], object], tmp_path: Path
) -> None:
    flow = import_module(HANGING)
    marker = tmp_path / "marker"
    hangs = flow.hangs.with_options(timeout=0.5)  # type: ignore[attr-defined]

    @pipeline
    def hanging_in_threads(marker: str) -> None:
        flow.downstream(hangs(marker))  # type: ignore[attr-defined]

    try:
        with pytest.raises(PipelineRunError) as raised:
            hanging_in_threads(str(marker))
        assert not Path(f"{marker}.finished").exists()  # the run did not wait for the thread
    finally:
        Path(f"{marker}.release").touch()

    run = raised.value.run
    assert statuses(run) == {"hangs": "failed", "downstream": "skipped"}
    error = run.steps["hangs"].record.error
    assert "timed out after 0.5 s" in error and "left running" in error


def test_a_run_config_sets_timeouts_pipeline_wide_and_per_step(
    run_cli: Callable[..., Result], write_module: Callable[..., Path], tmp_path: Path
) -> None:
    module = write_module(HANGING)
    marker = tmp_path / "marker"
    config = tmp_path / "run.toml"
    config.write_text(
        f'timeout = 30\n[parameters]\nmarker = "{marker}"\n[steps.hangs]\ntimeout = 0.5\n',
        encoding="utf-8",
    )
    try:
        result = run_cli("pipeline", "run", f"{module}:hanging", "--config", str(config))
    finally:
        Path(f"{marker}.release").touch()

    assert result.exit_code == 1, result.output
    assert "step 'hangs' failed: timed out after 0.5 s" in result.stderr
    described = json.loads(
        run_cli("run", "describe", run_name_in(result.stdout), "-o", "json").stdout
    )
    assert described["config"]["steps"]["downstream"]["timeout"] == 30


def test_a_timeout_that_is_not_a_positive_number_is_refused(
    import_module: Callable[[str], object], write_module: Callable[..., Path], tmp_path: Path
) -> None:
    flow = import_module(HANGING)
    with pytest.raises(ConfigError, match="timeout must be a number of seconds > 0, got 0"):
        flow.hangs.with_options(timeout=0)  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="timeout must be a number of seconds > 0"):
        flow.hanging.with_options(timeout="soon")  # type: ignore[attr-defined]
    for endless in (float("inf"), float("nan"), 10**400):
        with pytest.raises(ConfigError, match="timeout must be a number of seconds > 0"):
            flow.hangs.with_options(timeout=endless)  # type: ignore[attr-defined]
    config = tmp_path / "run.toml"
    for written, problem in (
        ("-1", r"steps\.hangs\.timeout must be a number of seconds > 0, got -1"),
        ("inf", r"steps\.hangs\.timeout must be a number of seconds > 0, got inf"),
        ("nan", r"steps\.hangs\.timeout must be a number of seconds > 0, got nan"),
        ("true", r"steps\.hangs\.timeout: must be a number, got True"),  # not 1 s
        ('"10"', r"steps\.hangs\.timeout: must be a number, got '10'"),
    ):
        config.write_text(f"[steps.hangs]\ntimeout = {written}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=problem):
            flow.hanging.with_options(config_path=config).compile("m")  # type: ignore[attr-defined]


def test_a_timeout_of_weeks_is_waited_for_in_a_worker_process(
    import_module: Callable[[str], object],
) -> None:
    """A wait past what poll(2) takes (about 24 days) must not overflow."""
    flow = import_module(HANGING)
    downstream = flow.downstream.with_options(timeout=60 * 86400)  # type: ignore[attr-defined]

    @pipeline(settings={"orchestrator": {"mode": "processes"}})
    def long_allowed() -> None:
        downstream(1)

    assert statuses(long_allowed()) == {"downstream": "completed"}


# -- real processes: Ctrl-C twice, and a killed run -------------------------------------

SLEEPING = """
import os
import time
from pathlib import Path


@step
def sleeps(marker: str) -> int:
    Path(marker).write_text(str(os.getpid()))
    time.sleep(60)
    return 1


@step
def downstream(value: int) -> int:
    return value


@pipeline
def sleeping(marker: str) -> None:
    downstream(sleeps(marker))
"""


def start_run(
    write_module: Callable[..., Path], tmp_path: Path, runstack_home: Path, mode: str
) -> tuple[subprocess.Popen[str], Path, Path]:
    """`runstack pipeline run` of a step that sleeps a minute; (process, marker, stderr file)."""
    module = write_module(SLEEPING)
    marker = tmp_path / "marker"
    config = tmp_path / "run.toml"
    config.write_text(
        f'[parameters]\nmarker = "{marker}"\n[settings.orchestrator]\nmode = "{mode}"\n',
        encoding="utf-8",
    )
    stderr = tmp_path / "stderr"
    process = subprocess.Popen(
        [RUNSTACK, "pipeline", "run", f"{module}:sleeping", "--config", str(config)],
        env={**os.environ, "RUNSTACK_HOME": str(runstack_home)},
        stdout=subprocess.DEVNULL,
        stderr=stderr.open("w"),
        text=True,
        # Ctrl-C must reach the run even when pytest itself runs with SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_until(lambda: marker.exists() and marker.read_text() != "", "the step's start")
    return process, marker, stderr


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_a_second_ctrl_c_stops_a_hung_step_at_once(
    write_module: Callable[..., Path],
    tmp_path: Path,
    runstack_home: Path,
    run_cli: Callable[..., Result],
    mode: str,
) -> None:
    process, marker, stderr = start_run(write_module, tmp_path, runstack_home, mode)
    try:
        process.send_signal(signal.SIGINT)
        wait_until(lambda: "Ctrl-C again" in stderr.read_text(), "the first Ctrl-C's notice")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 130, stderr.read_text()
    finally:
        process.kill()

    assert stderr.read_text().splitlines()[-1] == "Error: interrupted"
    [run] = json.loads(run_cli("run", "list", "-o", "json").stdout)
    assert run["status"] == "stopped"
    described = json.loads(run_cli("run", "describe", run["name"], "-o", "json").stdout)
    assert {s["name"]: s["status"] for s in described["steps"]} == {
        "sleeps": "stopped",
        "downstream": "stopped",
    }
    if mode == "processes":
        wait_until(lambda: gone(int(marker.read_text())), "the worker's end", seconds=10)


def test_worker_processes_die_with_a_killed_run(
    write_module: Callable[..., Path], tmp_path: Path, runstack_home: Path
) -> None:
    process, marker, _ = start_run(write_module, tmp_path, runstack_home, "processes")
    worker = int(marker.read_text())
    assert worker != process.pid

    process.kill()
    process.wait(timeout=10)

    wait_until(lambda: gone(worker), "the worker's end", seconds=10)


SEQUENTIAL_PLUGIN = """
from runstack import BaseOrchestrator, Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType
from runstack.components import TaskResult, TaskStatus


class SequentialOrchestrator(BaseOrchestrator):
    '''Written before steps had timeouts: its `call` takes no `timeout`.'''

    def execute(self, tasks, settings=None):
        results = {}
        for task in tasks:
            task.run()
            results[task.name] = TaskResult(task.name, TaskStatus.COMPLETED)
        return results

    def call(self, function, work):
        return function(work)


@hookimpl
def register_flavors(register):
    register(Flavor(
        name="sequential", component_type=ComponentType.ORCHESTRATOR, config_class=FlavorConfig,
        implementation=SequentialOrchestrator, description="One step after another.",
    ))
"""


def test_an_orchestrator_whose_call_takes_no_timeout_still_runs_steps_without_one(
    install_plugin: Callable[..., Path], write_module: Callable[..., Path]
) -> None:
    from runstack import Client
    from runstack.cli.pipeline import load_pipeline

    install_plugin(
        "sequential-runstack",
        {"sequential_runstack.__init__": "", "sequential_runstack.plugin": SEQUENTIAL_PLUGIN},
        entry_points={"sequential": "sequential_runstack.plugin"},
    )
    client = Client()
    client.register_component("orchestrator", "sequential", "sequential", {})
    client.register_stack("plain", {"orchestrator": "sequential", "artifact_store": "default"})
    flow = load_pipeline(f"{write_module(TWO_STEPS)}:two")
    run = flow.with_options(stack="plain")()
    assert statuses(run) == {"first": "completed", "second": "completed"}


FOLLOWER = """
import time
from pathlib import Path


@step(enable_cache=False)
def talks(marker: str) -> int:
    print("the second run speaks")
    Path(marker + ".release").touch()  # the first run's abandoned step may now end
    finished = Path(marker + ".finished")
    while not finished.exists():
        time.sleep(0.02)
    time.sleep(0.2)  # and close its capture
    raise ValueError("second run fails")


@pipeline
def follower(marker: str) -> None:
    talks(marker)
"""


def test_a_step_left_running_by_an_earlier_run_does_not_take_a_later_run_s_output(
    run_cli: Callable[..., Result], write_module: Callable[..., Path], tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    config = tmp_path / "run.toml"
    config.write_text(
        f'[parameters]\nmarker = "{marker}"\n[steps.hangs]\ntimeout = 0.3\n', encoding="utf-8"
    )
    first = run_cli("pipeline", "run", f"{write_module(HANGING)}:hanging", "--config", str(config))
    assert "timed out after 0.3 s" in first.stderr
    second = run_cli(
        "pipeline", "run", f"{write_module(FOLLOWER)}:follower", "--param", f"marker={marker}"
    )
    Path(f"{marker}.release").touch()
    assert second.exit_code == 1, second.output
    assert "second run fails" in second.stderr  # its one error line, where the runner sent it
    run = Client().runs.get(run_name_in(second.stdout))
    assert "the second run speaks" in run.steps["talks"].logs
