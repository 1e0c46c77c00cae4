"""The end of a run told to the stack's alerter, once the run is recorded: whatever the alerter
does, the run's outcome and exit code stay what they were."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from runstack.components import RunSummary
from runstack.errors import one_line

if TYPE_CHECKING:
    from runstack.components import BaseAlerter
    from runstack.runs import RunRecord


def announce_end(
    alerter: BaseAlerter | None, run: RunRecord, failed_step: str | None, dashboard: str | None
) -> None:
    """Tell `alerter` how `run` ended; an alerter that raises is one warning line, naming it."""
    if alerter is None:
        return
    summary = RunSummary(
        run_id=run.id,
        run_name=run.name,
        pipeline_name=run.pipeline_name,
        stack_name=run.stack_name,
        status=run.status,
        duration=run.duration,
        failed_step=failed_step,
        error=run.error,
        dashboard=dashboard,
    )
    try:
        alerter.run_finished(summary)
    except Exception as error:
        warnings.warn(
            f"alerter {alerter.name!r} could not report the end of run {run.name!r} "
            f"({run.status.value}): {one_line(error)}",
            stacklevel=2,
        )
