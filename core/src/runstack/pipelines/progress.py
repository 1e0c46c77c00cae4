"""What a run prints: the stack it runs on, then one line per step as it finishes.

In a terminal the lines carry a `[done/total]` counter and colour; piped, they
are plain text a log collector can keep.
"""

from __future__ import annotations

import threading
from typing import TextIO

import click

from runstack.models import Stack
from runstack.run_models import RunRecord, StepStatus

_STYLE = {
    StepStatus.COMPLETED: ("✔", "green"),
    StepStatus.CACHED: ("↺", "cyan"),
    StepStatus.FAILED: ("✖", "red"),
    StepStatus.SKIPPED: ("-", "yellow"),
    StepStatus.STOPPED: ("■", "yellow"),
}


class Progress:
    """Prints run progress to `stream`; safe to call from the threads that run steps."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self._stream = stream
        self._total = total
        self._done = 0
        self._lock = threading.Lock()
        self._terminal = stream.isatty()

    def _line(self, text: str) -> None:
        with self._lock:
            click.echo(text, file=self._stream, color=self._terminal)

    def started_run(self, run: RunRecord, stack: Stack) -> None:
        self._line(
            f"Running pipeline '{run.pipeline_name}' on stack '{stack.name}' "
            f"(orchestrator '{stack.orchestrator.name}', "
            f"artifact store '{stack.artifact_store.name}')."
        )
        self._line(f"Run '{run.name}' (id {run.id}).")

    def started_step(self, name: str) -> None:
        if self._terminal:
            self._line(click.style(f"  … {name} started", dim=True))

    def finished_step(self, name: str, status: StepStatus, detail: str) -> None:
        symbol, colour = _STYLE[status]
        with self._lock:
            self._done += 1
            counter = f"[{self._done}/{self._total}] " if self._terminal else ""
        text = f"  {symbol} {counter}{name} {status.value}{f' ({detail})' if detail else ''}"
        self._line(click.style(text, fg=colour) if self._terminal else text)

    def finished_run(self, run: RunRecord, counts: dict[StepStatus, int]) -> None:
        summary = ", ".join(f"{count} {status.value}" for status, count in counts.items() if count)
        duration = f" in {run.duration:.2f}s" if run.duration is not None else ""
        self._line(f"Run '{run.name}' {run.status.value}{duration}: {summary}.")

    def error(self, text: str) -> None:
        self._line(click.style(text, fg="red") if self._terminal else text)
