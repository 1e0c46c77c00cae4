"""The dask orchestrator on real clusters: a LocalCluster, and a scheduler with two workers
started as separate processes on 127.0.0.1, as on a cluster (the quickstart, a fan-out and a
failing pipeline, workers killed mid-step, resources, an unreachable scheduler)."""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runstack import Client, PipelineRun, get_step_context, log_metadata, pipeline, step
from runstack.components import BaseOrchestrator
from runstack.pipelines.runner import PipelineRunError
from runstack.testing import assert_flavor_contract, assert_orchestrator_contract
from runstack_dask_orchestrator.config import DaskOrchestratorSettings
from runstack_dask_orchestrator.plugin import register_flavors

if TYPE_CHECKING:
    from click.testing import Result
    from distributed import LocalCluster

REPOSITORY = Path(__file__).resolve().parents[3]
QUICKSTART = REPOSITORY / "examples" / "quickstart"
HERE = Path(__file__).resolve().parent


# -- clusters, started once for the whole session --------------------------------------


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[LocalCluster]:
    """A real LocalCluster, its two workers threads of this process (so steps can meet)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=":0"
    ) as cluster:
        yield cluster


@dataclass(frozen=True)
class ProcessCluster:
    address: str
    client: Any  # a distributed.Client of the scheduler

    def gpu_worker(self) -> str:
        """The address of the worker advertising GPU=1 (a new one once restarted)."""
        workers = self.client.scheduler_info()["workers"]
        return next(a for a, info in workers.items() if info.get("resources", {}).get("GPU"))


@pytest.fixture(scope="session")
def process_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessCluster]:
    """`dask scheduler` and two `dask worker`s (one with two threads, one advertising GPU=1),
    separate processes on 127.0.0.1 with the pipelines' code on their path; a step may die
    once and be retried."""
    from distributed import Client as DaskClient

    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(QUICKSTART), str(HERE), os.environ.get("PYTHONPATH", "")]
        ),
        "RUNSTACK_HOME": str(folder / "home"),
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
    }
    common = ["--no-dashboard", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1"]
    worker = [sys.executable, "-m", "dask", "worker", *common]
    commands = [
        [sys.executable, "-m", "dask", "scheduler", "--port", "0", *common],
        [*worker, "--name", "cpu", "--nthreads", "2", "--resources", "pair=2"],
        [*worker, "--name", "gpu", "--nthreads", "1", "--resources", "GPU=1"],
    ]
    # All at once: the workers wait for the scheduler file
    processes = [
        subprocess.Popen(command, env=env, cwd=folder, stderr=subprocess.DEVNULL)
        for command in commands
    ]
    try:
        while not scheduler_file.exists():
            time.sleep(0.05)
        address = json.loads(scheduler_file.read_text())["address"]
        client = DaskClient(address, timeout=30, set_as_default=False)
        client.wait_for_workers(2, timeout=60)
        yield ProcessCluster(address, client)
        client.shutdown()  # scheduler, workers and nannies stop together, at once
    finally:
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def dask_stack(name: str, **config: Any) -> BaseOrchestrator:
    """A stack of a dask orchestrator and the default artifact store, made active."""
    client = Client()
    component = client.register_component("orchestrator", name, "dask", config)
    client.register_stack(name, {"orchestrator": name, "artifact_store": "default"})
    client.set_active_stack(name)
    orchestrator = client.build_component(component)
    assert isinstance(orchestrator, BaseOrchestrator)
    return orchestrator


def workers_of(run_name: str) -> dict[str, str]:
    return {s.name: s.record.worker for s in Client().runs.get(run_name).steps.values()}


# -- pipelines; module-level, so the workers import them by name ------------------------


@step
def number(value: int) -> int:
    return value


@step
def square(value: int) -> int:
    time.sleep(0.2)  # long enough that the other worker takes the next one
    print(f"squaring {value}")
    return value * value


@step
def total(a: int, b: int, c: int, d: int) -> int:
    return a + b + c + d


@pipeline
def fan_out() -> None:
    total(square(number(1)), square(number(2)), square(number(3)), square(number(4)))


@step
def broken(value: int) -> int:
    print(f"checking {value}")
    raise ValueError(f"cannot use {value}")


@pipeline(enable_cache=False)
def failing() -> None:
    total(broken(number(1)), number(2), number(3), number(4))


@step(enable_cache=False)
def flaky(marker: str) -> int:
    """Fails on its first attempt, succeeds on its retry."""
    if not Path(marker).exists():
        Path(marker).write_text("tried")
        raise RuntimeError("first attempt fails")
    return 1


@step(enable_cache=False)
def where() -> str:
    from distributed import get_worker

    return str(get_worker().address)


@pipeline(settings={"orchestrator.local": {"max_parallel": 1}})
def needs_gpu() -> None:
    where.with_options(settings={"orchestrator.dask": {"resources": {"GPU": 1}}})()


@pipeline(settings={"orchestrator.dask": {"resources": {"TPU": 2}}})
def needs_tpus() -> None:
    where()


def wait_for(found: Callable[[], object]) -> None:
    deadline = time.monotonic() + 20
    while not found():
        assert time.monotonic() < deadline, "waited 20 s"
        time.sleep(0.02)


@step(enable_cache=False)
def quick(started: str) -> int:
    """Returns while `slow` still runs beside it, in another thread of the same worker."""
    wait_for(Path(started).exists)
    print("quick done")
    return 1


@step(enable_cache=False)
def slow(ready: int, started: str, artifacts: str) -> int:
    """Prints only after `quick`, which started first, saved its output and returned."""
    Path(started).write_text("")
    wait_for(lambda: list(Path(artifacts).glob("**/quick/output/*")))
    time.sleep(0.2)
    print("slow done")
    return 2


@pipeline(settings={"orchestrator.dask": {"resources": {"pair": 1}}})
def side_by_side(started: str, artifacts: str) -> None:
    quick(started)
    slow(number(1), started, artifacts)


@step(enable_cache=False)
def kills_its_worker(marker: str, always: bool) -> str:
    """Kills the worker process running it (once, or every time): a crash mid-step."""
    from distributed import get_worker

    if always or not Path(marker).exists():
        Path(marker).write_text(get_worker().address)
        os.kill(os.getpid(), signal.SIGKILL)
    return str(get_worker().address)


@pipeline(enable_cache=False)
def crash(marker: str, always: bool = False) -> None:
    kills_its_worker(marker, always)


@step(enable_cache=False)
def context_facts() -> dict[str, Any]:
    context = get_step_context()
    return {
        "run_id": context.run_id,
        "step_name": context.step_name,
        "orchestrator": context.stack.orchestrator.name,
        "output_uris": dict(context.output_uris),
        "pid": os.getpid(),
    }


@pipeline
def with_context() -> None:
    context_facts()
    context_facts()


def assert_each_step_saw_its_context(run: PipelineRun, orchestrator: str) -> set[int]:
    """Each step's context as the step saw it; the processes the steps ran in."""
    processes = set()
    for name in ("context_facts", "context_facts_2"):
        facts = run.steps[name].outputs["output"].load()
        processes.add(facts.pop("pid"))
        assert facts == {
            "run_id": run.record.id,
            "step_name": name,
            "orchestrator": orchestrator,
            "output_uris": {"output": run.steps[name].outputs["output"].uri},
        }
    return processes


# -- the contract, on a LocalCluster ---------------------------------------------------------


def test_flavor_meets_the_contract() -> None:
    flavors: list[Any] = []
    register_flavors(register=flavors.append)
    [flavor] = flavors
    assert (flavor.component_type.value, flavor.name) == ("orchestrator", "dask")
    assert_flavor_contract(flavor)


def test_orchestrator_meets_the_contract(local_cluster: LocalCluster) -> None:
    orchestrator = dask_stack("local_dask", address=local_cluster.scheduler_address)
    assert_orchestrator_contract(orchestrator, DaskOrchestratorSettings(resources={}))


def test_a_fan_out_runs_its_independent_steps_on_both_workers_and_then_from_the_cache(
    local_cluster: LocalCluster, run_cli: Callable[..., Result]
) -> None:
    dask_stack("local_dask", address=local_cluster.scheduler_address)
    run = fan_out()
    assert run.steps["total"].outputs["output"].load() == 1 + 4 + 9 + 16
    assert set(workers_of(run.name).values()) == set(local_cluster.scheduler_info["workers"])
    assert run.steps["square_2"].logs.strip() == "squaring 2"
    again = fan_out()
    assert {s.status.value for s in again.steps.values()} == {"cached"}
    described = run_cli("run", "describe", run.name)
    assert "WORKER" in described.stdout


def test_steps_on_a_local_cluster_get_their_own_context(local_cluster: LocalCluster) -> None:
    dask_stack("local_dask", address=local_cluster.scheduler_address)
    assert_each_step_saw_its_context(with_context(), "local_dask")


def test_a_local_cluster_is_started_for_a_run_without_an_address() -> None:
    dask_stack("own_cluster", n_workers=1, threads_per_worker=2, processes=False)
    run = fan_out()
    assert run.status.value == "completed"
    assert len(set(workers_of(run.name).values())) == 1


def test_step_retries_and_timeouts_behave_as_on_the_local_orchestrator(
    local_cluster: LocalCluster, tmp_path: Path
) -> None:
    dask_stack("local_dask", address=local_cluster.scheduler_address)

    @pipeline
    def retried(marker: str) -> None:
        flaky.with_options(retries=1, retry_delay=0)(marker)

    run = retried(str(tmp_path / "marker"))
    assert run.steps["flaky"].record.attempts == 2
    assert "attempt 1 failed: RuntimeError: first attempt fails" in run.steps["flaky"].logs

    @step(timeout=0.2, enable_cache=False)
    def slow() -> None:
        time.sleep(1)

    @pipeline
    def too_slow() -> None:
        slow()

    with pytest.raises(
        PipelineRunError, match=r"timed out after 0\.2 s; its Dask task was cancelled"
    ):
        too_slow()


# -- a scheduler and workers as separate processes --------------------------------------------


def test_the_quickstart_runs_unchanged_on_scheduler_and_worker_processes(
    process_cluster: ProcessCluster, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(QUICKSTART))
    dask_stack("cluster", address=process_cluster.address)
    result = run_cli("pipeline", "run", "pipeline:quickstart")
    assert result.exit_code == 0, result.output
    assert "Test accuracy" in result.stdout  # printed on a worker, shown here as on the laptop
    [run] = Client().runs.list()
    steps = Client().runs.get(run.name).steps
    assert steps["evaluate"].outputs["accuracy"].load() > 0.9
    assert "Test accuracy" in steps["report"].logs
    workers = set(workers_of(run.name).values())
    assert workers and all(w.startswith("tcp://127.0.0.1:") for w in workers)
    assert os.getpid() != steps["make_dataset"].outputs["features"].record.producer_step_run_id
    described = run_cli("run", "describe", run.name, "-o", "json")
    assert {s["worker"] for s in json.loads(described.stdout)["steps"]} == workers


def test_steps_on_worker_processes_get_their_context_and_stack(
    process_cluster: ProcessCluster,
) -> None:
    dask_stack("cluster", address=process_cluster.address)
    processes = assert_each_step_saw_its_context(with_context(), "cluster")
    assert os.getpid() not in processes


@step(enable_cache=False)
def measured(rows: int) -> int:
    log_metadata({"rows": rows})
    log_metadata({"checked": True}, infer_artifact=True)
    log_metadata({"host": socket.gethostname()}, run_id_name_or_prefix=get_step_context().run_id)
    return rows


@pipeline
def measuring() -> None:
    measured(3)


def test_metadata_a_step_logs_on_a_worker_process_reaches_the_store(
    process_cluster: ProcessCluster,
) -> None:
    dask_stack("cluster", address=process_cluster.address)
    run = measuring()
    assert run.steps["measured"].record.worker.startswith("tcp://127.0.0.1:")
    assert run.steps["measured"].run_metadata == {"rows": 3}
    assert run.steps["measured"].outputs["output"].run_metadata == {"checked": True}
    assert run.record.metadata == {"measured::host": socket.gethostname()}


def note_success() -> None:
    context = get_step_context()
    with Path(context.parameters["notes"]).open("a", encoding="utf-8") as file:
        file.write(f"success {context.step_name} {os.getpid()}\n")


def note_failure(exception: BaseException) -> None:
    context = get_step_context()
    with Path(context.parameters["notes"]).open("a", encoding="utf-8") as file:
        file.write(f"failure {context.step_name} {exception} {os.getpid()}\n")


@step(enable_cache=False)
def noted(notes: str, fail: bool) -> int:
    if fail:
        raise ValueError("no rows")
    return 1


@pipeline(on_success=note_success, on_failure=note_failure)
def hooked(notes: str) -> None:
    noted(notes, fail=False, id="passes")
    noted(notes, fail=True, id="fails")


def test_hooks_travel_with_the_step_and_run_on_its_worker_process(
    process_cluster: ProcessCluster, tmp_path: Path
) -> None:
    dask_stack("cluster", address=process_cluster.address)
    notes = tmp_path / "notes.txt"
    with pytest.raises(PipelineRunError, match="ValueError: no rows"):
        hooked(str(notes))
    passed, failed = sorted(notes.read_text(encoding="utf-8").splitlines(), reverse=True)
    assert passed.rsplit(" ", 1)[0] == "success passes"
    assert failed.rsplit(" ", 1)[0] == "failure fails no rows"
    workers = {int(line.rsplit(" ", 1)[1]) for line in (passed, failed)}
    assert os.getpid() not in workers


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 (any credentials), with a bucket `runs`."""
    pytest.importorskip("runstack_fsspec_artifact_store", reason="the s3 store is another plugin")
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        ).create_bucket(Bucket="runs")
        yield endpoint
    finally:
        server.stop()


def test_the_quickstart_on_worker_processes_and_s3_caches_and_reads_back(
    process_cluster: ProcessCluster, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(QUICKSTART))
    quickstart = importlib.import_module("pipeline").quickstart
    client = Client()
    s3 = {"path": "s3://runs/quickstart", "endpoint_url": s3_endpoint, "region": "us-east-1"}
    client.register_component(
        "artifact_store", "s3", "s3", {**s3, "key": "testing", "secret": "testing"}
    )
    client.register_component(
        "orchestrator", "cluster", "dask", {"address": process_cluster.address}
    )
    client.register_stack("on_s3", {"orchestrator": "cluster", "artifact_store": "s3"})
    client.set_active_stack("on_s3")
    first = quickstart()
    assert {s.status.value for s in first.steps.values()} == {"completed"}
    assert all(s.record.worker.startswith("tcp://127.0.0.1:") for s in first.steps.values())
    again = quickstart()
    assert {s.status.value for s in again.steps.values()} == {"cached"}
    accuracy = Client().runs.get(first.name).steps["evaluate"].outputs["accuracy"]
    assert accuracy.artifact_store.root.startswith("s3://runs/quickstart")
    assert accuracy.load() > 0.9


def test_a_failing_step_fails_the_run_and_skips_what_depends_on_it(
    process_cluster: ProcessCluster,
    run_cli: Callable[..., Result],
    capsys: pytest.CaptureFixture[str],
) -> None:
    dask_stack("cluster", address=process_cluster.address)
    with pytest.raises(PipelineRunError, match="cannot use 1") as raised:
        failing()
    printed = capsys.readouterr().out
    assert "checking 1" in printed  # printed on a worker started apart, shown here
    assert "Traceback" not in printed.split("checking 1")[1].split("broken failed")[0]
    statuses = {name: s.status.value for name, s in raised.value.run.steps.items()}
    assert statuses == {
        "number": "completed",
        "broken": "failed",
        "number_2": "completed",
        "number_3": "completed",
        "number_4": "completed",
        "total": "skipped",
    }
    error = raised.value.run.steps["broken"].record.error
    assert 'in broken\n    raise ValueError(f"cannot use {value}")' in error
    assert workers_of(raised.value.run.name)["broken"].startswith("tcp://127.0.0.1:")


def test_a_step_needing_a_gpu_runs_on_the_worker_that_has_one_and_the_same_code_runs_locally(
    process_cluster: ProcessCluster,
) -> None:
    dask_stack("cluster", address=process_cluster.address)
    run = needs_gpu()
    gpu_worker = process_cluster.gpu_worker()
    assert run.steps["where"].outputs["output"].load() == gpu_worker
    assert workers_of(run.name) == {"where": gpu_worker}
    Client().set_active_stack("default")
    with pytest.raises(PipelineRunError, match=r"get_worker|No worker"):
        needs_gpu()  # the step asks Dask where it runs: not a Dask worker here


def test_steps_side_by_side_in_one_worker_process_keep_their_own_logs(
    process_cluster: ProcessCluster, tmp_path: Path
) -> None:
    dask_stack("cluster", address=process_cluster.address)
    client = Client()
    artifacts = client.build_component(client.active_stack.artifact_store).root
    run = side_by_side(str(tmp_path / "started"), artifacts)
    assert run.steps["quick"].logs.strip() == "quick done"
    assert run.steps["slow"].logs.strip() == "slow done"
    assert run.steps["quick"].record.worker == run.steps["slow"].record.worker


def test_a_step_needing_resources_no_worker_has_fails_at_once(
    process_cluster: ProcessCluster,
) -> None:
    dask_stack("cluster", address=process_cluster.address)
    with pytest.raises(PipelineRunError, match="has the resources TPU=2"):
        needs_tpus()


def test_the_user_s_code_travels_but_a_library_a_worker_lacks_is_named(
    process_cluster: ProcessCluster,
    tmp_path: Path,
    run_cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dask_stack("cluster", address=process_cluster.address)
    library = tmp_path / "site-packages"  # installed here only, not on the workers
    library.mkdir()
    (library / "only_here.py").write_text("def answer() -> int:\n    return 42\n")
    monkeypatch.syspath_prepend(str(library))
    (tmp_path / "helpers.py").write_text("def twice(x: int) -> int:\n    return 2 * x\n")
    (tmp_path / "elsewhere.py").write_text(
        "from helpers import twice\nfrom only_here import answer\n"
        "from runstack import pipeline, step\n\n\n"
        "@step\ndef one() -> int:\n    return twice(1)\n\n\n"
        "@step\ndef lib() -> int:\n    return answer()\n\n\n"
        "@pipeline\ndef lonely() -> None:\n    one()\n\n\n"
        "@pipeline\ndef needy() -> None:\n    lib()\n"
    )
    ran = run_cli("pipeline", "run", f"{tmp_path / 'elsewhere.py'}:lonely")
    assert ran.exit_code == 0, ran.output  # its file and the module beside it travel
    failed = run_cli("pipeline", "run", f"{tmp_path / 'elsewhere.py'}:needy")
    assert failed.exit_code == 1
    assert "a Dask worker could not import module 'only_here'" in failed.stderr


def test_a_worker_killed_mid_step_is_replaced_by_another(
    process_cluster: ProcessCluster, tmp_path: Path
) -> None:
    dask_stack("cluster", address=process_cluster.address)
    marker = tmp_path / "killed"
    run = crash(str(marker))
    ran_on = run.steps["kills_its_worker"].outputs["output"].load()
    assert ran_on != marker.read_text()
    assert workers_of(run.name) == {"kills_its_worker": ran_on}


def test_a_step_that_kills_every_worker_fails_the_run_naming_the_worker(
    process_cluster: ProcessCluster, tmp_path: Path
) -> None:
    dask_stack("cluster", address=process_cluster.address)
    marker = tmp_path / "killed"
    with pytest.raises(PipelineRunError, match=r"worker tcp://127\.0\.0\.1:[0-9]+ died") as raised:
        crash(str(marker), always=True)
    step_run = raised.value.run.steps["kills_its_worker"]
    assert step_run.status.value == "failed"
    assert marker.read_text() in step_run.record.error
    assert not step_run.outputs


# -- a scheduler that is not there --------------------------------------------------------------


def test_an_unreachable_scheduler_fails_the_run_in_one_line_naming_it(
    run_cli: Callable[..., Result],
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask_stack("nowhere", address=address, connect_timeout=0.5)
    result = run_cli("pipeline", "run", f"{HERE / 'test_dask_orchestrator.py'}:fan_out")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and f"cannot reach the Dask scheduler at {address}" in line
    [run] = Client().runs.list()
    assert run.status.value == "failed"
    statuses = [s.status.value for s in Client().runs.get(run.name).steps.values()]
    assert statuses == ["failed"] + ["skipped"] * 8


def test_an_address_dask_cannot_use_is_refused_when_registered(
    run_cli: Callable[..., Result],
) -> None:
    result = run_cli("orchestrator", "register", "typo", "--flavor=dask", "--address=tpc//host")
    assert result.exit_code == 1
    assert "is not a Dask scheduler address; write tcp://host:8786" in result.stderr


# -- Ctrl-C in a terminal, which signals the whole process group --------------------------------

CTRL_C_PIPELINE = """
import time
from pathlib import Path

from runstack import pipeline, step


@step(enable_cache=False)
def first(started: str) -> int:
    Path(started).write_text("")
    time.sleep(1)
    return 1


@step(enable_cache=False)
def second(value: int) -> int:
    return value


@pipeline
def interrupted(started: str) -> None:
    second(first(started))
"""


def test_ctrl_c_lets_the_running_step_finish_on_a_local_cluster_of_processes(
    tmp_path: Path, runstack_home: Path
) -> None:
    dask_stack("own_processes", n_workers=1, threads_per_worker=1, processes=True)
    (tmp_path / "flow.py").write_text(CTRL_C_PIPELINE)
    started = tmp_path / "started"
    runstack = Path(sys.executable).with_name("runstack")
    process = subprocess.Popen(
        [str(runstack), "pipeline", "run", "flow.py:interrupted", "--param", f"started={started}"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, which Ctrl-C signals as a whole
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wait_for(started.exists)
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, output
    [run] = Client().runs.list()
    steps = Client().runs.get(run.name).steps
    assert {name: s.status.value for name, s in steps.items()} == {
        "first": "completed",
        "second": "stopped",
    }


def test_only_a_cluster_on_this_machine_may_use_the_local_artifact_store(
    run_cli: Callable[..., Result],
) -> None:
    for name, address in [("near", "tcp://127.0.0.1:8786"), ("far", "tcp://scheduler:8786")]:
        registered = run_cli(
            "orchestrator", "register", name, "--flavor=dask", f"--address={address}"
        )
        assert registered.exit_code == 0, registered.output
    assert run_cli("stack", "register", "near", "-o", "near", "-a", "default").exit_code == 0
    refused = run_cli("stack", "register", "far", "-o", "far", "-a", "default")
    assert refused.exit_code == 1
    assert "runs steps away from this machine (the dask orchestrator 'far')" in refused.stderr
    described = run_cli("stack", "describe", "near")
    assert "tcp://127.0.0.1:8786" in described.stdout
