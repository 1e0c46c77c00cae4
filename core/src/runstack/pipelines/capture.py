"""Per-step capture of stdout, stderr and logging, while steps run side by side in threads.

`sys.stdout` is one object for the whole process, so during a run it is
replaced by a router that sends each write to the buffer of the step running
on the writing thread (and on to the terminal); other threads write through.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from runstack.history.step_logs import BoundedLog

_local = threading.local()


def _current_buffer() -> BoundedLog | None:
    return getattr(_local, "buffer", None)


class _Router(io.TextIOBase):
    """Stands in for sys.stdout or sys.stderr while a run is in progress."""

    def __init__(self, original: TextIO, echo: bool) -> None:
        self._original = original
        self._echo = echo

    def write(self, text: str) -> int:
        buffer = _current_buffer()
        if buffer is not None:
            buffer.write(text)
            if not self._echo:
                return len(text)
        return self._original.write(text)

    def flush(self) -> None:
        self._original.flush()

    def isatty(self) -> bool:
        return self._original.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._original, "encoding", "utf-8")


class _StepLogHandler(logging.Handler):
    """Copies log records emitted on a step's thread into that step's buffer.

    With `console` set (logging left unconfigured by the user), warnings and
    errors also go to the console, as Python's last-resort handler would print them.
    """

    def __init__(self, console: TextIO | None) -> None:
        super().__init__()
        self._console = console

    def emit(self, record: logging.LogRecord) -> None:
        buffer = _current_buffer()
        if buffer is not None:
            buffer.write(self.format(record) + "\n")
        if self._console is not None and record.levelno >= logging.WARNING:
            self._console.write(record.getMessage() + "\n")


@contextmanager
def routing(echo: bool = True) -> Iterator[None]:
    """Install the routers for the length of a run (restored even on Ctrl-C).

    If the user has not configured logging, `logger.info(...)` in a step is kept
    too: the root level drops to INFO for the run (only the step's log sees it).
    """
    if isinstance(sys.stdout, _Router):  # already routed: a run, or a worker forked from one
        yield
        return
    original_out, original_err = sys.stdout, sys.stderr
    root = logging.getLogger()
    unconfigured = not root.handlers
    handler = _StepLogHandler(original_err if unconfigured else None)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    previous_level = root.level
    if unconfigured and root.level > logging.INFO:
        root.setLevel(logging.INFO)
    sys.stdout = _Router(original_out, echo)
    sys.stderr = _Router(original_err, echo)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        sys.stdout, sys.stderr = original_out, original_err


@contextmanager
def capturing(limit: int) -> Iterator[BoundedLog]:
    """Collect what this thread prints or logs into the yielded buffer (its last `limit` bytes)."""
    buffer = BoundedLog(limit)
    previous = _current_buffer()
    _local.buffer = buffer
    try:
        yield buffer
    finally:
        _local.buffer = previous
