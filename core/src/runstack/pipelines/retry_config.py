"""ZenML's `StepRetryConfig`: how often a failed step is tried again, and how long it waits.

Imported only by code that uses it (the options of most runs never do), since defining the
class is a measurable part of a run's start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from runstack.errors import ConfigError


@dataclass(frozen=True)
class StepRetryConfig:
    """How often a failed step is tried again (`max_retries`), how long to wait before the first
    retry (`delay`, seconds) and by what factor each later wait grows (`backoff`), as in ZenML."""

    max_retries: int = 1
    delay: float = 0
    backoff: float = 0

    def __post_init__(self) -> None:
        if not _whole(self.max_retries):
            raise ConfigError(
                "StepRetryConfig: max_retries must be a whole number >= 0, "
                f"got {self.max_retries!r}"
            )
        for name in ("delay", "backoff"):
            value = getattr(self, name)
            if not _number(value) or value < 0:
                raise ConfigError(f"StepRetryConfig: {name} must be a number >= 0, got {value!r}")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
