"""The `runstack` entry points of installed distributions, remembered between processes.

Finding them means importing `importlib.metadata` and reading the metadata of
every installed distribution, which costs a `python train.py` more than its
trivial pipeline. The result is kept in RUNSTACK_HOME, keyed on what installing,
upgrading or removing a distribution changes: the folders on `sys.path` that hold
`*.dist-info` / `*.egg-info` entries, those entries, and the times and sizes of
their entry-point files.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runstack import paths
from runstack.files import write_atomically

ENTRY_POINT_GROUP = "runstack"
CORE_DISTRIBUTION = "runstack-core"
_FORMAT = 1
# The stdlib's grammar of an entry point's value: `module`, `module:attr.sub`, `[extras]`.
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


@dataclass(frozen=True)
class EntryPoint:
    """One entry point of the group, with the distribution that declares it."""

    name: str
    value: str
    distribution: str
    version: str

    def load(self) -> object:
        """Import the object the entry point names, as `importlib.metadata.EntryPoint.load`."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"{self.value!r} is not a valid entry point value")
        loaded: object = importlib.import_module(match.group("module"))
        for attribute in filter(None, (match.group("attr") or "").split(".")):
            loaded = getattr(loaded, attribute)
        return loaded


@dataclass(frozen=True)
class InstalledEntryPoints:
    """The group's entry points, de-duplicated and sorted, and runstack-core's own version."""

    entry_points: list[EntryPoint]
    core_version: str


def installed_entry_points() -> InstalledEntryPoints:
    """The group's entry points: from the cache when nothing was installed or removed since."""
    cache = paths.runstack_home() / "cache" / "entry_points.json"
    key = _installation_key()
    remembered = _read(cache, key)
    if remembered is not None:
        return remembered
    found = _scan()
    _write(cache, key, found)
    return found


def _installation_key() -> list[Any]:
    key: list[Any] = [_FORMAT, sys.version]
    for folder in sys.path:
        try:
            with os.scandir(folder or ".") as entries:
                infos = sorted(
                    [entry.name, _stamp(entry.path)]
                    for entry in entries
                    if entry.name.endswith((".dist-info", ".egg-info"))
                )
        except OSError:
            continue
        if infos:  # so the script's own folder, which differs from run to run, does not count
            key.append([folder, infos])
    return key


def _stamp(info: str) -> list[int]:
    """What changes when a distribution's metadata folder or entry-point file is rewritten."""
    stamp = []
    # Strings, not Paths: every process that loads plugins stats every installed
    # distribution, and building a Path for each costs more than the stat.
    for path in (info, os.path.join(info, "entry_points.txt")):  # noqa: PTH118
        try:
            status = os.stat(path)  # noqa: PTH116
        except OSError:
            stamp += [0, 0]
        else:
            stamp += [status.st_mtime_ns, status.st_size]
    return stamp


def _scan() -> InstalledEntryPoints:
    from importlib import metadata

    found: dict[tuple[str, str], EntryPoint] = {}
    for distribution in metadata.distributions():
        for entry_point in distribution.entry_points:
            if entry_point.group == ENTRY_POINT_GROUP:
                name = str(distribution.metadata["Name"])
                found.setdefault(
                    (name.lower(), entry_point.name),
                    EntryPoint(entry_point.name, entry_point.value, name, distribution.version),
                )
    return InstalledEntryPoints(
        [found[key] for key in sorted(found)], metadata.version(CORE_DISTRIBUTION)
    )


def _read(cache: Path, key: list[Any]) -> InstalledEntryPoints | None:
    try:
        document = json.loads(cache.read_text(encoding="utf-8"))
        if document["key"] != key:
            return None
        return InstalledEntryPoints(
            [EntryPoint(**entry) for entry in document["entry_points"]],
            document["core_version"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, from another version of runstack, or damaged: scan again


def _write(cache: Path, key: list[Any], found: InstalledEntryPoints) -> None:
    document = {
        "key": key,
        "entry_points": [asdict(entry) for entry in found.entry_points],
        "core_version": found.core_version,
    }
    with contextlib.suppress(OSError):  # a read-only home only costs the next process a scan
        write_atomically(cache, json.dumps(document).encode("utf-8"))
