"""MLflow for the tracker's tests: a SQLite tracking store made once for the session (creating
one costs MLflow about two seconds of migrations), and a real `mlflow server` on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER_START_SECONDS = 60


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite tracking store shared by the session's tests (each uses its own experiment or
    finds its runs by the runstack run id)."""
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    with warnings.catch_warnings():  # MLflow's own use of a deprecated SQLAlchemy API
        warnings.simplefilter("ignore", DeprecationWarning)
        MlflowClient(uri).search_experiments()  # creates the tables now, once
    return uri


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory, tracking_uri: str) -> Iterator[str]:
    """`mlflow server` on 127.0.0.1 on a free port, for the whole session; its URL. Its store
    starts as a copy of the session's, whose tables are made already."""
    executable = shutil.which("mlflow", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip("the mlflow command is not installed beside this Python")
    folder = tmp_path_factory.mktemp("mlflow_server")
    port = free_port()
    shutil.copy(tracking_uri.removeprefix("sqlite:///"), folder / "server.db")
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [
            executable,
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            f"sqlite:///{folder / 'server.db'}",
            "--artifacts-destination",
            str(folder / "artifacts"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "RUNSTACK_HOME": str(folder / "home")},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"mlflow server did not start:\n{(folder / 'server.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()
