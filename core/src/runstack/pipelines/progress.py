"""What a run prints: the stack it runs on, then a line as each step starts, is retried and ends.

In a terminal the lines carry a `[done/total]` counter and colour; piped (CI), the
same lines are plain text a log collector can keep.
"""

from __future__ import annotations

import threading
from typing import TextIO

from runstack.runs import RunRecord, StepStatus, format_duration
from runstack.stacks import Stack

# Symbol, ASCII stand-in, ANSI colour. Plain escape codes rather than click: a run
# started from Python should not pay for importing the CLI toolkit.
_STYLE = {
    StepStatus.COMPLETED: ("✔", "+", 32),
    StepStatus.CACHED: ("↺", "=", 36),
    StepStatus.FAILED: ("✖", "x", 31),
    StepStatus.SKIPPED: ("-", "-", 33),
    StepStatus.STOPPED: ("■", "#", 33),
}
_DIM, _RED = 2, 31


class Progress:
    """Prints run progress to `stream`; safe to call from the threads that run steps."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self._stream = stream
        self._total = total
        self._done = 0
        self._lock = threading.Lock()
        self._terminal = stream.isatty()
        try:
            "✔↺✖■".encode(getattr(stream, "encoding", None) or "ascii")
            self._unicode = True
        except (UnicodeEncodeError, LookupError):
            self._unicode = False

    def _line(self, text: str, colour: int | None = None) -> None:
        if colour is not None and self._terminal:
            text = f"\033[{colour}m{text}\033[0m"
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()

    def started_run(self, run: RunRecord, stack: Stack) -> None:
        self._line(
            f"Running pipeline '{run.pipeline_name}' on stack '{stack.name}' "
            f"(orchestrator '{stack.orchestrator.name}', "
            f"artifact store '{stack.artifact_store.name}')."
        )
        self._line(f"Run '{run.name}' (id {run.id}).")

    def started_step(self, name: str) -> None:
        self._line(f"  {'…' if self._unicode else '.'} {name} started", _DIM)

    def retried_step(self, name: str, retries: int, run_name: str) -> None:
        """A step whose first attempts failed; their errors are in its log."""
        times = "once" if retries == 1 else f"{retries} times"
        self._line(
            f"  {'↻' if self._unicode else '~'} {name} retried {times} "
            f"('runstack run logs {run_name} {name}' shows each failed attempt)",
            _STYLE[StepStatus.SKIPPED][2],
        )

    def finished_step(self, name: str, status: StepStatus, detail: str) -> None:
        symbol, plain, colour = _STYLE[status]
        with self._lock:
            self._done += 1
            counter = f"[{self._done}/{self._total}] " if self._terminal else ""
        mark = symbol if self._unicode else plain
        self._line(
            f"  {mark} {counter}{name} {status.value}{f' ({detail})' if detail else ''}", colour
        )

    def finished_run(self, run: RunRecord, counts: dict[StepStatus, int]) -> None:
        summary = ", ".join(f"{count} {status.value}" for status, count in counts.items() if count)
        duration = f" in {format_duration(run.duration)}" if run.duration is not None else ""
        self._line(f"Run '{run.name}' {run.status.value}{duration}: {summary}.")

    def error(self, text: str) -> None:
        self._line(text, _RED)
