"""Which process runs a run, and whether it is still alive: how crashed runs are told apart."""

from __future__ import annotations

import functools
import os


@functools.cache
def this_host() -> str:
    """The name of this machine, as recorded with the runs it starts."""
    import socket  # ~4 ms, and only runs and run listings need it

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
