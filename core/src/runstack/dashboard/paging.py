"""Pages of a long list of runs: which slice to read, and links to the neighbouring pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from runstack.errors import ConfigError

PAGE_SIZE = 50


@dataclass(frozen=True)
class Paging:
    """Page `number` (from 1) of `total` items; `filters` are kept in every page's link."""

    number: int
    total: int
    filters: tuple[tuple[str, str], ...] = ()
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_shown(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_shown(self) -> int:
        return min(self.total, self.offset + self.size)

    def query(self, number: int) -> str:
        """The query string of page `number` with the same filters."""
        return urlencode([*self.filters, ("page", str(number))])


def page_number(text: str | None) -> int:
    """The `page` a request asks for: 1 when not given; a clear error for anything but 1, 2, ...
    (up to nine digits, which keeps the offset within what a database's integers hold)."""
    if text is None or text == "":
        return 1
    if not re.fullmatch(r"[1-9][0-9]{0,8}", text):
        raise ConfigError(f"page must be a whole number from 1, not {text!r}")
    return int(text)
