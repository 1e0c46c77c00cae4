"""Files at rest: the home, the store and the config are readable by their owner only."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from click.testing import Result

RunCli = Callable[..., "Result"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def store_files(home: Path) -> list[Path]:
    return sorted(home.glob("runstack.db*"))


def test_a_new_home_and_everything_in_it_is_private(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "fresh" / "runstack"
    monkeypatch.setenv("RUNSTACK_HOME", str(home))
    assert run_cli("stack", "register", "other", "-o", "default", "-a", "default").exit_code == 0
    assert run_cli("stack", "set", "other").exit_code == 0
    assert mode(home) == 0o700
    assert mode(home / "config.toml") == 0o600

    # While a writer holds it open, the WAL side files exist: private too.
    from runstack import Client

    client = Client()
    client.register_component("artifact_store", "kept", "local", {"path": str(tmp_path / "a")})
    names = {p.name: mode(p) for p in store_files(home)}
    assert names == {"runstack.db": 0o600, "runstack.db-wal": 0o600, "runstack.db-shm": 0o600}
    client.store.database.close()


def test_an_existing_home_with_loose_modes_is_tightened_on_the_next_write(
    run_cli: RunCli, runstack_home: Path
) -> None:
    assert run_cli("stack", "set", "default").exit_code == 0
    runstack_home.chmod(0o755)
    for path in [runstack_home / "config.toml", *store_files(runstack_home)]:
        path.chmod(0o644)

    assert run_cli("stack", "list").exit_code == 0  # reading changes nothing
    assert mode(runstack_home / "runstack.db") == 0o644
    assert run_cli("stack", "register", "other", "-o", "default", "-a", "default").exit_code == 0
    assert run_cli("stack", "set", "other").exit_code == 0
    assert mode(runstack_home) == 0o700
    files = [runstack_home / "config.toml", *store_files(runstack_home)]
    assert {p.name: mode(p) for p in files} == dict.fromkeys((p.name for p in files), 0o600)
