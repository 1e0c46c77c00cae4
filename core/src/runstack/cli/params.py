"""`--param NAME=VALUE`: pipeline parameters from the command line, read as literals."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from runstack.errors import ConfigError


def parse_params(given: Iterable[str], annotations: Mapping[str, Any]) -> dict[str, Any]:
    """Each `NAME=VALUE` as a parameter; a name given twice is refused rather than overwritten.

    For a parameter annotated `str` the text itself is the value unless it is a
    quoted string: `--param name=2024` gives "2024", not a number to refuse.
    """
    parameters: dict[str, Any] = {}
    for text in given:
        name, equals, value = text.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ConfigError(f"--param takes NAME=VALUE, got {text!r}; for example --param k=3")
        if name in parameters:
            raise ConfigError(f"--param {name!r} is given twice; give each parameter once")
        try:
            parsed = literal(value)
        except RecursionError:
            raise ConfigError(f"--param {name!r}: the value is nested too deeply to read") from None
        wants_text = annotations.get(name) is str and not isinstance(parsed, str)
        parameters[name] = value if wants_text else parsed
    return parameters


def literal(text: str) -> Any:
    """A JSON or TOML value (3, 0.5, true, null, [1, 2], "x", 'x'), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        parsed = tomllib.loads(f"value = {text}")
    except tomllib.TOMLDecodeError:
        return text
    return parsed["value"] if parsed.keys() == {"value"} else text
