"""The one rule for names that become paths or ids: pipelines, steps, outputs and runs.

An artifact lives at `<pipeline>/<run id>/<step>/<output>/` in its store, so a
name holding `/` or being `..` could write over, or delete, files of other runs
or files runstack never wrote; every such name passes `check_name` first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from runstack.errors import ConfigError

MAX_NAME_LENGTH = 128
MAX_NAME_BYTES = 255  # what most file systems take for one folder name
NAME_RULE = (
    f"a name is 1 to {MAX_NAME_LENGTH} characters and {MAX_NAME_BYTES} bytes in UTF-8, no '/', "
    "'\\', NUL or control characters, not '.' or '..'"
)

_FORBIDDEN = re.compile(r"[/\\\x00-\x1f\x7f-\x9f]")
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
_HEX = re.compile(r"[0-9a-f-]+", re.I)
# Shorter hex names ("a", "add") stay allowed: nobody types them as an id prefix, and
# refusing them would depend on the ids that happen to exist.
_SHORTEST_ID_PREFIX = 4


def name_problem(name: object) -> str:
    """What is wrong with `name` as a path part ("" when nothing is)."""
    if not isinstance(name, str):
        return f"it is a {type(name).__name__}, not a string"
    if not name:
        return "it is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"it is {len(name)} characters long"
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "it holds a lone surrogate, which is no character any file system stores"
    if size > MAX_NAME_BYTES:
        return f"it is {size} bytes long in UTF-8"
    if name in (".", ".."):
        return f"in a path it means {'this' if name == '.' else 'the parent'} folder"
    forbidden = _FORBIDDEN.search(name)
    if forbidden:
        return f"it contains {forbidden.group()!r}"
    return ""


def check_name(name: object, what: str) -> str:
    """`name`, if the rule allows it; otherwise an error naming it, what it names and the rule."""
    problem = name_problem(name)
    if problem:
        raise ConfigError(f"invalid {what} name {name!r}: {problem}; {NAME_RULE}")
    assert isinstance(name, str)
    return name


def is_uuid(text: str) -> bool:
    """Whether `text` is a whole id, as runstack makes them (with or without dashes)."""
    return bool(_UUID.fullmatch(text))


def check_not_an_id(name: str, what: str, known: Callable[[], Iterable[tuple[str, str]]]) -> None:
    """Refuse a name that is an id, or the start of the id of one of the `known` objects.

    Lookups take a name, an id or an id prefix alike; a name that looks like an id
    would make that id mean another object. `known` gives (id, name) pairs and is
    called only for a name of at least 4 hex digits and dashes.
    """
    if not _HEX.fullmatch(name) or len(name) < _SHORTEST_ID_PREFIX:
        return
    if is_uuid(name):
        owner = ""
    else:
        lowered = name.lower()
        found = next((n for i, n in known() if i.lower().startswith(lowered)), None)
        if found is None:
            return
        owner = f" of the {what} {found!r}"
    raise ConfigError(
        f"invalid {what} name {name!r}: it looks like an id{owner}, and names and ids are "
        "looked up alike; choose a name that is not an id or the start of one"
    )
