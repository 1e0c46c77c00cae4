"""`make bench`: runstack's speed and memory figures, each next to a floor measured in the same run.

Absolute times drift on shared machines, so every figure is also given as a ratio
to a floor measured moments before. `--quick` shrinks every size, to prove the
harness works (the test suite runs it that way); its figures mean nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import (
    BIN,
    PYTHON,
    WORKLOADS,
    Row,
    Sample,
    environment,
    print_table,
    repeat,
    wall_time,
    workload,
    write_results,
)


@dataclass(frozen=True)
class Sizes:
    runs: int
    chain: int
    cached_chain: int
    fan_out: int
    array_mib: int
    seeded_runs: int
    burn_seconds: float
    dask_chain: int
    dask_processes: str  # "0" in --quick: Dask workers as threads, which start at once
    server_clients: int
    server_rounds: int
    dashboard_runs: int


FULL = Sizes(
    runs=9,
    chain=500,
    cached_chain=50,
    fan_out=200,
    array_mib=256,
    seeded_runs=10_000,
    burn_seconds=1.0,
    dask_chain=200,
    dask_processes="1",
    server_clients=50,
    server_rounds=4,
    dashboard_runs=10_000,
)
QUICK = Sizes(
    runs=2,
    chain=5,
    cached_chain=3,
    fan_out=3,
    array_mib=1,
    seeded_runs=3,
    burn_seconds=0.05,
    dask_chain=5,
    dask_processes="0",
    server_clients=3,
    server_rounds=1,
    dashboard_runs=3,
)


class Bench:
    """Measures each figure in its own fresh runstack home."""

    def __init__(self, sizes: Sizes, scratch: Path) -> None:
        self.sizes = sizes
        self.scratch = scratch
        self.homes = 0

    def env(self) -> dict[str, str]:
        self.homes += 1
        return environment(self.scratch / f"home{self.homes}")

    def python_pass(self) -> Sample:
        return repeat(lambda: wall_time([PYTHON, "-c", "pass"]), self.sizes.runs)

    def command(self, *arguments: str, env: dict[str, str] | None = None) -> Sample:
        env = env or self.env()
        for _ in range(3):  # the first creates the store; the others settle the CPU quota
            wall_time([str(BIN / "runstack"), *arguments], env)
        return repeat(lambda: wall_time([str(BIN / "runstack"), *arguments], env), self.sizes.runs)

    def script(self, name: str, *arguments: str) -> Sample:
        """A workload's whole process, start-up included, after one run that fills the store."""
        env = self.env()
        command = [PYTHON, str(WORKLOADS / name), *arguments]
        wall_time(command, env)
        return repeat(lambda: wall_time(command, env), self.sizes.runs)

    def in_process(self, name: str, *arguments: str, key: str = "seconds") -> Sample:
        return repeat(lambda: workload(name, *arguments, env=self.env())[key], self.sizes.runs)


def ratio_row(figure: str, value: Sample, floor: Sample, limit: float, unit: str = "s") -> Row:
    ratio = value.median / floor.median
    return _row(figure, value, floor, unit, f"<= {limit:g}x floor", ratio <= limit)


def above_row(figure: str, value: Sample, floor: Sample, limit: float, unit: str) -> Row:
    above = value.median - floor.median
    return _row(figure, value, floor, unit, f"<= floor + {limit:g} {unit}", above <= limit)


def speedup_row(figure: str, speedups: Sample, serial: Sample) -> Row:
    """A speed-up (x, target 1.7x) beside the seconds of the serial run it is measured against."""
    median = speedups.median
    return Row(
        figure,
        median,
        "x",
        serial.median,
        median,
        ">= 1.7x",
        median >= 1.7,
        speedups.low,
        speedups.high,
        speedups.runs,
    )


def _row(figure: str, value: Sample, floor: Sample, unit: str, target: str, passed: bool) -> Row:
    ratio = value.median / floor.median
    return Row(
        figure,
        value.median,
        unit,
        floor.median,
        ratio,
        target,
        passed,
        value.low,
        value.high,
        value.runs,
    )


def figures(bench: Bench) -> list[Callable[[], Row | list[Row]]]:
    """Each figure's measurement: one row, or several from one workload (the dashboard's)."""
    sizes = bench.sizes

    def stack_list() -> Row:
        return ratio_row(
            "stack list, cold start", bench.command("stack", "list"), bench.python_pass(), 6
        )

    def help_text() -> Row:
        return ratio_row("runstack --help", bench.command("--help"), bench.python_pass(), 6)

    def import_runstack() -> Row:
        value = repeat(lambda: wall_time([PYTHON, "-c", "import runstack"]), sizes.runs)
        return ratio_row("import runstack", value, bench.python_pass(), 3)

    def per_step() -> Row:
        long = bench.in_process("chain.py", str(sizes.chain))
        short = bench.in_process("chain.py", "1")
        overhead = (long.median - short.median) / (sizes.chain - 1)
        spread = [(low - short.median) / (sizes.chain - 1) for low in (long.low, long.high)]
        floor = bench.in_process("step_floor.py")
        ratio = overhead / floor.median
        return Row(
            f"per-step overhead ({sizes.chain}-step chain)",
            overhead * 1000,
            "ms",
            floor.median * 1000,
            ratio,
            "<= 1 ms",
            overhead <= 0.001,
            spread[0] * 1000,
            spread[1] * 1000,
            long.runs,
        )

    def cached_rerun() -> Row:
        # The first run fills the cache.
        value = bench.script("chain.py", str(sizes.cached_chain), "--cached")
        return above_row(
            f"cached re-run, {sizes.cached_chain}-step chain (process)",
            value.in_ms(),
            bench.python_pass().in_ms(),
            150,
            "ms",
        )

    def one_step() -> Row:
        value = bench.script("one_step.py")
        # A user's `python train.py` should cost about what a CLI call costs: 80 ms all told.
        floor = bench.python_pass().in_ms()
        return above_row("one-step pipeline (process)", value.in_ms(), floor, 70, "ms")

    def fan_out() -> Row:
        runs = [
            workload("fan_out.py", str(sizes.fan_out), env=bench.env()) for _ in range(sizes.runs)
        ]
        steps = runs[0]["steps"]
        per = sorted((r["pipeline"] - r["plain"]) / steps * 1000 for r in runs)
        plain = sorted(r["plain"] / steps * 1000 for r in runs)
        value = Sample.of(per)
        floor = Sample.of(plain)
        return Row(
            f"fan-out 1->{sizes.fan_out}->1, overhead per step",
            value.median,
            "ms",
            floor.median,
            value.median / max(floor.median, 1e-9),
            "<= 1 ms",
            value.median <= 1.0,
            value.low,
            value.high,
            value.runs,
        )

    def big_array() -> Row:
        runs = [
            workload("big_array.py", str(sizes.array_mib), order, env=bench.env())
            for order in ["floor-first", "pipeline-first"] * max(2, sizes.runs // 3)
        ]
        return ratio_row(
            f"{sizes.array_mib} MiB array between two steps",
            Sample.of([r["pipeline"] for r in runs]),
            Sample.of([r["floor"] for r in runs]),
            1.3,
        )

    def big_array_s3() -> Row:
        runs = [
            workload("big_array_s3.py", str(sizes.array_mib), order, env=bench.env())
            for order in ["local-first", "s3-first"] * max(1, sizes.runs // 6)
        ]
        value = Sample.of([r["s3"] for r in runs])
        return _row(
            f"{sizes.array_mib} MiB array between two steps, s3 store (moto) vs local store",
            value,
            Sample.of([r["local"] for r in runs]),
            "s",
            "reported",
            True,
        )

    def run_list() -> Row:
        env = bench.env()
        workload("seed_runs.py", str(sizes.seeded_runs), env=env)
        value = bench.command("run", "list", env=env)
        floor = bench.python_pass()
        return above_row(
            f"run list, {sizes.seeded_runs} runs in the store",
            value.in_ms(),
            floor.in_ms(),
            300,
            "ms",
        )

    def peak_memory() -> Row:
        value = bench.in_process("peak_memory.py", str(sizes.chain), key="peak_mb")
        floor = bench.in_process("peak_memory.py", "0", key="peak_mb")
        return above_row(f"peak RSS, {sizes.chain}-step run", value, floor, 100, "MB")

    def parallel_cpu() -> Row:
        runs = [
            workload("burn.py", str(sizes.burn_seconds), env=bench.env())
            for _ in range(max(2, sizes.runs // 3))
        ]
        speedups = Sample.of([r["serial"] / r["pipeline"] for r in runs])
        serial = Sample.of([r["serial"] for r in runs])
        return speedup_row("2 CPU-bound steps on 2 workers, speed-up", speedups, serial)

    def dask_parallel_cpu() -> Row:
        burn, processes = str(sizes.burn_seconds), sizes.dask_processes
        runs = [
            workload("on_dask.py", "burn", burn, processes, env=bench.env())
            for _ in range(max(1, sizes.runs // 3))
        ]
        speedups = Sample.of([r["one"] / r["two"] for r in runs])
        one_worker = Sample.of([r["one"] for r in runs])
        figure = "4 CPU-bound steps on Dask, 2 worker processes vs 1, speed-up"
        return speedup_row(figure, speedups, one_worker)

    def dask_per_step() -> Row:
        processes = sizes.dask_processes
        runs = [
            workload("on_dask.py", "chain", str(sizes.dask_chain), processes, env=bench.env())
            for _ in range(max(1, sizes.runs // 3))
        ]
        value = Sample.of([r["dask"] * 1000 for r in runs])
        local = Sample.of([r["local"] * 1000 for r in runs])
        figure = (
            f"per-step overhead on Dask ({sizes.dask_chain}-step chain; floor: local orchestrator)"
        )
        return _row(figure, value, local, "ms", "<= 10 ms", value.median <= 10)

    def server_load(database: str) -> Callable[[], Row]:
        def measure() -> Row:
            rounds = str(sizes.server_rounds)
            alone = workload("server_load.py", database, "1", rounds, env=bench.env())
            crowd = workload(
                "server_load.py", database, str(sizes.server_clients), rounds, env=bench.env()
            )
            figure = (
                f"team server on {database}, {sizes.server_clients} clients at once: p95 of a "
                f"request ({int(crowd['requests'])} requests, {int(crowd['failures'])} failed, "
                f"{int(crowd['lost'])} lost; floor: one client)"
            )
            whole = crowd["failures"] == 0 and crowd["lost"] == 0
            value, floor = Sample.of([crowd["p95_ms"]]), Sample.of([alone["p95_ms"]])
            return _row(figure, value, floor, "ms", "no failure, nothing lost", whole)

        return measure

    def dashboard_pages() -> list[Row]:
        """A row per page: each must answer within 100 ms with that many runs in the store."""
        runs = sizes.dashboard_runs
        times = workload("dashboard_pages.py", str(runs), str(sizes.runs), env=bench.env())
        floor = Sample.of(times.pop("floor"))
        return [
            _row(
                f"dashboard page: {page}, {runs} runs in the store",
                value,
                floor,
                "ms",
                "<= 100 ms",
                value.median <= 100,
            )
            for page, value in ((page, Sample.of(ms)) for page, ms in times.items())
        ]

    return [
        stack_list,
        help_text,
        import_runstack,
        per_step,
        cached_rerun,
        one_step,
        fan_out,
        big_array,
        big_array_s3,
        run_list,
        peak_memory,
        parallel_cpu,
        dask_parallel_cpu,
        dask_per_step,
        server_load("sqlite"),
        server_load("postgresql"),
        dashboard_pages,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check the harness")
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "results.json")
    options = parser.parse_args()
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="runstack-bench-") as scratch:
        bench = Bench(QUICK if options.quick else FULL, Path(scratch))
        for figure in figures(bench):
            measured = figure()
            rows += measured if isinstance(measured, list) else [measured]
            print(
                f"measured: {rows[-1].figure} ({time.perf_counter() - started:.0f}s)",
                file=sys.stderr,
            )
    print_table(rows)
    write_results(rows, options.results)
    print(
        f"\n{sum(r.passed for r in rows)}/{len(rows)} targets met "
        f"in {time.perf_counter() - started:.0f}s; rows written to {options.results}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
