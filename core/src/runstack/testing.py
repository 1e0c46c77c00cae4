"""A pytest plugin for runstack and for flavor plugin authors (loaded through `pytest11`).

Every test gets its own `RUNSTACK_HOME` and a freshly loaded plugin registry;
the `assert_*_contract` functions check a flavor or an implementation against
the same contract runstack's own local plugins pass.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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
from runstack.entry_points import ENTRY_POINT_GROUP
from runstack.errors import ConfigError, NotFoundError
from runstack.flavors import Flavor, FlavorConfig
from runstack.lifecycle_contracts import (
    assert_step_component_contract as assert_step_component_contract,  # for plugin authors
)
from runstack.lifecycle_contracts import assert_steps_run_in_their_context

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

    def invoke(
        *arguments: str, input: str | None = None, columns: int = 200, terminal: bool = True
    ) -> Result:
        # As a person sees it at a terminal `columns` wide, or (terminal=False) as a pipe gets it.
        runner = CliRunner(
            env={"COLUMNS": str(columns), "RUNSTACK_FORCE_TTY": "1" if terminal else "0"}
        )
        return runner.invoke(cli, list(arguments), input=input, catch_exceptions=False)

    return invoke


def imported_by_command(arguments: Sequence[str], modules: Iterable[str]) -> list[str]:
    """Which of `modules` `runstack ARGUMENTS...` imports, run in a fresh process in this test's
    RUNSTACK_HOME; it must succeed. How a test holds a command to importing only what it needs
    (a plugin's heavy library only where it is used), since imports are most of a command's time.
    """
    import os
    import subprocess

    code = (
        "import atexit, json, sys\n"
        f"wanted = {sorted(modules)!r}\n"
        "atexit.register(lambda: print(json.dumps(sorted(set(wanted) & set(sys.modules)))))\n"
        "from runstack.cli.main import main\n"
        f"sys.argv = ['runstack', *{list(arguments)!r}]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, paths.HOME_ENV: str(paths.runstack_home())},
    )
    assert result.returncode == 0, f"runstack {' '.join(arguments)} failed:\n{result.stderr}"
    import json

    imported: list[str] = json.loads(result.stdout.splitlines()[-1])  # printed at its exit
    return imported


def parse_table(output: str) -> list[dict[str, str]]:
    """Body rows of the first table in `output`, keyed by header (tables that do not wrap).

    Boxed tables (a terminal's) are split on box characters only, so a cell may hold
    `int | None`; plain ones (a pipe's) by the columns their headers start at.
    """
    lines = output.splitlines()
    if not lines:  # an empty list prints no table (it says so on stderr)
        return []
    if not any(line.startswith(("┃", "|")) for line in lines):
        return _parse_plain_table(lines)
    rows = [
        [cell.strip() for cell in re.split("[┃│]" if line[0] == "┃" else "[|]", line)[1:-1]]
        for line in lines
        if line.startswith(("┃", "|"))
    ]
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def _parse_plain_table(lines: list[str]) -> list[dict[str, str]]:
    """The header is the first upper-case line of several columns; rows follow to a blank line."""
    from runstack.cli.table import PLAIN_GAP, display_width

    start = next(i for i, line in enumerate(lines) if line.isupper() and PLAIN_GAP in line.strip())
    header = lines[start]
    names = [name for name in re.split(f"{PLAIN_GAP} *", header.strip())]
    offsets = [display_width(header[: header.index(name)]) for name in names]
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        cells = []
        for begin, end in zip(offsets, [*offsets[1:], None], strict=True):
            cells.append(_columns(line, begin, end).strip())
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


def _columns(line: str, begin: int, end: int | None) -> str:
    """The characters of `line` between two display columns (wide characters count twice)."""
    from runstack.cli.table import display_width

    taken, column = [], 0
    for character in line:
        if column >= begin and (end is None or column < end):
            taken.append(character)
        column += display_width(character)
    return "".join(taken)


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
        f"[{ENTRY_POINT_GROUP}]\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )


# -- contracts plugin authors run against their own flavors ---------------------


def assert_flavor_contract(flavor: Flavor) -> None:
    """A flavor runstack can list, describe, validate and build."""
    from runstack.flavor_registry import flavor_problem
    from runstack.implementations import buildable_class

    problem = flavor_problem(flavor)
    assert problem is None, problem
    flavor.config_model()  # each imported if named by path; an error unless a FlavorConfig
    flavor.settings_model()
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


def assert_artifact_store_contract(
    store: BaseArtifactStore, *, missing_bucket: BaseArtifactStore | None = None
) -> None:
    """Files round-trip under the root, writes appear whole or not at all, escapes are refused,
    each file costs a bounded number of filesystem calls, symbolic links on a local disk lead
    nowhere outside, and an object store creates no bucket.

    For an object store (`object_store = True`), pass `missing_bucket`: the same flavor rooted
    in a bucket that does not exist.
    """
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
    _assert_writes_per_file(store)
    if store.object_store or missing_bucket is not None:
        _assert_no_bucket_is_created(missing_bucket)
    elif Path(store.root).is_dir():
        _assert_links_stay_inside(store)
    store.rm("contract", recursive=True)
    assert not store.exists("contract")


# At most this many filesystem calls per file written: an object store uploads each file
# once; a file system may create its folder, write a temporary file and rename it.
OBJECT_STORE_CALLS_PER_FILE = 1
FILE_SYSTEM_CALLS_PER_FILE = 3
_WRITING_CALLS = (
    "open",
    "put_file",
    "put",
    "pipe_file",
    "pipe",
    "mv",
    "copy",
    "cp_file",
    "rm",
    "rm_file",
    "makedirs",
    "mkdirs",
    "mkdir",
    "touch",
)


@contextmanager
def count_filesystem_writes(filesystem: Any) -> Iterator[list[str]]:
    """The names of the calls that change an fsspec filesystem while the block runs: `open` in
    a write mode, uploads, copies, moves, removals, folders.

    Give an instance, or a filesystem class to count every instance of it (fsspec caches one
    per thread). A call made inside a counted one is not counted again, so each entry is one
    request the caller asked for.
    """
    calls: list[str] = []
    inside = threading.local()
    takes_self = isinstance(filesystem, type)

    def counting(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            arguments = args[1:] if takes_self else args
            mode = kwargs.get("mode", arguments[1] if len(arguments) > 1 else "rb")
            if not getattr(inside, "depth", 0) and (name != "open" or mode[:1] in "wax"):
                calls.append(name)
            inside.depth = getattr(inside, "depth", 0) + 1
            try:
                return original(*args, **kwargs)
            finally:
                inside.depth -= 1

        return counted

    own = {name: vars(filesystem)[name] for name in _WRITING_CALLS if name in vars(filesystem)}
    for name in _WRITING_CALLS:
        setattr(filesystem, name, counting(name, getattr(filesystem, name)))
    try:
        yield calls
    finally:
        for name in _WRITING_CALLS:
            if name in own:
                setattr(filesystem, name, own[name])
            else:
                delattr(filesystem, name)


def _assert_writes_per_file(store: BaseArtifactStore) -> None:
    files = 3
    limit = OBJECT_STORE_CALLS_PER_FILE if store.object_store else FILE_SYSTEM_CALLS_PER_FILE
    with count_filesystem_writes(store.filesystem) as calls:
        for number in range(files):
            with store.open(f"contract/count/{number}.bin", "wb") as stream:
                stream.write(b"runstack")
    assert len(calls) <= limit * files, (
        f"writing {files} files took {len(calls)} filesystem calls ({', '.join(calls)}); "
        f"at most {limit} per file"
        + (" (an object store uploads each file once)" if store.object_store else "")
    )


def _assert_no_bucket_is_created(missing_bucket: BaseArtifactStore | None) -> None:
    assert missing_bucket is not None, (
        "an object store's contract needs missing_bucket=: a store of the same flavor rooted "
        "in a bucket that does not exist"
    )
    bucket, filesystem = missing_bucket.bucket, missing_bucket.filesystem
    assert not filesystem.exists(bucket), f"missing_bucket's bucket {bucket!r} exists"
    try:
        with missing_bucket.open("contract/data.bin", "wb") as stream:
            stream.write(b"runstack")
    except NotFoundError as error:
        failure: NotFoundError | None = error
    else:
        failure = None
    assert not filesystem.exists(bucket), f"writing under the missing bucket {bucket!r} created it"
    assert failure is not None, f"writing under the missing bucket {bucket!r} did not fail"
    assert f"bucket {bucket!r}" in str(failure), f"the error does not name the bucket: {failure}"


def _assert_links_stay_inside(store: BaseArtifactStore) -> None:
    """A symbolic link under the root that leads out is refused for reading and writing."""
    outside = Path(tempfile.mkdtemp(prefix="runstack-contract-"))
    links = Path(store.path("contract/links"))
    try:
        (outside / "secret.bin").write_bytes(b"outside")
        links.mkdir(parents=True)
        (links / "door").symlink_to(outside, target_is_directory=True)
        (links / "file_door.bin").symlink_to(outside / "secret.bin")
        for relative in ("door/secret.bin", "file_door.bin", "door/new.bin"):
            for mode in ("rb", "wb"):
                try:
                    with store.open(f"contract/links/{relative}", mode) as stream:
                        stream.write(b"written") if "w" in mode else stream.read()
                except (ConfigError, FileNotFoundError):
                    continue
                raise AssertionError(
                    f"open({relative!r}, {mode!r}) followed a symbolic link out of the root"
                )
        assert sorted(path.name for path in outside.iterdir()) == ["secret.bin"]
        assert (outside / "secret.bin").read_bytes() == b"outside"
    finally:
        for link in ("door", "file_door.bin"):
            (links / link).unlink(missing_ok=True)
        shutil.rmtree(outside)


def assert_orchestrator_contract(
    orchestrator: BaseOrchestrator, settings: FlavorConfig | None = None
) -> None:
    """Dependencies run first; a failure skips only what is downstream of it; cycles are
    refused; Ctrl-C lets the running task finish and starts nothing new; a second Ctrl-C
    stops waiting; steps run where `call` runs them with their context and their stack's
    components prepared and cleaned up around them, once each, in the step's own process.
    `settings` (of the flavor's `settings_class`) are used for a second run.

    Ctrl-C is sent to this process, so call it from the main thread. The steps write to a
    temporary folder of this machine: run the contract with workers on this machine.
    """
    for run_settings in (None, settings) if settings is not None else (None,):
        _assert_graph_runs(orchestrator, run_settings)
        assert_steps_run_in_their_context(orchestrator, run_settings)
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
