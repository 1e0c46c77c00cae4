"""Trivial steps for the overhead figures: chains and fan-outs (no numpy import)."""

from __future__ import annotations

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
