"""Failures that used to lose their cause: each ends with the run `failed`, the step named with
the real cause in the console, in `run describe` and in `run logs`, and exit code 1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pipeline_helpers import TWO_STEPS, run_name_in, statuses
from runstack import Client
from runstack.pipelines.runner import PipelineRunError

if TYPE_CHECKING:
    from click.testing import Result

PROCESSES = '{"orchestrator": {"mode": "processes", "max_parallel": 2}}'

DYING_STEPS = f"""
import faulthandler
import os
import signal
import threading
import time
from pathlib import Path


def wait_for(marker: str) -> None:
    for _ in range(400):
        if Path(marker).exists():
            return
        time.sleep(0.025)
    raise RuntimeError("the other step never started")


@step
def segfault(marker: str) -> int:
    Path(marker).write_text("dying")
    faulthandler.disable()  # pytest's, inherited by the worker: no dump in the test output
    os.kill(os.getpid(), signal.SIGSEGV)
    return 1


@step
def exits(marker: str) -> int:
    Path(marker).write_text("dying")
    os._exit(3)


@step
def survivor(marker: str) -> int:
    wait_for(marker)  # runs while the other step's worker dies
    return 2


@step
def after(value: int) -> int:
    return value + 1


@step
def sys_exit() -> int:
    raise SystemExit(3)


@step
def ctrl_c_in_code() -> int:
    raise KeyboardInterrupt


def guarded_step():
    lock = threading.Lock()

    @step
    def unpicklable() -> int:  # defined in a function: shipped by value, with its lock
        with lock:
            return 1

    return unpicklable


unpicklable = guarded_step()


@pipeline(settings={PROCESSES})
def segfaulting(marker: str) -> None:
    segfault(marker)
    after(survivor(marker))


@pipeline(settings={PROCESSES})
def exiting(marker: str) -> None:
    exits(marker)
    after(survivor(marker))


@pipeline(settings={{"orchestrator": {{"mode": "processes", "max_parallel": 1}}}})
def one_worker(marker: str) -> None:
    segfault(marker)
    after(1)


@pipeline(settings={PROCESSES})
def exits_in_worker() -> None:
    sys_exit()


@pipeline
def exits_in_thread() -> None:
    sys_exit()


@pipeline
def interrupts_itself() -> None:
    ctrl_c_in_code()


@pipeline(settings={PROCESSES})
def cannot_be_pickled() -> None:
    unpicklable()
"""


def failed_run(
    run_cli: Callable[..., Result], target: str, *options: str
) -> tuple[str, str, dict[str, object]]:
    """Run a pipeline that must fail cleanly; (console output, error line, `run describe` JSON)."""
    import json

    result = run_cli("pipeline", "run", target, *options)
    assert result.exit_code == 1, result.output
    [error] = result.stderr.splitlines()
    assert error.startswith("Error: run "), result.stderr
    described = run_cli("run", "describe", run_name_in(result.stdout), "-o", "json")
    assert described.exit_code == 0, described.output
    return result.stdout, error, json.loads(described.stdout)


def assert_explained(
    run_cli: Callable[..., Result], target: str, step: str, cause: str, *options: str
) -> dict[str, str]:
    """The run failed, naming `step` and `cause` everywhere a user looks; the step statuses."""
    stdout, error, described = failed_run(run_cli, target, *options)
    assert described["status"] == "failed"
    assert cause in str(described["error"]) and step in str(described["error"])
    steps = {str(s["name"]): s for s in described["steps"]}  # type: ignore[attr-defined]
    assert steps[step]["status"] == "failed"
    assert cause in steps[step]["error"]
    assert cause in stdout and cause in error
    logs = run_cli("run", "logs", str(described["name"]), step)
    assert cause in logs.stdout, logs.stdout
    detailed = run_cli("run", "describe", str(described["name"]))
    assert cause in detailed.stdout
    return {name: str(s["status"]) for name, s in steps.items()}


@pytest.mark.parametrize(
    ("pipeline", "cause"),
    [
        ("segfaulting", "worker process died with signal SIGSEGV"),
        ("exiting", "worker process died with exit code 3"),
    ],
)
def test_a_dead_worker_fails_only_its_own_step(
    run_cli: Callable[..., Result],
    write_module: Callable[..., Path],
    tmp_path: Path,
    pipeline: str,
    cause: str,
) -> None:
    module = write_module(DYING_STEPS)
    config = tmp_path / "run.toml"
    config.write_text(f'[parameters]\nmarker = "{tmp_path / "marker"}"\n', encoding="utf-8")
    dying = "segfault" if pipeline == "segfaulting" else "exits"

    steps = assert_explained(run_cli, f"{module}:{pipeline}", dying, cause, "--config", str(config))

    assert steps == {dying: "failed", "survivor": "completed", "after": "completed"}


@pytest.mark.parametrize(
    ("pipeline", "step", "cause"),
    [
        ("exits_in_worker", "sys_exit", "SystemExit: 3"),
        ("exits_in_thread", "sys_exit", "SystemExit: 3"),
        ("interrupts_itself", "ctrl_c_in_code", "KeyboardInterrupt"),
        ("cannot_be_pickled", "unpicklable", "cannot pickle '_thread.lock' object"),
    ],
)
def test_a_step_that_escapes_normal_failure_is_recorded_with_its_cause(
    run_cli: Callable[..., Result],
    write_module: Callable[..., Path],
    pipeline: str,
    step: str,
    cause: str,
) -> None:
    module = write_module(DYING_STEPS)

    assert assert_explained(run_cli, f"{module}:{pipeline}", step, cause) == {step: "failed"}


def test_a_dead_worker_is_replaced_for_the_steps_after_it(
    import_module: Callable[[str], object], tmp_path: Path
) -> None:
    flow = import_module(DYING_STEPS)

    with pytest.raises(PipelineRunError) as raised:
        flow.one_worker(str(tmp_path / "marker"))  # type: ignore[attr-defined]

    assert list(statuses(raised.value.run).items()) == [
        ("segfault", "failed"),
        ("after", "completed"),
    ]


IDLE_DEATH = f"""
import os
import signal
import time
from pathlib import Path


def dead(pid: int) -> bool:
    try:
        return Path(f"/proc/{{pid}}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


@step
def kills_idle_workers() -> int:
    me, parent = os.getpid(), os.getppid()
    killed = []
    for status in Path("/proc").glob("[0-9]*/status"):
        lines = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        pid = int(status.parent.name)
        if int(lines.get("PPid", "0")) == parent and pid != me:
            os.kill(pid, signal.SIGKILL)  # as the out-of-memory killer might
            killed.append(pid)
    for _ in range(500):  # the kill lands asynchronously: return once they are really dead
        if all(dead(pid) for pid in killed):
            break
        time.sleep(0.01)
    return 1


@step
def next_one(value: int) -> int:
    return value


@pipeline(settings={PROCESSES})
def idle_death() -> None:
    value = kills_idle_workers()
    next_one(value)
    next_one(value)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_worker_that_died_while_idle_is_replaced_before_it_gets_a_step(
    tmp_path: Path, runstack_home: Path, write_module: Callable[..., Path]
) -> None:
    import json
    import os
    import subprocess
    import sys

    module = write_module(IDLE_DEATH)  # run by its own process: it kills only that one's workers
    runstack = str(Path(sys.executable).parent / "runstack")
    env = {**os.environ, "RUNSTACK_HOME": str(runstack_home)}
    run = subprocess.run(
        [runstack, "pipeline", "run", f"{module}:idle_death"],
        env=env,
        capture_output=True,
        timeout=60,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    listed = subprocess.run(
        [runstack, "run", "list", "-o", "json"], env=env, capture_output=True, timeout=60
    )
    assert [r["status"] for r in json.loads(listed.stdout)] == ["completed"]


def test_the_python_api_raises_the_run_error_for_a_dead_worker(
    import_module: Callable[[str], object], tmp_path: Path
) -> None:
    flow = import_module(DYING_STEPS)

    with pytest.raises(PipelineRunError, match="worker process died with signal SIGSEGV") as raised:
        flow.segfaulting(str(tmp_path / "marker"))  # type: ignore[attr-defined]

    assert statuses(raised.value.run) == {
        "segfault": "failed",
        "survivor": "completed",
        "after": "completed",
    }


BROKEN_PARTS = """
import os
from pathlib import Path

from runstack.components import BaseOrchestrator, TaskResult, TaskStatus
from runstack_local_artifact_store.store import LocalArtifactStore


class OrchestratorThatLosesItsScheduler(BaseOrchestrator):
    def execute(self, tasks, settings=None):
        tasks[0].run()
        raise ConnectionError("lost the connection to the scheduler")


class OrchestratorWithoutCapacity(BaseOrchestrator):
    def execute(self, tasks, settings=None):
        first, *rest = tasks
        results = {first.name: TaskResult(first.name, TaskStatus.FAILED, MemoryError("no slot"))}
        for task in rest:
            results[task.name] = TaskResult(task.name, TaskStatus.SKIPPED, blocked_by=first.name)
        return results


class OrchestratorThatForgets(BaseOrchestrator):
    def execute(self, tasks, settings=None):
        tasks[0].run()
        return {tasks[0].name: TaskResult(tasks[0].name, TaskStatus.COMPLETED)}


def reach():
    if Path(os.environ["UNREACHABLE_MARKER"]).exists():
        raise ConnectionError("could not connect to the endpoint URL")


class UnreachableArtifactStore(LocalArtifactStore):
    def _exists(self, path):
        reach()
        return super()._exists(path)

    def _size(self, path):
        reach()
        return super()._size(path)
"""

BROKEN_PLUGIN = """
from runstack import Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType
from runstack_local_artifact_store.config import LocalArtifactStoreConfig


@hookimpl
def register_flavors(register):
    register(Flavor(
        name="lossy", component_type=ComponentType.ORCHESTRATOR, config_class=FlavorConfig,
        implementation="broken_parts.parts:OrchestratorThatLosesItsScheduler",
        description="Loses its scheduler after the first task.", local=True,
    ))
    register(Flavor(
        name="full", component_type=ComponentType.ORCHESTRATOR, config_class=FlavorConfig,
        implementation="broken_parts.parts:OrchestratorWithoutCapacity",
        description="Fails the first task without running it.", local=True,
    ))
    register(Flavor(
        name="forgetful", component_type=ComponentType.ORCHESTRATOR, config_class=FlavorConfig,
        implementation="broken_parts.parts:OrchestratorThatForgets",
        description="Runs the first task and reports only it.", local=True,
    ))
    register(Flavor(
        name="unreachable", component_type=ComponentType.ARTIFACT_STORE,
        config_class=LocalArtifactStoreConfig,
        implementation="broken_parts.parts:UnreachableArtifactStore",
        description="An object store that becomes unreachable.", local=True,
    ))
"""


@pytest.fixture
def broken_parts(install_plugin: Callable[..., Path]) -> None:
    install_plugin(
        "broken-parts",
        {
            "broken_parts.__init__": "",
            "broken_parts.plugin": BROKEN_PLUGIN,
            "broken_parts.parts": BROKEN_PARTS,
        },
        entry_points={"broken": "broken_parts.plugin"},
    )


@pytest.mark.usefixtures("broken_parts")
@pytest.mark.parametrize(
    ("flavor", "step", "cause", "expected"),
    [
        pytest.param(
            "lossy",
            "second",
            "ConnectionError: lost the connection to the scheduler",
            {"first": "completed", "second": "failed"},
            id="raises",
        ),
        pytest.param(
            "full",
            "first",
            "MemoryError: no slot",
            {"first": "failed", "second": "skipped"},
            id="fails-a-step-without-running-it",
        ),
        pytest.param(
            "forgetful",
            "second",
            "orchestrator 'forgetful' reported no result for it",
            {"first": "completed", "second": "failed"},
            id="reports-no-result-for-a-step",
        ),
    ],
)
def test_an_orchestrator_that_fails_names_its_error_with_the_step(
    run_cli: Callable[..., Result],
    write_module: Callable[..., Path],
    flavor: str,
    step: str,
    cause: str,
    expected: dict[str, str],
) -> None:
    client = Client()
    client.register_component("orchestrator", flavor, flavor, {})
    client.register_stack(flavor, {"orchestrator": flavor, "artifact_store": "default"})
    module = write_module(TWO_STEPS)

    steps = assert_explained(run_cli, f"{module}:two", step, cause, "--stack", flavor)

    assert steps == expected


@pytest.mark.usefixtures("broken_parts")
def test_an_unreachable_artifact_store_during_the_cache_check_fails_the_step_with_its_error(
    run_cli: Callable[..., Result],
    write_module: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    marker = tmp_path / "unreachable"
    monkeypatch.setenv("UNREACHABLE_MARKER", str(marker))
    client = Client()
    client.register_component("artifact_store", "remote", "unreachable", {})
    client.register_stack("remote", {"orchestrator": "default", "artifact_store": "remote"})
    module = write_module(TWO_STEPS)
    assert run_cli("pipeline", "run", f"{module}:two", "--stack", "remote").exit_code == 0
    marker.touch()

    steps = assert_explained(
        run_cli,
        f"{module}:two",
        "first",
        "ConnectionError: could not connect to the endpoint URL",
        "--stack",
        "remote",
    )

    assert steps == {"first": "failed", "second": "skipped"}


# -- tracebacks: the real file and line, and the library's last frames ---------------------

RAISING = f"""
@step
def boom() -> int:
    raise ValueError("bad value")


@pipeline(settings={PROCESSES})
def raising() -> None:
    boom()
"""


def test_a_traceback_from_a_worker_process_shows_the_real_file_and_line(
    run_cli: Callable[..., Result], write_module: Callable[..., Path]
) -> None:
    module = write_module(RAISING)

    stdout, _, described = failed_run(run_cli, f"{module}:raising")

    [step] = described["steps"]  # type: ignore[misc]
    assert f'File "{module}", line 9, in boom' in step["error"]
    assert 'raise ValueError("bad value")' in step["error"]
    assert "<dynamic-code>" not in stdout


def test_a_step_defined_in_a_function_shows_its_real_file_and_line_from_a_worker() -> None:
    from runstack import pipeline, step

    def local_helper() -> int:  # travels by value with the step, as helpers of a script do
        raise ValueError("bad local value")

    @step
    def local_boom() -> int:
        return local_helper()

    @pipeline(settings={"orchestrator": {"mode": "processes"}})
    def local_raising() -> None:
        local_boom()

    with pytest.raises(PipelineRunError) as raised:
        local_raising()

    error = raised.value.run.steps["local_boom"].record.error
    assert "<dynamic-code>" not in error
    assert f'File "{__file__}", line {local_helper.__code__.co_firstlineno + 1}' in error
    assert "return local_helper()" in error
    assert 'raise ValueError("bad local value")' in error


DEEP_LIBRARY = "".join(f"def level_{n}():\n    level_{n + 1}()\n" for n in range(8)) + (
    'def level_8():\n    raise LookupError("the library gave up")\n'
)

CALLS_A_LIBRARY = """
import deeplib


@step
def uses_library() -> int:
    deeplib.level_0()
    return 1


@pipeline
def library_failure() -> None:
    uses_library()
"""


def test_a_traceback_keeps_the_users_frames_and_the_last_frames_of_the_library(
    run_cli: Callable[..., Result],
    write_module: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    library = tmp_path / "lib" / "python3" / "site-packages"
    library.mkdir(parents=True)
    (library / "deeplib.py").write_text(DEEP_LIBRARY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(library))
    module = write_module(CALLS_A_LIBRARY)

    _, _, described = failed_run(run_cli, f"{module}:library_failure")

    [step] = described["steps"]  # type: ignore[misc]
    error = step["error"]
    assert "in uses_library" in error and "deeplib.level_0()" in error
    assert error.count("deeplib.py") == 3
    assert "6 library frames left out" in error
    assert error.rstrip().endswith("LookupError: the library gave up")
    logs = run_cli("run", "logs", str(described["name"]), "uses_library").stdout
    assert logs.count("deeplib.py") == 9


def test_a_runstack_error_without_a_message_still_explains_the_failed_run() -> None:
    from runstack import pipeline, step
    from runstack.errors import ConfigError

    @step
    def mute() -> int:
        raise ConfigError()

    @pipeline
    def muted() -> None:
        mute()

    with pytest.raises(PipelineRunError, match="step 'mute' raised an error without a message"):
        muted()
