"""Reading TOML and YAML files with one-line errors, and writing files so that a crash leaves
either the old content or the new, never half of each."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from runstack.errors import ConfigError


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file as a dict; a missing, unreadable or malformed file is a one-line error."""
    import tomllib  # imported on use, like tempfile below: most commands need neither

    try:
        return tomllib.loads(_read_text(path, what))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"the {what} {path} is not valid TOML: {error}") from None


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """A YAML file's mapping as a dict (an empty file is an empty one); errors as `read_toml`'s,
    a malformed file's with the line."""
    import yaml  # PyYAML: only a YAML file pays for it

    try:
        data = yaml.safe_load(_read_text(path, what))
    except UnicodeDecodeError as error:
        raise ConfigError(f"the {what} {path} is not valid YAML: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).replace("\n", " ")
        raise ConfigError(f"the {what} {path} is not valid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"the {what} {path} must be a mapping of keys, got a {type(data).__name__}"
        )
    return data


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no {what} at {path}; check the path") from None
    except OSError as error:
        raise ConfigError(f"cannot read the {what} {path}: {error.strerror or error}") from None


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary sibling, flush it to disk, then rename it over `path`."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
