"""What a step's or a pipeline's retry options say together: `retries=` and `retry_delay=`, or
ZenML's `retry=StepRetryConfig(...)` (retry_config.py), which says the same in one keyword."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runstack.errors import ConfigError

if TYPE_CHECKING:
    from runstack.pipelines.retry_config import StepRetryConfig

DEFAULT_BACKOFF = 2.0
"""Each wait is this many times the one before, unless a `StepRetryConfig` says otherwise."""


class RetryLayer:
    """What one layer of options (a step's, a pipeline's) says about retries; None: nothing.

    A plain class: every step and pipeline makes one, and a dataclass costs a run's start-up.
    """

    __slots__ = ("backoff", "delay", "retries")

    def __init__(
        self, retries: int | None = None, delay: float | None = None, backoff: float | None = None
    ) -> None:
        self.retries = retries
        self.delay = delay
        self.backoff = backoff


def retries_given(
    owner: str, retries: int | None, retry_delay: float | None, retry: StepRetryConfig | None
) -> RetryLayer:
    """The retries that `retries=`, `retry_delay=` and `retry=` give together; the two
    spellings may both be given only where they agree."""
    if retry is None:
        return RetryLayer(retries, retry_delay)
    from runstack.pipelines.retry_config import StepRetryConfig

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
