"""`burn.py SECONDS`: two CPU-bound steps on 2 process workers, vs running both serially."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time

from bench_steps import burn_cpu, burn_two
from chain_steps import chain

# Warm the process up (imports, plugins), so that what is timed is the parallel run.
with contextlib.redirect_stdout(io.StringIO()):
    chain(1).with_options(enable_cache=False)()

seconds = float(sys.argv[1])
started = time.perf_counter()
burn_cpu(seconds)
burn_cpu(seconds)
serial = time.perf_counter() - started

parallel = burn_two.with_options(
    enable_cache=False, settings={"orchestrator": {"max_parallel": 2, "mode": "processes"}}
)
started = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    parallel(seconds=seconds)
print(json.dumps({"pipeline": time.perf_counter() - started, "serial": serial}))
