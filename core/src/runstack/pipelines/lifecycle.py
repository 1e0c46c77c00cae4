"""The stack's components around a step's code: each prepared before it, cleaned up after it.

Runs where the step runs (see `BaseComponent.prepare_step_run` for the order and the
failure rules), so that a tracker's run or a connection opened in `prepare_step_run`
lives in the step's own thread or process.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from runstack.components.step_context import enter_step, leave_step
from runstack.errors import RunstackError

if TYPE_CHECKING:
    from runstack.component_types import ComponentType
    from runstack.components import BaseComponent, StepContext
    from runstack.history.step_logs import BoundedLog


class ComponentFailedError(RunstackError):
    """A stack component's `prepare_step_run` or `cleanup_step_run` raised; the message names
    the component, the step and the error (its traceback is in the step's log)."""


@contextmanager
def around_step(context: StepContext, log: BoundedLog) -> Iterator[None]:
    """Set the step's context, prepare every component, run the block, clean up those
    prepared (in reverse order).

    A prepare that raises fails the step before its code runs; a cleanup that raises is
    written to the log and fails the step only if the block succeeded.
    """
    prepared: list[tuple[ComponentType, BaseComponent]] = []
    token = enter_step(context)
    try:
        for kind, component in context.stack.components:
            try:
                component.prepare_step_run(context)
            except Exception as error:
                raise ComponentFailedError(
                    f"step {context.step_name!r}: {kind.noun} {component.name!r} failed to "
                    f"prepare it: {type(error).__name__}: {error}"
                ) from error
            prepared.append((kind, component))
        yield
    except BaseException:
        _clean_up(prepared, context, log, failed=True)
        raise
    else:
        failure = _clean_up(prepared, context, log, failed=False)
        if failure is not None:
            raise failure
    finally:
        leave_step(token)


def _clean_up(
    prepared: list[tuple[ComponentType, BaseComponent]],
    context: StepContext,
    log: BoundedLog,
    failed: bool,
) -> ComponentFailedError | None:
    """Clean up every prepared component. After a step that succeeded, the first failure is
    returned, to fail it; every other one is written to the step's log."""
    first = None
    for kind, component in reversed(prepared):
        try:
            component.cleanup_step_run(context, failed)
        except Exception as error:
            failure = ComponentFailedError(
                f"step {context.step_name!r}: {kind.noun} {component.name!r} failed to clean "
                f"up after it: {type(error).__name__}: {error}"
            )
            failure.__cause__ = error
            if failed or first is not None:
                log.write("".join(traceback.format_exception(failure)))
            else:
                first = failure
    return first
