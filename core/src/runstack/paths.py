"""Where runstack keeps its files: everything lives under one home folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HOME_ENV = "RUNSTACK_HOME"


def runstack_home() -> Path:
    """`$RUNSTACK_HOME`, else the platform's per-user data folder.

    Hand-written rather than platformdirs: that import alone would take a sizeable
    share of the start-up budget of `runstack stack list`.
    """
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "runstack"


def config_path() -> Path:
    """The client config: active stack, user name, store location."""
    return runstack_home() / "config.toml"


def default_store_path() -> Path:
    """The embedded SQLite store used unless the config names another."""
    return runstack_home() / "runstack.db"


def local_artifacts_root(component_id: str) -> Path:
    """Where a local artifact store with no explicit path keeps its files."""
    return runstack_home() / "artifact_stores" / component_id
