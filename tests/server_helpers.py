"""A real team server for the tests: `runstack server start` in a subprocess on a free port,
with its own home and store, and users made with `runstack server user create`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

RUNSTACK = str(Path(sys.executable).with_name("runstack"))
START_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unique(prefix: str) -> str:
    """A name no other test on the shared server uses."""
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@dataclass
class TeamServer:
    """One `runstack server start` process; `tokens` holds each user's token by name."""

    home: Path
    port: int = field(default_factory=free_port)
    tokens: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    # The store's URL (`postgresql://...`); "" for a SQLite file in the server's home.
    database_url: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> str:
        return self.database_url or str(self.home / "server.db")

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    def runstack(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """`runstack ARGS...` in the server's home (for `server user ...`)."""
        env = {**os.environ, "RUNSTACK_HOME": str(self.home)}
        return subprocess.run(
            [RUNSTACK, *arguments], capture_output=True, text=True, env=env, check=False
        )

    def add_user(self, name: str) -> str:
        """Create a user on the server's store; their token."""
        done = self.runstack("server", "user", "create", name, "--db", self.database)
        assert done.returncode == 0, done.stderr
        self.tokens[name] = done.stdout.splitlines()[-1]
        return self.tokens[name]

    def start(self) -> None:
        env = {**os.environ, "RUNSTACK_HOME": str(self.home)}
        command = [RUNSTACK, "server", "start", "--port", str(self.port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "--db", self.database], env=env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: {self.log.read_text()}")
            try:
                httpx.get(f"{self.url}/api/v1/info", timeout=1.0).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"the server did not answer in {START_SECONDS} s: {self.log.read_text()}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def api(self, user: str | None = "alice") -> httpx.Client:
        """A plain HTTP client of the API, with `user`'s token (None: without one)."""
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=f"{self.url}/api/v1", headers=headers, timeout=10.0)


def started_server(home: Path, *users: str, database_url: str = "") -> TeamServer:
    """A server in `home` (on `database_url`, else a SQLite file there), its users created
    (before it starts, as an admin would)."""
    server = TeamServer(home, database_url=database_url)
    for user in users:
        server.add_user(user)
    server.start()
    return server
