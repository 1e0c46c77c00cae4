"""A pytest plugin for runstack and for flavor plugin authors (loaded through `pytest11`).

Every test gets its own `RUNSTACK_HOME` and a freshly loaded plugin registry;
the `assert_*_contract` functions check a flavor or an implementation against
the same contract runstack's own local plugins pass.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runstack import paths, plugins
from runstack.components import (
    BaseArtifactStore,
    BaseOrchestrator,
    Task,
    TaskStatus,
)
from runstack.errors import ConfigError
from runstack.flavors import Flavor, FlavorConfig

if TYPE_CHECKING:
    from click.testing import Result

_PLUGIN_ENV = (plugins.LOAD_ONLY_ENV, plugins.DISABLE_ENV, plugins.STRICT_ENV)


def _forget_plugins() -> None:
    from runstack.installed import installed

    installed.cache_clear()
    importlib.invalidate_caches()


@pytest.fixture(autouse=True)
def runstack_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """An empty `RUNSTACK_HOME` for this test, and plugins loaded afresh."""
    home = tmp_path_factory.mktemp("runstack_home")
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    for variable in _PLUGIN_ENV:
        monkeypatch.delenv(variable, raising=False)
    _forget_plugins()
    yield home
    _forget_plugins()


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Run `runstack ARGS...` in-process; the result has `exit_code`, `stdout` and `stderr`."""
    from click.testing import CliRunner

    from runstack.cli.main import cli

    def invoke(*arguments: str, input: str | None = None, columns: int = 200) -> Result:
        runner = CliRunner(env={"COLUMNS": str(columns)})
        return runner.invoke(cli, list(arguments), input=input, catch_exceptions=False)

    return invoke


def parse_table(output: str) -> list[dict[str, str]]:
    """Body rows of the table(s) in `output`, keyed by the first header (unwrapped tables).

    Unicode tables are split on box characters only, so a cell may hold `int | None`.
    """
    rows = [
        [cell.strip() for cell in re.split("[┃│]" if line[0] == "┃" else "[|]", line)[1:-1]]
        for line in output.splitlines()
        if line.startswith(("┃", "|"))
    ]
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


@pytest.fixture
def install_plugin(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Path]:
    """Make a distribution with `runstack` entry points importable, as `pip install` would.

    `install_plugin("acme-stores", {"acme_stores": SOURCE}, entry_points={"acme": "acme_stores"})`
    writes the modules and a `*.dist-info` folder into a fresh folder on `sys.path`.
    """

    def install(
        distribution: str,
        modules: Mapping[str, str],
        *,
        entry_points: Mapping[str, str],
        version: str = "1.0.0",
    ) -> Path:
        site = tmp_path_factory.mktemp("site")
        write_distribution(site, distribution, modules, entry_points=entry_points, version=version)
        monkeypatch.syspath_prepend(str(site))
        # Forget earlier imports of these packages *and their submodules*: a stale
        # `pkg.plugin` in sys.modules would be reused instead of the new source.
        packages = {module.partition(".")[0] for module in modules}
        for loaded in [name for name in sys.modules if name.partition(".")[0] in packages]:
            monkeypatch.delitem(sys.modules, loaded)
        _forget_plugins()
        return site

    return install


def write_distribution(
    site: Path,
    distribution: str,
    modules: Mapping[str, str],
    *,
    entry_points: Mapping[str, str],
    version: str = "1.0.0",
) -> None:
    """Write modules (dotted name -> source) and the metadata that make them a plugin."""
    for dotted, source in modules.items():
        target = site.joinpath(*dotted.split(".")).with_suffix(".py")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
    info = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = [f"{name} = {target}" for name, target in entry_points.items()]
    (info / "entry_points.txt").write_text(
        f"[{plugins.ENTRY_POINT_GROUP}]\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )


# -- contracts plugin authors run against their own flavors ---------------------


def assert_flavor_contract(flavor: Flavor) -> None:
    """A flavor runstack can list, describe, validate and build."""
    from runstack.implementations import buildable_class
    from runstack.registry import flavor_problem

    problem = flavor_problem(flavor)
    assert problem is None, problem
    assert issubclass(flavor.config_class, FlavorConfig), "config_class must subclass FlavorConfig"
    assert flavor.description.strip(), "a flavor needs a one-line description"
    assert "\n" not in flavor.description, "the description must be one line"
    for field in flavor.fields():
        assert field.description, f"config key {field.name!r} needs a description"
    try:
        buildable_class(flavor)
    except ConfigError as error:
        pytest.fail(str(error))
    with pytest.raises(ConfigError, match="unknown config key"):
        flavor.validate_config({"surely_not_a_key": 1})


def assert_artifact_store_contract(store: BaseArtifactStore) -> None:
    """Files round-trip under the root, writes appear whole or not at all, escapes are refused."""
    with store.open("contract/a/data.bin", "wb") as stream:
        stream.write(b"runstack")
    assert store.exists("contract/a/data.bin")
    with store.open("contract/a/data.bin") as stream:
        assert stream.read() == b"runstack"
    assert store.size("contract/a/data.bin") == 8
    assert store.file_sizes("contract") == {"a/data.bin": 8}
    assert store.ls("contract/a") == ["contract/a/data.bin"]
    assert store.glob("contract/*/*.bin") == ["contract/a/data.bin"]

    class Interrupted(Exception):
        pass

    with pytest.raises(Interrupted), store.open("contract/a/broken.bin", "wb") as stream:
        stream.write(b"half")
        raise Interrupted
    assert not store.exists("contract/a/broken.bin")
    assert store.ls("contract/a") == ["contract/a/data.bin"]

    for escape in ("../outside.bin", "/etc/passwd", "contract/../../outside.bin"):
        with pytest.raises(ConfigError, match="leaves the artifact store"):
            store.path(escape)
    store.rm("contract", recursive=True)
    assert not store.exists("contract")


def assert_orchestrator_contract(
    orchestrator: BaseOrchestrator, settings: FlavorConfig | None = None
) -> None:
    """Dependencies run first; a failure skips only what is downstream of it; cycles are
    refused; Ctrl-C lets the running task finish and starts nothing new; a second Ctrl-C
    stops waiting. `settings` (of the flavor's `settings_class`) are used for a second run.

    Ctrl-C is sent to this process, so call it from the main thread.
    """
    for run_settings in (None, settings) if settings is not None else (None,):
        _assert_graph_runs(orchestrator, run_settings)
    with pytest.raises(ConfigError, match="cycle"):
        orchestrator.execute(
            [Task("a", _noop, frozenset({"b"})), Task("b", _noop, frozenset({"a"}))]
        )
    _assert_ctrl_c_rules(orchestrator, settings)


def _noop() -> None:
    pass


def _assert_graph_runs(orchestrator: BaseOrchestrator, settings: FlavorConfig | None) -> None:
    finished: list[str] = []

    def work(name: str, fail: bool = False) -> Callable[[], Any]:
        def run() -> None:
            if fail:
                raise RuntimeError(f"{name} failed")
            finished.append(name)

        return run

    called: list[int] = []
    results = orchestrator.execute(
        [
            Task("call", lambda: called.append(orchestrator.call(abs, -7))),
            Task("load", work("load")),
            Task("train", work("train"), frozenset({"load"})),
            Task("broken", work("broken", fail=True), frozenset({"load"})),
            Task("report", work("report"), frozenset({"broken", "train"})),
            Task("independent", work("independent")),
        ],
        settings=settings,
    )
    assert finished.index("load") < finished.index("train")
    assert called == [7], "call() must run the function on the work and return its result"
    assert {name: result.status for name, result in results.items()} == {
        "call": TaskStatus.COMPLETED,
        "load": TaskStatus.COMPLETED,
        "train": TaskStatus.COMPLETED,
        "broken": TaskStatus.FAILED,
        "report": TaskStatus.SKIPPED,
        "independent": TaskStatus.COMPLETED,
    }
    assert "broken failed" in str(results["broken"].error)
    assert results["report"].blocked_by == "broken"


def _assert_ctrl_c_rules(orchestrator: BaseOrchestrator, settings: FlavorConfig | None) -> None:
    """A task presses Ctrl-C (once, then twice) while it runs, and sees what the run does."""
    import signal
    import threading
    import time

    pressed = threading.Semaphore(0)

    def on_ctrl_c(signum: int, frame: object) -> None:
        pressed.release()
        raise KeyboardInterrupt

    def press_ctrl_c() -> None:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        assert pressed.acquire(timeout=10), "the Ctrl-C never reached the main thread"

    events: list[str] = []
    release = threading.Event()

    def once() -> None:
        press_ctrl_c()
        time.sleep(0.2)  # the run's main thread now takes the Ctrl-C in
        events.append("finished")

    def twice() -> None:
        press_ctrl_c()
        press_ctrl_c()
        release.wait(timeout=10)
        events.append("finished")

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        for running, rule in (
            (once, "on Ctrl-C, the running task must finish and no new task start"),
            (twice, "on a second Ctrl-C, execute must raise at once, without waiting"),
        ):
            events.clear()
            tasks = [
                Task("running", running),
                Task("next", lambda: events.append("next started"), frozenset({"running"})),
            ]
            with pytest.raises(KeyboardInterrupt):
                orchestrator.execute(tasks, settings=settings)
            expected = ["finished"] if running is once else []
            assert events == expected, f"{rule} (run tasks on threads; TaskGraph.run does)"
    finally:
        signal.signal(signal.SIGINT, previous)
        release.set()
