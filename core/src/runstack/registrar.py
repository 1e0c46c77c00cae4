"""What a registration hook is handed: one registrar for every kind of thing plugins register.

Flavors and materializers are registered the same way: each is checked, a key
another plugin registered first is refused with a warning naming both plugins,
and what a plugin registered is recorded for `plugin list`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from runstack.plugins import Plugin, report


class Registration(Protocol):
    """A registry's entry: whatever it holds, it knows the plugin it came from."""

    @property
    def plugin(self) -> Plugin: ...


K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
E = TypeVar("E", bound=Registration)


@dataclass(frozen=True)
class RegistrationRules(Generic[K, T, E]):
    """How one kind of registration is checked, keyed, named in warnings and recorded."""

    noun: str
    problem: Callable[[object], str | None]
    key: Callable[[T], K]
    label: Callable[[T], str]
    entry: Callable[[T, Plugin], E]
    record: Callable[[Plugin, T], None]


class Registrar(Generic[K, T, E]):
    """Call it with each item a plugin provides; it fills the registry's `entries`."""

    def __init__(
        self, entries: dict[K, E], plugin: Plugin, rules: RegistrationRules[K, T, E]
    ) -> None:
        self._entries = entries
        self._plugin = plugin
        self._rules = rules

    def __call__(self, item: T) -> None:
        rules = self._rules
        problem = rules.problem(item)
        if problem:
            report(self._plugin, f"registered an invalid {rules.noun} ({problem}); ignored")
            return
        key = rules.key(item)
        existing = self._entries.get(key)
        if existing is not None:
            report(
                self._plugin,
                f"registers the {rules.label(item)}, already registered by plugin "
                f"{existing.plugin.name!r} from {existing.plugin.origin}; keeping that one "
                f"(block one with RUNSTACK_DISABLE_PLUGINS=<name>)",
            )
            return
        self._entries[key] = rules.entry(item, self._plugin)
        rules.record(self._plugin, item)
