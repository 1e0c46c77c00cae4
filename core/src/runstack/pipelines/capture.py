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
_routing = threading.Lock()
_installed: _Routers | None = None  # the routers in place, if a `routing` block put them


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


class _Routers:
    """stdout, stderr and logging routed to the steps' buffers by one `routing` block, and
    shared by the blocks opened while they are in place (steps side by side in one worker
    process): the last of those to close takes them away."""

    def __init__(self, echo: bool) -> None:
        self.users = 0
        self._original = sys.stdout, sys.stderr
        self._root = logging.getLogger()
        unconfigured = not self._root.handlers
        self._handler = _StepLogHandler(sys.stderr if unconfigured else None)
        self._handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        self._level = self._root.level
        if unconfigured and self._root.level > logging.INFO:
            self._root.setLevel(logging.INFO)
        self.out = sys.stdout = _Router(self._original[0], echo)
        self.err = sys.stderr = _Router(self._original[1], echo)
        self._root.addHandler(self._handler)

    def remove(self) -> None:
        """Undo the routing; streams replaced since (a test runner's, a later run's) stay."""
        self._root.removeHandler(self._handler)
        self._root.setLevel(self._level)
        if sys.stdout is self.out:
            sys.stdout = self._original[0]
        if sys.stderr is self.err:
            sys.stderr = self._original[1]


@contextmanager
def routing(echo: bool = True) -> Iterator[None]:
    """Install the routers for the length of a run (restored even on Ctrl-C), or of the
    steps a worker process runs at once (restored when the last of them ends).

    A step the run stopped waiting for (a timeout on a thread) may close its block long
    after: it then undoes nothing another run put in place.
    If the user has not configured logging, `logger.info(...)` in a step is kept
    too: the root level drops to INFO for the run (only the step's log sees it).
    """
    global _installed
    with _routing:
        joined: _Routers | None = None
        if _installed is not None and sys.stdout is _installed.out:
            joined = _installed
        elif not isinstance(sys.stdout, _Router):  # else routed already: a worker forked
            joined = _installed = _Routers(echo)  # from a run, which restores nothing
        if joined is not None:
            joined.users += 1
    try:
        yield
    finally:
        if joined is not None:
            with _routing:
                joined.users -= 1
                if joined.users == 0:
                    joined.remove()
                    if _installed is joined:
                        _installed = None


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
