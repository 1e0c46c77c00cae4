"""`fan_out.py WIDTH`: 1 -> WIDTH -> 1 steps, and the same work as plain calls; seconds of each.

A one-step run first warms the process up (imports, plugins), as in a session
that runs pipelines repeatedly; the fan-out run is what is timed.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time

from chain_steps import chain, fan_out, increment, source

with contextlib.redirect_stdout(io.StringIO()):
    chain(1).with_options(enable_cache=False)()
width = int(sys.argv[1])
fanned = fan_out(width).with_options(enable_cache=False)
started = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    fanned()
pipeline_seconds = time.perf_counter() - started

started = time.perf_counter()
first = source.function()
for _ in range(width + 1):
    increment.function(first)
plain_seconds = time.perf_counter() - started
print(json.dumps({"pipeline": pipeline_seconds, "plain": plain_seconds, "steps": width + 2}))
