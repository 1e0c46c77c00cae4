"""`big_array.py MIB`: one step writes a MIB float64 array, the next reads it; vs np.save+load."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
from bench_steps import ARRAY, big_array

from runstack import Client

mebibytes = int(sys.argv[1])
ARRAY["value"] = np.random.default_rng(0).random(mebibytes * 1024 * 1024 // 8)
client = Client()
root = Path(client.artifact_store(client.active_stack.artifact_store.id).root)
root.mkdir(parents=True, exist_ok=True)

started = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    big_array.with_options(enable_cache=False)()
pipeline_seconds = time.perf_counter() - started

target = root / "floor.npy"
started = time.perf_counter()
np.save(target, ARRAY["value"])
loaded = np.load(target)
floor_seconds = time.perf_counter() - started
assert loaded.shape == ARRAY["value"].shape
target.unlink()
print(json.dumps({"pipeline": pipeline_seconds, "floor": floor_seconds}))
