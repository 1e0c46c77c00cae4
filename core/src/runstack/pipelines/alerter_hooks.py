"""ZenML's ready hooks: `@step(on_failure=alerter_failure_hook)` posts a failed step, with its
error, through the stack's alerter; `alerter_success_hook` posts a step that succeeded."""

from __future__ import annotations

import warnings

from runstack.components import get_step_context
from runstack.errors import one_line


def alerter_failure_hook(exception: BaseException) -> None:
    """Post the failed step's pipeline, run, step and error through the stack's alerter."""
    _post(f"failed: {one_line(exception)}", "alerter_failure_hook")


def alerter_success_hook() -> None:
    """Post the pipeline, run and step of a step that succeeded through the stack's alerter."""
    _post("succeeded", "alerter_success_hook")


def _post(outcome: str, hook: str) -> None:
    context = get_step_context()
    alerter = context.stack.alerter
    if alerter is None:
        warnings.warn(
            f"{hook} of step {context.step_name!r} has nothing to post to: stack "
            f"{context.stack.name!r} has no alerter (add one with 'runstack stack update "
            f"{context.stack.name} --alerter NAME')",
            stacklevel=3,
        )
        return
    alerter.post(
        f"Step {context.step_name!r} of run {context.run_name!r} of pipeline "
        f"{context.pipeline_name!r} {outcome}"
    )
