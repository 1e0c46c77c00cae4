"""The one exception family the core raises; the CLI turns each into a one-line message."""

from __future__ import annotations

from collections.abc import Sequence


class RunstackError(Exception):
    """Something the user can fix: the message says what is wrong and what to do."""

    exit_code = 1


class NotFoundError(RunstackError, LookupError):
    """A named stack, component, flavor or file does not exist."""


class AlreadyExistsError(RunstackError):
    """A name is taken by another stack or component of the same type."""


class PermissionDeniedError(RunstackError):
    """Someone other than its owner tried to change, share or delete a stack or component."""


class ConfigError(RunstackError, ValueError):
    """A component config, stack definition or file content is invalid."""


class MissingSecretsError(ConfigError):
    """Components to be created lack secrets nobody gave; `missing` holds (component type, key)
    pairs. Errors sit below `component_types`, so a type is any `str`: a `ComponentType` is one."""

    def __init__(self, missing: Sequence[tuple[str, str]]) -> None:
        super().__init__(
            "secrets not given: " + ", ".join(f"{kind}.{key}" for kind, key in missing)
        )
        self.missing = list(missing)


class InUseError(RunstackError):
    """The object is still referenced (a component by stacks, a stack by being active)."""


class AuthenticationError(RunstackError):
    """A team server refused the request: no token, or one that is wrong or revoked."""


class StoreError(RunstackError):
    """The store or the client config file cannot be read or written."""


class PluginError(RunstackError):
    """A plugin failed to load or registered something invalid (raised only in strict mode)."""


def one_line(error: BaseException) -> str:
    """An exception in one line: a runstack error's message, or the type and message."""
    if not str(error):
        return type(error).__name__
    return str(error) if isinstance(error, RunstackError) else f"{type(error).__name__}: {error}"
