"""`big_array_s3.py MIB ORDER`: one step writes a MIB float64 array and the next reads it, on an
`s3` artifact store (moto's S3 server, its own process on 127.0.0.1) and on the local store.

ORDER is `s3-first` or `local-first`; the harness alternates it between runs.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import numpy as np
from bench_steps import ARRAY, big_array

from runstack import Client

mebibytes = int(sys.argv[1])
stacks = ["s3", "default"] if sys.argv[2:] == ["s3-first"] else ["default", "s3"]
ARRAY["value"] = np.random.default_rng(0).random(mebibytes * 1024 * 1024 // 8)


def through_pipeline(client: Client, stack: str) -> float:
    client.set_active_stack(stack)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        big_array.with_options(enable_cache=False)()
    return time.perf_counter() - started


with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
moto = Path(sys.executable).with_name("moto_server")
server = subprocess.Popen(
    [str(moto), "-H", "127.0.0.1", "-p", str(port)],
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
try:
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"key": "bench", "secret": "bench", "region": "us-east-1"}
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
    )
    for _ in range(200):  # until the server listens
        try:
            s3.create_bucket(Bucket="bench")
            break
        except Exception:
            time.sleep(0.05)
    client = Client()
    client.register_component(
        "artifact_store",
        "s3",
        "s3",
        {"path": "s3://bench/runs", "endpoint_url": endpoint, **credentials},
    )
    client.register_stack("s3", {"orchestrator": "default", "artifact_store": "s3"})
    seconds = {stack: through_pipeline(client, stack) for stack in stacks}
finally:
    server.terminate()
    server.wait()
print(json.dumps({"s3": seconds["s3"], "local": seconds["default"]}))
