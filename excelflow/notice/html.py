"""A saved web page as text: one line per block, scripts and styles left out, task tables read.

Government sites publish the task list as paragraphs or as an HTML table (序号 | 重点任务 | 牵头单位
…, chapter rows spanning the table, a lead cell spanning several rows). A table with a task header
goes through `table.py` like a Word or Excel table (colspan and rowspan count for every position
they cover); any other table (a page laid out with tables) gives its cells' text, line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from excelflow.notice.table import Cell, TableReader, find_header

_BLOCKS = frozenset(
    "p div br li ul ol tr h1 h2 h3 h4 h5 h6 title section article header footer blockquote pre hr dd dt"
    .split())
_HIDDEN = ("script", "style", "noscript", "template")


@dataclass
class _Table:
    rows: list[list[tuple[str, int, int]]] = field(default_factory=list)  # (text, colspan, rowspan)
    row: list[tuple[str, int, int]] | None = None
    cell: list[str] | None = None
    span: tuple[int, int] = (1, 1)


def _span(attrs: list[tuple[str, str | None]], name: str) -> int:
    value = dict(attrs).get(name) or "1"
    return max(1, min(int(value), 50)) if value.strip().isdigit() else 1


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.tables: list[_Table] = []

    def _out(self, text: str) -> None:
        table = self.tables[-1] if self.tables else None
        if table is not None and table.cell is not None:
            table.cell.append(text)
        elif table is None:
            self.parts.append(text)
        # text between a table's cells (stray whitespace) is not the reader's

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "table":
            self._out("\n")
            self.tables.append(_Table())
        elif self.tables and tag == "tr":
            self._end_row()
            self.tables[-1].row = []
        elif self.tables and tag in ("td", "th"):
            table = self.tables[-1]
            self._end_cell()
            if table.row is None:
                table.row = []
            table.cell, table.span = [], (_span(attrs, "colspan"), _span(attrs, "rowspan"))
        elif tag in _BLOCKS:
            self._out("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "table" and self.tables:
            self._end_row()
            lines = _table_lines(self.tables.pop())
            self._out("\n" + "\n".join(lines) + "\n")
        elif self.tables and tag in ("td", "th"):
            self._end_cell()
        elif self.tables and tag == "tr":
            self._end_row()
        elif tag in _BLOCKS:
            self._out("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            # The page source's own line breaks are not the reader's: browsers join them.
            self._out(re.sub(r"[ \t]*\n\s*", "", data))

    def _end_cell(self) -> None:
        table = self.tables[-1]
        if table.cell is None:
            return
        text = re.sub(r"\n{2,}", "\n", "".join(table.cell)).strip()
        if table.row is None:
            table.row = []
        table.row.append((text, *table.span))
        table.cell = None

    def _end_row(self) -> None:
        table = self.tables[-1]
        self._end_cell()
        if table.row is not None:
            table.rows.append(table.row)
            table.row = None


def _grid(table: _Table) -> list[list[Cell]]:
    """Rows of (owner, text) with colspan and rowspan filled in."""
    grid: list[list[Cell]] = []
    pending: dict[int, tuple[object, str, int]] = {}  # column → (owner, text, rows still covered)
    for row in table.rows:
        out: list[Cell] = []
        cells = iter(row)
        column = 0
        while True:
            if column in pending:
                owner, text, left = pending[column]
                out.append((owner, text))
                if left <= 1:
                    del pending[column]
                else:
                    pending[column] = (owner, text, left - 1)
                column += 1
                continue
            cell = next(cells, None)
            if cell is None:
                break
            text, colspan, rowspan = cell
            owner = object()
            for k in range(colspan):
                out.append((owner, text))
                if rowspan > 1:
                    pending[column + k] = (owner, text, rowspan - 1)
            column += colspan
        for column in sorted(c for c in pending if c >= len(out)):
            owner, text, left = pending.pop(column)
            out.append((owner, text))
            if left > 1:
                pending[column] = (owner, text, left - 1)
        grid.append(out)
    return grid


def _table_lines(table: _Table) -> list[str]:
    grid = _grid(table)
    if any(find_header(row) for row in grid):
        reader = TableReader()
        reader.feed(grid)
        return reader.lines
    # A layout table, or a table of something else: its cells' text, as the page shows it.
    lines: list[str] = []
    for row in grid:
        seen: set[object] = set()
        for owner, text in row:
            if owner not in seen and text:
                seen.add(owner)
                lines.append(text)
    return lines


def html_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    while parser.tables:  # a table the page never closed
        parser._end_row()
        parser.parts.append("\n" + "\n".join(_table_lines(parser.tables.pop())) + "\n")
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts))
