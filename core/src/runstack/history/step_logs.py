"""A step's log: kept up to a size limit (its last part), written to the artifact store.

Logs live beside the step's outputs, not in the metadata store: a step that prints
100 MB would otherwise put 100 MB into every copy of the records. The records keep
where the log is, its size, and its last lines for a quick look.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runstack.errors import ConfigError

if TYPE_CHECKING:
    from runstack.components import BaseArtifactStore

LIMIT_VARIABLE = "RUNSTACK_STEP_LOG_LIMIT"
DEFAULT_LIMIT = 10 * 1024 * 1024
TAIL_LINES = 20
TAIL_BYTES = 4096
_UNITS = {"": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}
_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?b?)\s*", re.IGNORECASE)


def log_limit() -> int:
    """The per-step log limit in bytes, from RUNSTACK_STEP_LOG_LIMIT (`10MB`, `512kb`, `4096`)."""
    text = os.environ.get(LIMIT_VARIABLE, "")
    if not text:
        return DEFAULT_LIMIT
    match = _SIZE.fullmatch(text)
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(
            f"{LIMIT_VARIABLE}={text!r} is not a size; give bytes or a size such as 10MB or "
            "512KB (at least 1 byte)"
        )
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


class BoundedLog:
    """What a step prints and logs, keeping only its last `limit` bytes (in UTF-8)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._chunks: deque[bytes] = deque()
        self._kept = 0
        self.cut = 0

    def write(self, text: str) -> int:
        data = text.encode("utf-8", "replace")
        self._chunks.append(data)
        self._kept += len(data)
        while self._kept > self._limit:
            oldest = self._chunks.popleft()
            excess = self._kept - self._limit
            if len(oldest) > excess:
                self._chunks.appendleft(oldest[excess:])
                oldest = oldest[:excess]
            self._kept -= len(oldest)
            self.cut += len(oldest)
        return len(text)

    def getvalue(self) -> str:
        """The log as kept, after a note saying how much was cut if anything was."""
        text = b"".join(self._chunks).decode("utf-8", "replace")
        if not self.cut:
            return text
        return (
            f"[runstack: the first {self.cut} bytes of this step's log were cut; the last "
            f"{self._kept} are kept ({LIMIT_VARIABLE}={self._limit})]\n{text}"
        )


@dataclass(frozen=True)
class StoredLog:
    """Where a step's log went: its path in the artifact store ("" if it could not be written),
    its size in bytes, and its last lines (the whole log when it could not be written)."""

    uri: str
    size: int
    tail: str


def log_uri(pipeline: str, run_id: str, invocation: str, step_run_id: str) -> str:
    """Beside the step's outputs; named by the step run's id, which no output name can
    be made to match before the run (ids are drawn when the step starts)."""
    return f"{pipeline}/{run_id}/{invocation}/{step_run_id}.log"


def store_log(store: BaseArtifactStore, uri: str, text: str) -> StoredLog:
    """Write the log; if the store refuses, the records get the whole log instead (with why)."""
    data = text.encode("utf-8")
    if not data:
        return StoredLog("", 0, "")
    try:
        with store.open(uri, "wb") as file:
            file.write(data)
    except Exception as error:  # a log the store refuses must not fail the step that made it
        note = f"[runstack: this log could not be written to the artifact store: {error}]\n"
        return StoredLog("", len(data), note + text)
    return StoredLog(uri, len(data), tail(text))


def tail(text: str) -> str:
    """The last lines of a log, at most TAIL_LINES lines and about TAIL_BYTES bytes."""
    lines = text.splitlines(keepends=True)[-TAIL_LINES:]
    kept = "".join(lines)
    return kept[-TAIL_BYTES:]


def read_log(uri: str, kept: str, store: Callable[[], BaseArtifactStore]) -> str:
    """The log at `uri` in the store; the `kept` last lines the records hold when there is no
    log there (nothing printed, or recorded before logs moved) or when it cannot be read (then
    after a note saying why: an unreachable store still leaves the last lines)."""
    if not uri:
        return kept
    try:
        with store().open(uri, "rb") as file:
            return bytes(file.read()).decode("utf-8", "replace")
    except Exception as error:
        return f"[runstack: the log at {uri} cannot be read ({error}); its last lines:]\n{kept}"
