"""Files at rest readable by their owner only: the store holds secrets in plain text.

The home folder is 0700, the store, its SQLite side files and the config 0600.
Modes are set when runstack writes; a read never changes a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from runstack import paths

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
_OTHERS = 0o077
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def make_folder(folder: Path) -> None:
    """Create `folder` (and its parents) if missing; the folder itself is private."""
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)


def keep_home_private(folder: Path) -> None:
    """Create the folder, and tighten it when it is the runstack home grown loose.

    Only the home is tightened: a store or config placed elsewhere may sit in a
    folder the user shares on purpose. A sticky folder (such as /tmp) is shared by
    design and never changed.
    """
    make_folder(folder)
    if folder.absolute() == paths.runstack_home():
        _tighten(folder, PRIVATE_FOLDER, skip_sticky=True)


def create_private_file(path: Path) -> None:
    """Create an empty file 0600 unless it exists, so SQLite's side files copy that mode.

    Best effort: when it cannot be created, SQLite's own attempt reports why.
    """
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def keep_store_private(path: Path) -> None:
    """Tighten the store and any side file SQLite made for it to 0600."""
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in _SQLITE_SIDE_FILES)):
        _tighten(candidate, PRIVATE_FILE)


def _tighten(path: Path, private: int, *, skip_sticky: bool = False) -> None:
    """Drop group and other bits of a file this user owns; anything else is left as it is."""
    if os.name == "nt":  # modes do not govern access there
        return
    try:
        status = path.stat()
        loose = stat.S_IMODE(status.st_mode) & _OTHERS
        if not loose or status.st_uid != os.geteuid():
            return
        if skip_sticky and status.st_mode & stat.S_ISVTX:
            return
        path.chmod(stat.S_IMODE(status.st_mode) & private)
    except OSError:
        # Missing, or on a read-only file system: nothing to tighten, and the write
        # that follows reports the real problem.
        return
