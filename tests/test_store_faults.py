"""The store's folder full or read-only, for real: every command says so in one line, reading
commands keep working, and the store is left as it was.

The faults are real file systems (a tiny tmpfs, remounted read-only), which needs root;
elsewhere these tests skip, saying so.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runstack.processes import this_host

if TYPE_CHECKING:
    from click.testing import Result

RunCli = Callable[..., "Result"]
RUNSTACK = str(Path(sys.executable).parent / "runstack")
REGISTER = ("stack", "register", "extra", "-o", "default", "-a", "default")


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """`mount(*options, source)` mounts on a new folder (unmounted afterwards); the folder."""
    if os.geteuid() != 0:
        pytest.skip("a file system of its own (full, or read-only) needs root to mount")
    targets: list[Path] = []

    def mount_on_new_folder(*arguments: str) -> Path:
        target = tmp_path / f"mount-{len(targets)}"
        target.mkdir()
        done = subprocess.run(["mount", *arguments, str(target)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount here: {done.stderr.strip()}")
        targets.append(target)
        return target

    try:
        yield mount_on_new_folder
    finally:
        for target in reversed(targets):
            subprocess.run(["umount", "-l", str(target)], check=True)


@pytest.fixture
def small_home(mount: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """RUNSTACK_HOME on its own 2 MiB tmpfs."""
    home = mount("-t", "tmpfs", "-o", "size=2m,mode=700", "runstack-test")
    monkeypatch.setenv("RUNSTACK_HOME", str(home))
    return home


def a_store_with_a_dead_run(run_cli: RunCli, home: Path) -> None:
    """A new store holding a run recorded as running by a process of this machine that exited.

    Every connection is closed afterwards, so SQLite's side files are gone.
    """
    assert run_cli("stack", "list").exit_code == 0
    gc.collect()
    exited = subprocess.Popen(["true"])
    exited.wait()
    with contextlib.closing(sqlite3.connect(home / "runstack.db")) as connection, connection:
        connection.execute("INSERT INTO pipelines VALUES ('p', 'flow', '2024-01-01T00:00:00')")
        connection.execute(
            "INSERT INTO runs (id, name, pipeline_id, status, stack_id, stack_name, "
            "artifact_store_id, owner, config, parameters, started, finished, error, pid, host) "
            "VALUES ('r', 'lost', 'p', 'running', 's', 'default', 'a', 'ana', '{}', '{}', "
            "'2024-01-01T00:00:00', NULL, '', ?, ?)",
            (exited.pid, this_host()),
        )


def fill(folder: Path) -> None:
    """Write a new file until the file system is full."""
    filler = folder / f"filler-{len(list(folder.glob('filler-*')))}"
    with contextlib.suppress(OSError), filler.open("wb") as stream:
        while True:
            stream.write(b"x" * 4096)
            stream.flush()


def error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    return line


def listing_works(home: Path) -> None:
    """Reading commands still work, and the dead run shows as crashed though nothing is written.

    They run as processes of their own once every connection of this one is closed:
    SQLite then has no side file to lean on and would have to create one.
    """
    gc.collect()
    assert sorted(path.name for path in home.glob("runstack.db*")) == ["runstack.db"]
    stacks = runstack_json(home, "stack", "list")
    assert [s["name"] for s in stacks] == ["default"]
    [run] = runstack_json(home, "run", "list")
    assert (run["name"], run["status"]) == ("lost", "crashed")
    assert run["error"].startswith("the process running it died")


def runstack_json(home: Path, *arguments: str) -> Any:
    done = subprocess.run(
        [RUNSTACK, *arguments, "-o", "json"],
        env={**os.environ, "RUNSTACK_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    return json.loads(done.stdout)


def test_a_full_disk_is_one_line_and_reading_commands_keep_working(
    run_cli: RunCli, small_home: Path
) -> None:
    a_store_with_a_dead_run(run_cli, small_home)
    store = small_home / "runstack.db"
    fill(small_home)
    listing_works(small_home)

    line = error_line(run_cli(*REGISTER))
    assert line == (
        f"Error: no space left on device while writing the store at {store}; "
        "the store is unharmed: free some space, then try again"
    )

    for filler in small_home.glob("filler-*"):
        filler.unlink()
    assert run_cli(*REGISTER).exit_code == 0
    names = [s["name"] for s in json.loads(run_cli("stack", "list", "-o", "json").stdout)]
    assert names == ["default", "extra"]
    [run] = json.loads(run_cli("run", "list", "-o", "json").stdout)
    assert run["status"] == "crashed"


def test_a_read_only_home_is_one_line_and_reading_commands_keep_working(
    run_cli: RunCli,
    runstack_home: Path,
    mount: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a_store_with_a_dead_run(run_cli, runstack_home)
    # The same folder seen through a read-only bind mount: even root cannot write there.
    home = mount("--bind", "-o", "ro", str(runstack_home))
    subprocess.run(["mount", "-o", "remount,bind,ro", str(home)], check=True)
    monkeypatch.setenv("RUNSTACK_HOME", str(home))
    store = home / "runstack.db"

    line = error_line(run_cli(*REGISTER))
    assert line.startswith(f"Error: the store at {store} cannot be written: ")
    assert "read-only" in line and "the store is unharmed" in line
    assert "move it aside" not in line
    listing_works(home)


# -- the store file deleted or replaced under a running process ------------------------

VANISHING = """
import os
import shutil
from pathlib import Path


@step
def swap(store: str, how: str) -> int:
    path = Path(store)
    if how == "deleted":
        path.unlink()
    else:  # replaced, as restoring a backup copy over it would
        shutil.copy(path, path.with_name("copy.db"))
        os.replace(path.with_name("copy.db"), path)
    return 1


@step
def after(value: int) -> int:
    return value + 1


@pipeline(enable_cache=False)
def vanishing(store: str, how: str) -> None:
    after(swap(store, how))
"""


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_store_deleted_or_replaced_during_a_run_fails_the_run_clearly(
    how: str, runstack_home: Path, import_module: Callable[[str], Any]
) -> None:
    from runstack.errors import StoreError

    store = runstack_home / "runstack.db"
    module = import_module(VANISHING)
    with pytest.raises(StoreError) as raised:
        module.vanishing(store=str(store), how=how)
    assert str(raised.value).startswith(
        f"the store {store} was deleted or replaced while runstack was using it"
    )
    if how == "deleted":  # and no fresh, empty store took its place
        assert not store.exists()
