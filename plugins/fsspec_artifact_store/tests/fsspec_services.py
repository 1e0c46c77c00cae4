"""The storage services the tests start on 127.0.0.1, and how the tests see each of them."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Azurite's well-known development account (public, in Microsoft's documentation).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
REPOSITORY = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class StorageService:
    """A storage API on this machine, as the tests of one flavor use it."""

    flavor: str
    scheme: str
    credentials: dict[str, str]
    """Config besides `path` for a store that may read and write."""
    wrong_credentials: dict[str, str]
    unreachable: dict[str, str]
    create_bucket: Callable[[str], object]
    buckets: Callable[[], set[str]]
    keys: Callable[[str], list[str]]

    def new_bucket(self, create: bool = True) -> str:
        name = f"bucket-{uuid.uuid4().hex[:12]}"
        if create:
            self.create_bucket(name)
        return name

    def config(self, bucket: str, prefix: str = "runs", **changes: str) -> dict[str, str]:
        return {"path": f"{self.scheme}://{bucket}/{prefix}", **self.credentials, **changes}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(command: list[str], port: int, **popen: Any) -> subprocess.Popen[bytes]:
    """Start a server process and wait until it accepts connections on `port`."""
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            assert server.stderr is not None
            pytest.fail(f"{command[0]} exited: {server.stderr.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    pytest.fail(f"{command[0]} did not listen on port {port} within 60 s")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def azurite_command() -> str:
    """Azurite's blob server: on PATH, or where `make azurite` installs it."""
    found = shutil.which("azurite-blob")
    installed = REPOSITORY / ".tools" / "node_modules" / ".bin" / "azurite-blob"
    if found:
        return found
    if installed.exists():
        return str(installed)
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("Azurite needs Node.js and npm, and this machine has neither")
    pytest.fail("Azurite is not installed: run `make azurite` (`make test` does)")


def connection_string(port: int, key: str = AZURITE_KEY) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={key};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )
