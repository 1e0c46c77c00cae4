"""The steps and pipelines the benchmarks run (an importable module, as real projects have)."""

from __future__ import annotations

import time

import numpy as np

from runstack import Pipeline, pipeline, step


@step
def increment(value: int) -> int:
    return value + 1


def chain(length: int) -> Pipeline:
    """`increment` applied `length` times in a row."""

    @pipeline(name=f"chain_{length}")
    def chained() -> None:
        value = increment(0)
        for _ in range(length - 1):
            value = increment(value)

    return chained


@step
def source() -> int:
    return 1


def fan_out(width: int) -> Pipeline:
    """One step feeding `width` independent steps, and a last step that waits for them all."""

    @pipeline(name=f"fan_out_{width}")
    def fanned() -> None:
        first = source()
        branches = [increment(first) for _ in range(width)]
        increment(first).after(*branches)

    return fanned


ARRAY: dict[str, np.ndarray] = {}


@step
def produce_array() -> np.ndarray:
    return ARRAY["value"]


@step
def consume_array(array: np.ndarray) -> int:
    return int(array.shape[0])


@pipeline(name="big_array")
def big_array() -> None:
    consume_array(produce_array())


def burn_cpu(seconds: float) -> int:
    """Pure-Python work for about `seconds` of this thread's CPU time (holding the GIL)."""
    deadline = time.thread_time() + seconds
    count = 0
    while time.thread_time() < deadline:
        count += sum(i * i for i in range(200))
    return count


@step
def burn(seconds: float) -> int:
    return burn_cpu(seconds)


@pipeline(name="burn_two")
def burn_two(seconds: float = 1.0) -> None:
    burn(seconds=seconds)
    burn(seconds=seconds)
