"""Steps that move a large array and burn CPU (an importable module, as real projects have)."""

from __future__ import annotations

import time

import numpy as np

from runstack import pipeline, step

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
