"""Timing helpers: medians of repeated runs, fresh processes, and the results table."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

PYTHON = sys.executable
BIN = Path(PYTHON).parent
HERE = Path(__file__).resolve().parent
WORKLOADS = HERE / "workloads"


@dataclass(frozen=True)
class Sample:
    """Repeated measurements of one quantity: median, min and max."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Sample:
        return cls(statistics.median(values), min(values), max(values), len(values))

    def in_ms(self) -> Sample:
        """The same sample, from seconds to milliseconds."""
        return Sample(self.median * 1000, self.low * 1000, self.high * 1000, self.runs)


@dataclass(frozen=True)
class Row:
    """One line of the results table (and of results.json)."""

    figure: str
    value: float
    unit: str
    floor: float
    ratio: float
    target: str
    passed: bool
    low: float
    high: float
    runs: int


def repeat(measure: Callable[[], float], runs: int) -> Sample:
    return Sample.of([measure() for _ in range(runs)])


def wall_time(command: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Seconds a command takes in a fresh process, start-up included."""
    started = time.perf_counter()
    finished = subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)
    elapsed = time.perf_counter() - started
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {finished.stderr.decode().strip()}")
    return elapsed


def workload(name: str, *arguments: str, env: dict[str, str]) -> dict[str, float]:
    """Run a workload script in a fresh process; it prints its measurements as JSON."""
    result = subprocess.run(
        [PYTHON, str(WORKLOADS / name), *arguments],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    measurements: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return measurements


def environment(home: Path) -> dict[str, str]:
    """The environment for one measurement: its own runstack home, no stray plugins settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNSTACK_")}
    env["RUNSTACK_HOME"] = str(home)
    env["PYTHONPATH"] = str(WORKLOADS)
    return env


def print_table(rows: Sequence[Row]) -> None:
    headers = ["figure", "value", "unit", "floor", "ratio", "target", "result", "min", "max"]
    table = [
        [
            r.figure,
            _number(r.value),
            r.unit,
            _number(r.floor),
            f"{r.ratio:.2f}",
            r.target,
            "pass" if r.passed else "FAIL",
            _number(r.low),
            _number(r.high),
        ]
        for r in rows
    ]
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *table, strict=True)]
    for line in [headers, *table]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def write_results(rows: Sequence[Row], path: Path) -> None:
    document = {
        "taken": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
