"""`one_step.py`: what a user's `python train.py` is, at its smallest: one trivial step, run.

Caching is off so that the step really runs; the harness times the whole process.
"""

from __future__ import annotations

from runstack import pipeline, step


@step
def train() -> int:
    return 1


@pipeline(enable_cache=False)
def training() -> None:
    train()


training()
