"""A look at a small artifact's value on its page: JSON as text, arrays and tables as rows.

Only materializers whose files are plain data are loaded (never a pickle, never a class
imported by name), so a page cannot run code that an artifact carries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from runstack.history.results import Artifact

PREVIEW_BYTES = 256 * 1024
PREVIEWED = ("json", "numpy", "pandas")
ROWS = 50
COLUMNS = 20
TEXT_CHARACTERS = 20_000


@dataclass(frozen=True)
class Preview:
    """Text or a table (columns and rows of text), and a note on what was left out or why not."""

    text: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


def preview(artifact: Artifact) -> Preview:
    record = artifact.record
    if record.materializer not in PREVIEWED:
        return Preview(note=f"no preview for what the {record.materializer!r} materializer saves")
    if record.size > PREVIEW_BYTES:
        return Preview(note=f"no preview: larger than {PREVIEW_BYTES // 1024} KiB")
    try:
        value = artifact.load()
    except Exception as error:  # the page still shows the record of an unreadable artifact
        return Preview(note=f"cannot be read back: {error}")
    if record.materializer == "json":
        return _text(json.dumps(value, indent=2, ensure_ascii=False, default=str))
    if record.materializer == "numpy":
        return _array(value)
    return _frame(value)


def _text(text: str) -> Preview:
    if len(text) <= TEXT_CHARACTERS:
        return Preview(text=text)
    return Preview(text=text[:TEXT_CHARACTERS], note=f"the first {TEXT_CHARACTERS} characters")


def _array(array: Any) -> Preview:
    if array.ndim == 0 or array.ndim > 2:
        return _text(f"shape {array.shape}, dtype {array.dtype}\n{array!r}")
    table = array.reshape(-1, 1) if array.ndim == 1 else array
    columns = [str(i) for i in range(min(table.shape[1], COLUMNS))]
    rows = [[str(v) for v in row[:COLUMNS]] for row in table[:ROWS]]
    return Preview(columns=columns, rows=rows, note=f"dtype {array.dtype}, {_shown(*table.shape)}")


def _frame(frame: Any) -> Preview:
    shown = frame.iloc[:ROWS, :COLUMNS]
    rows = [[str(v) for v in row] for row in shown.itertuples(index=False)]
    columns = [str(c) for c in shown.columns]
    return Preview(columns=columns, rows=rows, note=_shown(*frame.shape))


def _shown(rows: int, columns: int) -> str:
    """The size of a table, and how much of it the preview shows."""
    if rows <= ROWS and columns <= COLUMNS:
        return f"{rows} x {columns}"
    return f"{rows} x {columns}; showing the first {min(rows, ROWS)} x {min(columns, COLUMNS)}"
