"""A step's traceback as its user needs it: their own frames, not runstack's, and not the
hundreds of lines a library can add (the whole traceback goes to the step's log)."""

from __future__ import annotations

import functools
import traceback
from pathlib import Path

from runstack.errors import RunstackError

_RUNSTACK_SOURCES = str(Path(__file__).resolve().parent.parent)
_LIBRARY_FRAMES_KEPT = 3


def user_traceback(error: BaseException) -> str:
    """The traceback for the user to fix their step: runstack's own frames dropped, and of each
    run of library frames only the last few (the whole traceback is in the step's log)."""
    if isinstance(error, RunstackError):
        return f"{error}\n"
    summary = traceback.TracebackException.from_exception(error)
    chain: traceback.TracebackException | None = summary
    while chain is not None:
        chain.stack = _trimmed(chain.stack)
        chain = chain.__cause__ or chain.__context__
    return "".join(summary.format())


class _LeftOut(traceback.FrameSummary):
    """Stands in for library frames left out of a trimmed traceback."""

    def __init__(self, count: int) -> None:
        super().__init__("", 0, "", lookup_line=False, line="")
        self.count = count


class _TrimmedStack(traceback.StackSummary):
    def format_frame_summary(self, frame_summary: traceback.FrameSummary) -> str:
        if isinstance(frame_summary, _LeftOut):
            return f"  ... {frame_summary.count} library frames left out (see runstack run logs)\n"
        return super().format_frame_summary(frame_summary)


def _trimmed(stack: traceback.StackSummary) -> traceback.StackSummary:
    kept: list[traceback.FrameSummary] = []
    library: list[traceback.FrameSummary] = []
    for frame in stack:
        if frame.filename.startswith(_RUNSTACK_SOURCES):
            continue
        if _is_library(frame.filename):
            library.append(frame)
            continue
        kept += _last_of(library)
        library = []
        kept.append(frame)
    return _TrimmedStack(kept + _last_of(library))


def _last_of(library: list[traceback.FrameSummary]) -> list[traceback.FrameSummary]:
    left_out = len(library) - _LIBRARY_FRAMES_KEPT
    return [_LeftOut(left_out), *library[left_out:]] if left_out > 0 else library


def _is_library(filename: str) -> bool:
    return filename.startswith(_library_folders()) or any(
        part in ("site-packages", "dist-packages") for part in Path(filename).parts
    )


@functools.cache
def _library_folders() -> tuple[str, ...]:
    """Where the standard library lives (frozen modules included)."""
    import sysconfig

    paths = sysconfig.get_paths()
    return ("<frozen ", *{paths["stdlib"], paths["platstdlib"]})
