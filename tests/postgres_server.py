"""A throwaway PostgreSQL server for the tests: `initdb` and `pg_ctl` in a temporary folder, on a
free port, run as a user other than root (PostgreSQL refuses root)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "runstack"
PASSWORD = "throwaway-secret"
SERVICE_USER = "postgres"  # the account Debian's postgresql package creates


@dataclass(frozen=True)
class PostgresServer:
    """A running server; `url(name)` reaches database `name` on it as its superuser."""

    port: int

    def url(self, database: str = "postgres", *, password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new empty database, for one test."""
        import psycopg

        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def binaries() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`: on PATH, else Debian's newest; None if neither."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    return found[-1].parent if found else None


def why_unavailable() -> str | None:
    """Why no server can be started here, or None when one can."""
    if binaries() is None:
        return "PostgreSQL's initdb and pg_ctl are not installed (make test installs them as root)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            return f"running as root and there is no {SERVICE_USER!r} user to run PostgreSQL as"
    return None


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a server in a new temporary folder; stop it and remove the folder afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="runstack-postgres-"))
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    as_user: list[str] = []
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVICE_USER)
        for path in (folder, password_file):
            os.chown(path, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", SERVICE_USER, "--"]
    bin_folder = binaries()
    assert bin_folder is not None
    data = folder / "data"
    port = _free_port()
    try:
        _run(
            as_user,
            [
                str(bin_folder / "initdb"),
                f"--pgdata={data}",
                f"--username={USER}",
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        )
        # Durability buys nothing in a test that throws the server away.
        options = (
            f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run(
            as_user,
            [
                str(bin_folder / "pg_ctl"),
                "start",
                f"--pgdata={data}",
                f"--log={folder / 'server.log'}",
                f"--options={options}",
                "--wait",
                "--silent",
            ],
        )
        yield PostgresServer(port)
    finally:
        if (data / "postmaster.pid").exists():  # started, even if `start` then failed
            _run(
                as_user,
                [str(bin_folder / "pg_ctl"), "stop", f"--pgdata={data}", "-m", "fast", "--silent"],
            )
        shutil.rmtree(folder, ignore_errors=True)


def _run(as_user: list[str], command: list[str]) -> None:
    done = subprocess.run(
        [*as_user, *command], capture_output=True, text=True, timeout=120, cwd="/"
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
