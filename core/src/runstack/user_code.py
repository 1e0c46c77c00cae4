"""Which code is the user's own: files outside Python, its installed packages and runstack.

The cache key hashes user code (not libraries), and errors point at the user's line.
"""

from __future__ import annotations

import functools
import os
import site
import sys
import sysconfig
from pathlib import Path

_PACKAGE_FOLDERS = frozenset({"site-packages", "dist-packages"})
_RUNSTACK = str(Path(__file__).resolve().parent) + os.sep


@functools.cache
def is_user_module(name: str) -> bool:
    """Whether an imported module's file is the user's own code."""
    if name == "runstack" or name.startswith("runstack."):
        return False
    path = getattr(sys.modules.get(name), "__file__", None)
    return isinstance(path, str) and is_user_file(path)


def is_user_file(path: str) -> bool:
    """Whether a source file is the user's: not frozen, not Python's, a package's or runstack's."""
    if path.startswith("<"):
        return False
    real = os.path.realpath(path)
    return not real.startswith((*_library_folders(), _RUNSTACK)) and _PACKAGE_FOLDERS.isdisjoint(
        Path(real).parts
    )


@functools.cache
def _library_folders() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    folders = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    folders.update(site.getsitepackages() if hasattr(site, "getsitepackages") else ())
    folders.add(site.getusersitepackages())
    return tuple(os.path.realpath(folder) + os.sep for folder in folders if folder)
