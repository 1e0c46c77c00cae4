"""The benchmark harness works end to end (at tiny sizes; its figures are not checked here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = 16 + 11  # the dashboard's workload gives a row per page


def test_quick_bench_prints_and_writes_every_figure(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--results", str(results)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    rows = json.loads(results.read_text(encoding="utf-8"))["rows"]
    assert len(rows) == FIGURES
    header = completed.stdout.splitlines()[0].split()
    assert header[:5] == ["figure", "value", "unit", "floor", "ratio"]
    for row in rows:
        assert row["figure"] in completed.stdout
        # At these sizes a difference of two timings (a per-step overhead, and the local one
        # that is the Dask row's floor) may come out < 0 on a busy machine.
        assert isinstance(row["value"], float) and isinstance(row["floor"], float)
        assert row["runs"] >= 1
        assert isinstance(row["passed"], bool)
