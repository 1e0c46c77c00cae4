"""The base of every flavor implementation: a registered component brought to life."""

from __future__ import annotations

from abc import ABC
from typing import Any

from runstack.flavor_config import FlavorConfig


class BaseComponent(ABC):  # noqa: B024 (ABCMeta makes the subclasses' abstract methods count)
    """Built by `Client.build_component` from a registered component and its validated config.

    An abstract base, so a subclass that leaves out a method its type needs fails when
    built, naming the method, instead of failing at its first use.
    """

    def __init__(self, *, id: str, name: str, config: FlavorConfig) -> None:
        self.id = id
        self.name = name
        self.config = config

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, id={self.id!r})"

    def describe(self) -> dict[str, Any]:
        """Facts worth showing in `runstack status` (where data lives, how many workers)."""
        return {}

    @property
    def location(self) -> str:
        """Where it runs code or keeps files, for `stack describe` (a scheduler's address, a
        bucket); "" says only whether that is this machine, from its flavor and config."""
        return ""
