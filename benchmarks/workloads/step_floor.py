"""The per-step floor: a Python function call plus writing and reading a small file."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path


def increment(value: int) -> int:
    return value + 1


repetitions = 2000
with tempfile.TemporaryDirectory() as folder:
    target = Path(folder) / "value.json"
    started = time.perf_counter()
    value = 0
    for _ in range(repetitions):
        value = increment(value)
        target.write_text(json.dumps(value))
        value = json.loads(target.read_text())
    elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed / repetitions}))
