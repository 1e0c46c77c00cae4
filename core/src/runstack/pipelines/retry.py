"""`retry=StepRetryConfig(...)`: ZenML's spelling of a step's retries, beside `retries=` and
`retry_delay=`, which say the same in two keywords."""

from __future__ import annotations

from dataclasses import dataclass

from runstack.errors import ConfigError

DEFAULT_BACKOFF = 2.0
"""Each wait is this many times the one before, unless a `StepRetryConfig` says otherwise."""


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


@dataclass(frozen=True)
class RetryLayer:
    """What one layer of options (a step's, a pipeline's) says about retries; None: nothing."""

    retries: int | None = None
    delay: float | None = None
    backoff: float | None = None


def retries_given(
    owner: str, retries: int | None, retry_delay: float | None, retry: StepRetryConfig | None
) -> RetryLayer:
    """The retries that `retries=`, `retry_delay=` and `retry=` give together; the two
    spellings may both be given only where they agree."""
    if retry is None:
        return RetryLayer(retries, retry_delay)
    if not isinstance(retry, StepRetryConfig):
        raise ConfigError(
            f"{owner}: retry must be a StepRetryConfig(max_retries=..., delay=..., backoff=...), "
            f"got {type(retry).__name__}"
        )
    for keyword, given, field, configured in (
        ("retries", retries, "max_retries", retry.max_retries),
        ("retry_delay", retry_delay, "delay", retry.delay),
    ):
        if given is not None and given != configured:
            raise ConfigError(
                f"{owner}: {keyword}={given!r} and retry={retry!r} disagree on the "
                f"{field}; give one of them"
            )
    return RetryLayer(retry.max_retries, retry.delay, retry.backoff)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
