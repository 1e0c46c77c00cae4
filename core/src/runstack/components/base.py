"""The base of every flavor implementation: a registered component brought to life."""

from __future__ import annotations

from abc import ABC
from typing import TYPE_CHECKING, Any

from runstack.flavor_config import FlavorConfig

if TYPE_CHECKING:
    from runstack.components.step_context import StepContext


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

    def prepare_step_run(self, context: StepContext) -> None:  # noqa: B027 (a no-op by default)
        """Called before a step's code runs, in the step's own thread or process (which may be
        another machine's), once per step run: before its first attempt, not before retries.

        Every component of the stack is prepared, in the order of `ComponentType`
        (orchestrator, artifact store, then the optional types); a cached step runs no code
        and prepares nothing. Raising fails the step, naming this component and the error:
        its code does not run, and the components prepared before it are cleaned up.
        """

    def cleanup_step_run(self, context: StepContext, failed: bool) -> None:  # noqa: B027
        """Called after the step's code, its retries and the saving of its outputs, in the same
        thread or process as `prepare_step_run`, for each component whose prepare returned,
        in the reverse order; `failed` says whether the step failed.

        Raising writes the error to the step's log and fails a step that had succeeded
        (its outputs are then removed); a failed step keeps its own error.
        """
