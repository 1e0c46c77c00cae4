"""Tables: boxed like the stack docs show in a terminal, plain aligned columns in a pipe.

A boxed table fits the terminal without dropping a column: descriptions wrap, and
names and ids stay on one line, shortened with an ellipsis that keeps the part
telling the rows apart. A plain table keeps every value whole, one line per row,
so `runstack run list | grep nightly` finds what it should.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass

MIN_COLUMN_WIDTH = 4
ELLIPSIS = "…"
# One-line values this wide are shortened only when nothing else can give, and then
# not below SHORTEST_KEPT: ids (8), statuses, `default` stay readable.
KEPT_WHOLE = 12
SHORTEST_KEPT = 8
# Between the columns of a plain table, as `kubectl get` and `docker ps` space theirs.
PLAIN_GAP = "   "

# Headers may break after a space, an underscore, a dash or a slash (ARTIFACT_ / STORE);
# the text of wrapping cells only after a space, so the names and ids in it stay whole.
_HEADER_BREAK = re.compile(r"(?<=[ _/-])")
_TEXT_BREAK = re.compile(r"(?<= )")


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
    wrapping: Collection[str] = (),
    title: str | None = None,
    caption: str | None = None,
    row_rules: bool = False,
    width: int | None = None,
    box: Box = UNICODE_BOX,
) -> str:
    """The table as text, at most `width` columns wide where the columns can shrink that far.

    Only the columns named in `wrapping` (descriptions, values) wrap; the others
    are shortened on one line.
    """
    wraps = [header in wrapping for header in headers]
    widths = _fit(headers, rows, wraps, (width or terminal_width()) - 3 * len(headers) - 1)
    shown = _shortened(rows, widths, wraps)
    lines = []
    total = sum(widths) + 3 * len(widths) + 1
    if title:
        lines.extend(_centre(title, total))
    lines.append(_rule(box.top, widths))
    lines.extend(_row(headers, widths, box, _HEADER_BREAK))
    for index, row in enumerate(shown):
        if index == 0 or row_rules:
            lines.append(_rule(box.header_rule if index == 0 else box.row_rule, widths))
        lines.extend(_row(row, widths, box, _TEXT_BREAK))
    lines.append(_rule(box.bottom, widths))
    if caption:
        lines.extend(_centre(caption, total))
    return "\n".join(line.rstrip() for line in lines)


def render_plain(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The table for a pipe: aligned columns, whole values, one line per row (line breaks
    inside a value shown as spaces), no title or caption, as `kubectl get` prints."""
    cells = [[" ".join(cell.split("\n")) for cell in row] for row in [headers, *rows]]
    widths = [max(display_width(cell) for cell in column) for column in zip(*cells, strict=True)]
    lines = []
    for row in cells:
        padded = [
            cell + " " * (w - display_width(cell)) for cell, w in zip(row, widths, strict=True)
        ]
        lines.append(PLAIN_GAP.join(padded).rstrip())
    return "\n".join(lines)


def _fit(
    headers: Sequence[str], rows: Sequence[Sequence[str]], wraps: Sequence[bool], budget: int
) -> list[int]:
    """Column widths: natural, then shrunk until the table fits the budget.

    Short values (ids, statuses, `default`) are kept whole as long as anything
    else can give. First the widest columns give evenly: wrapping ones down to
    their longest word, one-line ones to their header; then headers break at
    words. Then one-line columns are shortened, the longest first (cutting a cut
    value further loses least), down to a few characters; then anything goes.
    """
    columns = list(zip(headers, *rows, strict=False))
    natural = [max(display_width(cell) for cell in column) for column in columns]
    header_words = [_longest_word(column[:1], _HEADER_BREAK) for column in columns]

    def kept(whole: int) -> list[int]:
        """Floors that keep one-line values up to `whole` wide (and header words) intact."""
        return [
            MIN_COLUMN_WIDTH if wraps[i] else max(header_words[i], min(natural[i], whole))
            for i in range(len(columns))
        ]

    first = [
        max(header_words[i], _longest_word(column[1:], _TEXT_BREAK))
        if wraps[i]
        else max(display_width(column[0]), min(natural[i], KEPT_WHOLE))
        for i, column in enumerate(columns)
    ]
    widths = list(natural)
    for floor, evenly in (
        (first, True),
        (kept(KEPT_WHOLE), True),
        (kept(SHORTEST_KEPT), False),
        ([MIN_COLUMN_WIDTH] * len(columns), False),
    ):
        while sum(widths) > budget:
            slack = [w - f for w, f in zip(widths, floor, strict=True)]
            giving = [i for i in range(len(widths)) if slack[i] > 0]
            if not giving:
                break
            widest = max(giving, key=lambda i: widths[i] if evenly else natural[i])
            widths[widest] -= 1
    return widths


def _shortened(
    rows: Sequence[Sequence[str]], widths: Sequence[int], wraps: Sequence[bool]
) -> list[list[str]]:
    """The rows with each one-line cell cut to its column's width."""
    alike = [not wraps[i] and _start_alike([row[i] for row in rows]) for i in range(len(widths))]
    return [
        [cell if wraps[i] else shorten(cell, widths[i], alike[i]) for i, cell in enumerate(row)]
        for row in rows
    ]


def _start_alike(cells: Sequence[str]) -> bool:
    """Whether a column's cells, not all the same, start with the same text."""
    return len(set(cells)) > 1 and len({cell[:1] for cell in cells}) == 1 and cells[0] != ""


def shorten(cell: str, width: int, start_alike: bool = False) -> str:
    """`cell` in at most `width` columns, an ellipsis standing for what was left out.

    When the column's cells start alike (run names of one pipeline, outputs of one
    step) the start goes, keeping the end that tells the rows apart. Otherwise the
    middle goes, keeping the start and the end.
    """
    if display_width(cell) <= width:
        return cell
    if width <= 1:
        return ELLIPSIS[:width]
    if start_alike:
        return ELLIPSIS + _last(cell, width - 1)
    kept = width - 1
    head = _first(cell, kept // 3)
    return head + ELLIPSIS + _last(cell, kept - display_width(head))


def _first(text: str, width: int) -> str:
    return _split_at(text, width)[0] if width > 0 else ""


def _last(text: str, width: int) -> str:
    return _split_at(text[::-1], width)[0][::-1] if width > 0 else ""


def _longest_word(cells: Sequence[str], breaks: re.Pattern[str]) -> int:
    """The narrowest a column gets without breaking a word of these cells."""
    return max(
        [
            MIN_COLUMN_WIDTH,
            *(display_width(word.strip()) for cell in cells for word in _words(cell, breaks)),
        ]
    )


def _words(cell: str, breaks: re.Pattern[str]) -> list[str]:
    return [word for word in breaks.split(cell) if word]


def _wrap(cell: str, width: int, breaks: re.Pattern[str]) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in _words(cell, breaks):
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


def _row(
    cells: Sequence[str], widths: Sequence[int], box: Box, breaks: re.Pattern[str]
) -> list[str]:
    wrapped = [_wrap(cell, width, breaks) for cell, width in zip(cells, widths, strict=True)]
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
        for line in _wrap(text, max(total, MIN_COLUMN_WIDTH), _TEXT_BREAK)
    ]
