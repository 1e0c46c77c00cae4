"""What a failed SQLite call means for the user: a full disk, a read-only folder, a damaged
file or a refused write, each as one line saying what to do (and only a damaged file is to be
moved aside)."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from runstack.errors import ConfigError, StoreError

_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def is_damaged(error: sqlite3.Error) -> bool:
    """Whether the file itself is broken, as opposed to the disk or folder around it."""
    return _code(error).startswith(_DAMAGED)


def store_error(
    path: Path, error: sqlite3.Error | OSError, *, writing: bool
) -> StoreError | ConfigError:
    """The one-line error for a failed read or write of the store at `path`."""
    code = _code(error) if isinstance(error, sqlite3.Error) else ""
    if code.startswith("SQLITE_FULL") or _no_space(path, error):
        return disk_full(path)
    if code.startswith("SQLITE_READONLY") or (writing and _read_only(path)):
        return StoreError(
            f"the store at {path} cannot be written: its folder or file is read-only; the store "
            "is unharmed and commands that only read still work: make it writable, or set "
            "RUNSTACK_HOME to another folder"
        )
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    if isinstance(error, sqlite3.Error) and is_damaged(error):
        return StoreError(
            f"cannot read the store {path}: {reason}; it is left untouched: move it aside to "
            "start afresh, or set RUNSTACK_HOME to use another folder"
        )
    if isinstance(error, sqlite3.IntegrityError):
        # The records written break a rule of the schema (an id taken, a reference to nothing):
        # bad input, from a team server's client, and no fault of the store.
        return ConfigError(f"the store {path} refused a write: {reason}")
    if writing and isinstance(error, sqlite3.Error):
        return StoreError(f"the store {path} refused a write: {reason}")
    return StoreError(
        f"cannot {'write' if writing else 'read'} the store {path}: {reason}; it is left "
        "untouched: check its permissions, or set RUNSTACK_HOME to use another folder"
    )


def disk_full(path: Path) -> StoreError:
    return StoreError(
        f"no space left on device while writing the store at {path}; the store is unharmed: "
        "free some space, then try again"
    )


def _code(error: sqlite3.Error) -> str:
    return getattr(error, "sqlite_errorname", "") or ""


def _no_space(path: Path, error: sqlite3.Error | OSError) -> bool:
    """ENOSPC, or an I/O error (SQLite growing its side files) on a file system with no room."""
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    if not _code(error).startswith("SQLITE_IOERR"):
        return False
    try:
        folder = os.statvfs(path.parent)
    except (OSError, AttributeError):  # AttributeError: no statvfs on Windows
        return False
    return folder.f_bavail == 0


def _read_only(path: Path) -> bool:
    folder = path.parent
    return not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK))
