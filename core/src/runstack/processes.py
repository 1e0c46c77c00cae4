"""Which process runs a run, and whether it is still alive: how crashed runs are told apart."""

from __future__ import annotations

import functools
import os
from datetime import timedelta
from pathlib import Path

HEARTBEAT_ENV = "RUNSTACK_HEARTBEAT_SECONDS"
DEFAULT_HEARTBEAT_SECONDS = 5.0
# A run is crashed once this many heartbeats in a row are missing: one late beat on a
# busy machine is not a crash.
MISSED_HEARTBEATS = 3


@functools.cache
def this_host() -> str:
    """The name of this machine, as recorded with the runs it starts.

    `os.uname` says what `socket.gethostname` does, without importing socket for
    this alone (a run's process would pay for it); Windows has no uname.
    """
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def is_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine.

    Errs towards alive: a process of another user (PermissionError) is alive, and
    on Windows, where `os.kill(pid, 0)` would end the process, nothing is checked.
    """
    if os.name == "nt" or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def heartbeat_interval() -> float:
    """Seconds between a running run's heartbeats (`RUNSTACK_HEARTBEAT_SECONDS`, default 5)."""
    try:
        seconds = float(os.environ.get(HEARTBEAT_ENV, DEFAULT_HEARTBEAT_SECONDS))
    except ValueError:
        return DEFAULT_HEARTBEAT_SECONDS
    return seconds if seconds > 0 else DEFAULT_HEARTBEAT_SECONDS


def heartbeat_limit() -> timedelta:
    """How long a running run may stay silent before it reads as crashed."""
    return timedelta(seconds=MISSED_HEARTBEATS * heartbeat_interval())


def process_identity(pid: int) -> str:
    """The pid namespace and start time of a live process: what a later process given the
    same pid cannot share. "" where the system does not tell (no /proc)."""
    try:
        namespace = str(Path(f"/proc/{pid}/ns/pid").readlink())
        started = _start_time(pid)
    except OSError:
        return ""
    return f"{namespace} {started}" if started is not None else ""


def is_same_process(pid: int, identity: str) -> bool | None:
    """Whether `pid` is still the live process recorded as `identity`.

    None when this process cannot tell: the run's pid namespace is not ours (its
    pid means another process here, or none), or /proc is unreadable.
    """
    namespace, _, started = identity.rpartition(" ")
    try:
        ours = str(Path("/proc/self/ns/pid").readlink())
    except OSError:
        return None
    if ours != namespace:
        return None
    try:
        return _start_time(pid) == started
    except FileNotFoundError:
        return False
    except OSError:
        return None


def _start_time(pid: int) -> str | None:
    """A process's start time in clock ticks after boot; None for a zombie (it has died)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rpartition(")")[2].split()
    # Fields are numbered from the pid (1) and the name (2): state is 3, start time 22.
    return None if fields[0] == "Z" else fields[19]
