"""What an alerter is: a component that sends a short message somewhere people read it, from a
step and when a run ends."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

from runstack.components.base import BaseComponent
from runstack.runs import RunStatus, format_duration

# Enough of an error for a chat message; the whole of it is in `runstack run logs`.
_ERROR_LIMIT = 500


@dataclass(frozen=True)
class RunSummary:
    """How a run ended, told to the stack's alerter once the run is recorded.

    `failed_step` is the first step that failed (None when none did, or when the orchestrator
    itself failed), `error` the run's one-line failure, trimmed; `dashboard` the address of a
    dashboard that shows the run (the team server logged in to), None when there is none.
    """

    run_id: str
    run_name: str
    pipeline_name: str
    stack_name: str
    status: RunStatus
    duration: float | None
    failed_step: str | None = None
    error: str = ""
    dashboard: str | None = None

    def __post_init__(self) -> None:
        if len(self.error) > _ERROR_LIMIT:
            object.__setattr__(self, "error", self.error[: _ERROR_LIMIT - 1] + "…")

    @property
    def link(self) -> str | None:
        """The run's page on the dashboard, when there is one."""
        return f"{self.dashboard.rstrip('/')}/runs/{self.run_id}" if self.dashboard else None

    @property
    def text(self) -> str:
        """The summary as one line a person reads in a chat channel."""
        run = f"Run {self.run_name!r} of pipeline {self.pipeline_name!r}"
        where = f"on stack {self.stack_name!r}"
        if self.status is RunStatus.FAILED:
            line = f"{run} failed {where}: {self.error or 'no reason recorded'}"
        elif self.status is RunStatus.COMPLETED:
            line = f"{run} completed {where} in {format_duration(self.duration)}"
        else:
            line = f"{run} {self.status.value} {where}"
        return f"{line} {self.link}" if self.link else line


class BaseAlerter(BaseComponent):
    """The base of every alerter flavor; a step reaches it as `get_step_context().stack.alerter`."""

    @abstractmethod
    def post(self, text: str) -> None:
        """Send `text` as a message (to a chat channel, a webhook); raise if it was not sent."""

    def run_finished(self, summary: RunSummary) -> None:
        """Called once a run of a stack with this alerter has ended (completed, failed or
        stopped) and is recorded, in the process that ran the pipeline.

        The default posts the summary's text when the run failed. Raising never changes the
        run's outcome: runstack warns in one line naming this alerter and the error.
        """
        if summary.status is RunStatus.FAILED:
            self.post(summary.text)
