"""Secret values given as references, `{{env.NAME}}` or `{{file:PATH}}`: stored as written and
read only when the component is built, so the secret itself never reaches the store."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from runstack.component_types import ComponentType
from runstack.errors import ConfigError

_REFERENCE = re.compile(r"\{\{(env|file)[.:]([^{}]+)\}\}")


def is_reference(value: object) -> bool:
    """Whether a secret value is a reference (shown as it is: it names, it does not hold)."""
    return isinstance(value, str) and _REFERENCE.fullmatch(value.strip()) is not None


def check_written(key: str, value: str) -> None:
    """Refuse a secret written like a reference that is not one: stored as a value, the typo
    would become the secret, in plain text. The value is not echoed: it may be a secret."""
    text = value.strip()
    if text.startswith("{{") and text.endswith("}}") and not is_reference(text):
        raise ConfigError(
            f"secret {key!r} is written like a reference ({{{{...}}}}) but is not one; "
            "write {{env.NAME}} or {{file:PATH}}"
        )


def anchored(value: str) -> str:
    """A file reference with a relative path made absolute: it is read when the component is
    built, from wherever a pipeline then runs. Anything else is returned as it is."""
    match = _REFERENCE.fullmatch(value.strip())
    if match is None or match.group(1) != "file":
        return value
    target = match.group(2).strip()
    if target.startswith("~") or Path(target).is_absolute():
        return value
    return "{{file:" + str(Path(target).absolute()) + "}}"


def resolved_secrets(
    component_type: ComponentType, name: str, secrets: Mapping[str, str]
) -> dict[str, str]:
    """A component's secrets with every reference replaced by what it refers to now; errors
    name the component (its type and name) and the command that changes the secret."""
    return {key: _resolve(component_type, name, key, value) for key, value in secrets.items()}


def _resolve(component_type: ComponentType, name: str, key: str, value: str) -> str:
    match = _REFERENCE.fullmatch(value.strip())
    if match is None:
        return value
    kind, target = match.group(1), match.group(2).strip()
    if kind == "env":
        resolved = os.environ.get(target)
        if resolved is None:
            what = f"the environment variable {target}, which is not set"
            raise _unreadable(component_type, name, key, what, "set it")
        return resolved
    try:
        # One trailing line break is how editors and `echo` end a file, not part of the secret.
        text = Path(target).expanduser().read_text(encoding="utf-8")
        return text.removesuffix("\n").removesuffix("\r")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        what = f"the file {target}, which cannot be read ({reason})"
        raise _unreadable(component_type, name, key, what, "make it readable") from None


def _unreadable(kind: ComponentType, name: str, key: str, what: str, fix: str) -> ConfigError:
    return ConfigError(
        f"the {kind.noun} {name!r}: its secret {key!r} refers to {what}; {fix}, or "
        f"change the secret with 'runstack {kind.cli_name} update {name} --{key}'"
    )
