"""`big_array.py MIB`: one step writes a MIB float64 array, the next reads it; vs np.save+load."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from bench_steps import ARRAY, big_array

from runstack import Client

mebibytes = int(sys.argv[1])
floor_first = sys.argv[2:] == ["floor-first"]
ARRAY["value"] = np.random.default_rng(0).random(mebibytes * 1024 * 1024 // 8)
client = Client()
root = Path(client.build_component(client.active_stack.artifact_store).root)
root.mkdir(parents=True, exist_ok=True)


def through_pipeline() -> float:
    os.sync()  # start from clean page cache state: no writeback of the other side's file
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        big_array.with_options(enable_cache=False)()
    return time.perf_counter() - started


def floor() -> float:
    target = root / "floor.npy"
    os.sync()
    started = time.perf_counter()
    np.save(target, ARRAY["value"])
    loaded = np.load(target)
    elapsed = time.perf_counter() - started
    assert loaded.shape == ARRAY["value"].shape
    target.unlink()
    return elapsed


# Which side goes first alternates between runs (the harness passes floor-first every
# other time), so that neither always pays for the other's pages being written back.
if floor_first:
    floor_seconds = floor()
    pipeline_seconds = through_pipeline()
else:
    pipeline_seconds = through_pipeline()
    floor_seconds = floor()
print(json.dumps({"pipeline": pipeline_seconds, "floor": floor_seconds}))
