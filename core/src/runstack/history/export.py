"""An artifact's value written to a file in its natural format: `.npy`, `.parquet` or `.json`.

The format follows the value's type, not the materializer that stored it, so a
value stored by any materializer comes out in the file other tools read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runstack.errors import ConfigError
from runstack.files import write_atomically
from runstack.materializers.base import type_name

JSON_TYPES = (dict, list, str, int, float, bool, type(None))


def natural_suffix(value: Any) -> str | None:
    """`.npy` for numpy arrays, `.parquet` for pandas frames, `.json` for JSON values."""
    kind = type(value)
    if kind.__module__ == "numpy" and kind.__name__ == "ndarray":
        return ".npy"
    if kind.__module__.startswith("pandas") and kind.__name__ == "DataFrame":
        return ".parquet"
    if isinstance(value, JSON_TYPES) and _is_json(value):
        return ".json"
    return None


def export_value(value: Any, target: Path, described: str) -> None:
    """Write `value` to `target` (whole or not at all); `described` names it in errors."""
    suffix = natural_suffix(value)
    kind = type_name(type(value))
    if suffix is None:
        raise ConfigError(
            f"{described} holds a {kind}, which has no file format runstack writes; "
            f"read it in Python: Client().artifacts.get(ID).load()"
        )
    if target.suffix != suffix:
        raise ConfigError(
            f"{described} holds a {kind}, written as {suffix}: name the file "
            f"{target.with_suffix(suffix).name}"
        )
    if suffix == ".json":
        data = (json.dumps(value, indent=2) + "\n").encode()
    else:
        data = _binary(value, suffix)
    write_atomically(target, data)


def _binary(value: Any, suffix: str) -> bytes:
    import io

    buffer = io.BytesIO()
    if suffix == ".npy":
        import numpy

        numpy.save(buffer, value, allow_pickle=False)
    else:
        value.to_parquet(buffer)
    return buffer.getvalue()


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True
