"""`peak_memory.py LENGTH`: peak RSS (MB) after running a LENGTH-step chain (0: import only)."""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys

import runstack  # noqa: F401  (the floor: what importing runstack alone costs)

length = int(sys.argv[1])
if length:
    from chain_steps import chain

    with contextlib.redirect_stdout(io.StringIO()):
        chain(length).with_options(enable_cache=False)()
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
