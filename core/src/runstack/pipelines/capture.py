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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from runstack.history.step_logs import BoundedLog

_local = threading.local()
# How many `routing` blocks are open in this process, and how to undo the routers: steps
# side by side in one worker process (a Dask worker's threads) each open one, and only
# the last to close may put the original streams back.
_routing = threading.Lock()
_open = 0
_restore: Callable[[], None] | None = None


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
    """Install the routers for the length of a run (restored even on Ctrl-C), or of the
    steps a worker process runs at once (restored when the last of them ends).

    If the user has not configured logging, `logger.info(...)` in a step is kept
    too: the root level drops to INFO for the run (only the step's log sees it).
    """
    global _open, _restore
    with _routing:
        _open += 1
        # already routed: a run, or a worker forked from one, which restores nothing
        if _open == 1 and not isinstance(sys.stdout, _Router):
            _restore = _install(echo)
    try:
        yield
    finally:
        with _routing:
            _open -= 1
            if _open == 0 and _restore is not None:
                _restore()
                _restore = None


def _install(echo: bool) -> Callable[[], None]:
    """Route stdout, stderr and logging to the steps' buffers; what undoes it."""
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

    def restore() -> None:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        sys.stdout, sys.stderr = original_out, original_err

    return restore


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
