"""`seed_runs.py COUNT`: record COUNT runs of a one-step pipeline through the public API."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time

from runstack import pipeline, step


@step
def noop(index: int) -> int:
    return index


@pipeline(name="seeded")
def seeded(index: int = 0) -> None:
    noop(index=index)


count = int(sys.argv[1])
started = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    for index in range(count):
        seeded.with_options(enable_cache=False)(index=index)
print(json.dumps({"seconds": time.perf_counter() - started}))
