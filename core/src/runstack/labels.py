"""Labels: free-form `key=value` tags on stacks and components (`--label team=nlp`).

runstack keeps, shows and filters on them and never reads meaning into them, as
Kubernetes labels and ZenML's component labels work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from runstack.errors import ConfigError

MAX_VALUE = 256
# A letter or digit, then up to 62 of letters, digits, `_`, `.`, `-` and `/`.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,62}")


def parse_labels(texts: Iterable[str]) -> dict[str, str]:
    """`["team=nlp", "env=prod"]` as a mapping, each checked; the last of a repeated key wins."""
    labels = {}
    for text in texts:
        key, separator, value = text.partition("=")
        if not separator:
            raise ConfigError(f"label {text!r} has no '='; give it as KEY=VALUE, e.g. team=nlp")
        labels[key] = value
    return check_labels(labels)


def check_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """The labels as a plain dict, once every key and value is one runstack keeps."""
    for key, value in labels.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ConfigError(
                f"label key {key!r} is not allowed: 1 to 63 letters, digits, '_', '.', '-' "
                "or '/', starting with a letter or digit"
            )
        if not isinstance(value, str) or len(value) > MAX_VALUE or not value.isprintable():
            raise ConfigError(
                f"label {key!r} has a value that is not allowed: text of at most {MAX_VALUE} "
                "printable characters"
            )
    return dict(labels)


def relabelled(
    labels: Mapping[str, str], added: Mapping[str, str], removed: Iterable[str]
) -> dict[str, str]:
    """`labels` with `added` set and the keys in `removed` dropped (a missing key is an error)."""
    result = {**labels, **check_labels(added)}
    for key in removed:
        if key not in result:
            present = ", ".join(sorted(labels)) or "none"
            raise ConfigError(f"there is no label {key!r} to remove; labels: {present}")
        del result[key]
    return result
