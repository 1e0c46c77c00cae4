"""`chain.py LENGTH`: run a chain of LENGTH steps with caching off; print the run's seconds.

`chain.py LENGTH --cached` runs it with caching on and prints nothing but timing,
so that the harness can time whole processes that find everything cached.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time

from chain_steps import chain

length = int(sys.argv[1])
cached = "--cached" in sys.argv
chained = chain(length).with_options(enable_cache=cached)
started = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    chained()
print(json.dumps({"seconds": time.perf_counter() - started}))
