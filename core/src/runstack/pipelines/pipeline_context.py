"""What a pipeline function knows about itself while it wires its steps:
`get_pipeline_context()`, ZenML's name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from runstack.errors import RunstackError

if TYPE_CHECKING:
    from runstack.pipelines.models import Model


class NoPipelineContextError(RunstackError):
    """`get_pipeline_context()` was called outside a pipeline function being wired."""


class PipelineContext:
    """The pipeline being wired: its `name`, its `model` (as given, before a run makes or finds
    its version) and its `extra` options, run config included.

    A plain class: every run makes one, and a dataclass costs a run's import a millisecond.
    """

    __slots__ = ("extra", "model", "name")

    def __init__(self, name: str, model: Model | None, extra: Mapping[str, Any]) -> None:
        self.name = name
        self.model = model
        self.extra = extra

    def __repr__(self) -> str:
        return f"<PipelineContext {self.name}>"


_current: ContextVar[PipelineContext] = ContextVar("runstack_pipeline_context")


def get_pipeline_context() -> PipelineContext:
    """The context of the pipeline whose function calls it; NoPipelineContextError elsewhere."""
    try:
        return _current.get()
    except LookupError:
        raise NoPipelineContextError(
            "get_pipeline_context() works only inside a pipeline function while it wires its "
            "steps; inside a step, use get_step_context()"
        ) from None


@contextmanager
def building_pipeline(context: PipelineContext) -> Iterator[None]:
    """Make `context` the one `get_pipeline_context()` returns while the function runs."""
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)
