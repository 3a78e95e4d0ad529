"""Reading pages in tests: the visible text of ``<main>`` and the cells of its tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from werkzeug.test import TestResponse

_SPACE = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@dataclass
class Table:
    caption: str = ""
    rows: list[list[str]] = field(default_factory=list)

    def row(self, first_cell: str) -> list[str]:
        """The row whose first cell is ``first_cell``."""
        for row in self.rows:
            if row and row[0] == first_cell:
                return row
        raise AssertionError(f"no row {first_cell!r} in {self.caption!r}: {self.rows}")


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.in_main = False
        self.text: list[str] = []
        self.tables: list[Table] = []
        self._stack: list[Table] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.in_main = True
        elif tag == "table":
            self._stack.append(Table())
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._stack:
            self._stack[-1].rows.append([])
        elif tag in ("td", "th") and self._stack:
            self._cell = []
        if tag in ("br", "p", "li", "td", "th", "dt", "dd", "h1", "h2", "h3", "option"):
            self.text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.in_main = False
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag == "caption" and self._caption is not None and self._stack:
            self._stack[-1].caption = _clean("".join(self._caption))
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._stack:
            self._stack[-1].rows[-1].append(_clean("".join(self._cell)))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self.in_main:
            self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)


def _parse(response: TestResponse) -> _PageParser:
    parser = _PageParser()
    parser.feed(response.get_data(as_text=True))
    return parser


def page_text(response: TestResponse) -> str:
    """The visible text of the page's ``<main>``, whitespace collapsed."""
    return _clean("".join(_parse(response).text))


def tables(response: TestResponse) -> list[Table]:
    """Every table of the page with its caption and cell texts."""
    return _parse(response).tables


def table(response: TestResponse, caption: str) -> Table:
    """The one table whose caption contains ``caption``."""
    found = [table for table in tables(response) if caption in table.caption]
    assert len(found) == 1, (
        f"{len(found)} tables with {caption!r}: {[t.caption for t in tables(response)]}"
    )
    return found[0]


def body_rows(table: Table) -> list[list[str]]:
    """The rows after the header row."""
    return table.rows[1:]
