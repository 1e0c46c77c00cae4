"""Boxed tables like the stack docs show, fitted to the terminal by wrapping, never by dropping."""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MIN_COLUMN_WIDTH = 4

# Cells may wrap after a space, an underscore, a dash or a slash.
_BREAK = re.compile(r"(?<=[ _/-])")


@dataclass(frozen=True)
class Box:
    """The characters a table is drawn with."""

    top: str  # left, fill, joint, right
    header_rule: str
    row_rule: str
    bottom: str
    outer: str
    inner: str


UNICODE_BOX = Box("┏━┯┓", "┠─┼┨", "┠─┼┨", "┗━┷┛", "┃", "│")
ASCII_BOX = Box("+-++", "+-++", "+-++", "+-++", "|", "|")


def display_width(text: str) -> int:
    """Terminal columns a string takes: wide characters (emoji, CJK) count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def terminal_width() -> int:
    """COLUMNS if set, else the terminal's width, else 80 (shutil's rule, without importing
    shutil: its archive modules cost `stack list` 2 ms)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stdout = sys.__stdout__
    try:
        return (stdout is not None and os.get_terminal_size(stdout.fileno()).columns) or 80
    except (AttributeError, ValueError, OSError):
        return 80


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    caption: str | None = None,
    row_rules: bool = False,
    width: int | None = None,
    box: Box = UNICODE_BOX,
) -> str:
    """The table as text, at most `width` columns wide when the columns can wrap that far."""
    widths = _fit(headers, rows, (width or terminal_width()) - 3 * len(headers) - 1)
    lines = []
    total = sum(widths) + 3 * len(widths) + 1
    if title:
        lines.extend(_centre(title, total))
    lines.append(_rule(box.top, widths))
    lines.extend(_row(headers, widths, box))
    for index, row in enumerate(rows):
        if index == 0 or row_rules:
            lines.append(_rule(box.header_rule if index == 0 else box.row_rule, widths))
        lines.extend(_row(row, widths, box))
    lines.append(_rule(box.bottom, widths))
    if caption:
        lines.extend(_centre(caption, total))
    return "\n".join(line.rstrip() for line in lines)


def _fit(headers: Sequence[str], rows: Sequence[Sequence[str]], budget: int) -> list[int]:
    """Column widths: natural, then shrunk where words wrap, then headers break, then values."""
    columns = list(zip(headers, *rows, strict=False))
    widths = [max(display_width(cell) for cell in column) for column in columns]
    floors = (
        [_longest_word(column) for column in columns],
        [_longest_word(column[1:]) for column in columns],
        [MIN_COLUMN_WIDTH] * len(widths),
    )
    for floor in floors:
        while sum(widths) > budget:
            slack = [w - f for w, f in zip(widths, floor, strict=True)]
            widest = max(range(len(widths)), key=lambda i: (slack[i], widths[i]))
            if slack[widest] <= 0:
                break
            widths[widest] -= 1
    return widths


def _longest_word(cells: Sequence[str]) -> int:
    """The narrowest a column gets without breaking a word of these cells."""
    return max(
        [
            MIN_COLUMN_WIDTH,
            *(display_width(word.strip()) for cell in cells for word in _words(cell)),
        ]
    )


def _words(cell: str) -> list[str]:
    return [word for word in _BREAK.split(cell) if word]


def _wrap(cell: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in _words(cell):
        if display_width(current + word.rstrip()) <= width:
            current += word
            continue
        if current:
            lines.append(current)
        while display_width(word.rstrip()) > width:
            head, word = _split_at(word, width)
            lines.append(head)
        current = word
    lines.append(current)
    return [line.rstrip() for line in lines]


def _split_at(word: str, width: int) -> tuple[str, str]:
    """The longest head of `word` that fits `width` columns (at least one character)."""
    used = 0
    for index, character in enumerate(word):
        used += display_width(character)
        if used > width:
            return word[: max(index, 1)], word[max(index, 1) :]
    return word, ""


def _row(cells: Sequence[str], widths: Sequence[int], box: Box) -> list[str]:
    wrapped = [_wrap(cell, width) for cell, width in zip(cells, widths, strict=True)]
    height = max(len(lines) for lines in wrapped)
    out = []
    for index in range(height):
        parts = []
        for lines, width in zip(wrapped, widths, strict=True):
            text = lines[index] if index < len(lines) else ""
            parts.append(" " + text + " " * (width - display_width(text)) + " ")
        out.append(box.outer + box.inner.join(parts) + box.outer)
    return out


def _rule(chars: str, widths: Sequence[int]) -> str:
    left, fill, joint, right = chars[0], chars[1], chars[2], chars[3]
    return left + joint.join(fill * (width + 2) for width in widths) + right


def _centre(text: str, total: int) -> list[str]:
    """A title or caption centred over the table, wrapped when it is wider than the table."""
    return [
        " " * (max(total - display_width(line), 0) // 2) + line
        for line in _wrap(text, max(total, MIN_COLUMN_WIDTH))
    ]
