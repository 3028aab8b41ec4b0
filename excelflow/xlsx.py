"""Shared xlsxwriter helpers: safe workbook options, CJK column widths, formats, print setup.

Every workbook excelflow writes (reporting workbooks, rollups, the comparison workbook, the
distribution list) goes through `new_workbook`, so a unit's text that starts with `=` or looks like
a URL stays text in the 督查室's files. Column widths are measured here because xlsxwriter's
`autofit()` counts a Chinese character as one Latin one and leaves CJK columns half as wide as
they need to be.

Fonts: the family names 宋体 (SimSun), 黑体 (SimHei) and 仿宋 (FangSong) ship with every Chinese
Windows, Excel and WPS, so a government office sees exactly these. Where they are missing
(LibreOffice on Linux, macOS) the office suite substitutes its own CJK font (e.g. WenQuanYi Zen
Hei or PingFang): the layout holds, the glyphs differ slightly.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

SAFE_OPTIONS: dict[str, bool] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
# Excel's limit for an inline list validation ("a,b,c"); longer lists are silently dropped.
INLINE_LIST_LIMIT = 255
LISTS_SHEET = "_lists"
MAX_ROW_HEIGHT = 409.0  # points; Excel's maximum
A4_PAPER = 9
GB2312_CHARSET = 134  # tells Excel/WPS the font is a Chinese one


def new_workbook(target: Path | BytesIO | str, *, in_memory: bool = True) -> Workbook:
    """An xlsxwriter workbook that never turns a unit's text into a formula, link or number."""
    options: dict[str, Any] = dict(SAFE_OPTIONS)
    options["in_memory"] = in_memory
    return xlsxwriter.Workbook(target if isinstance(target, BytesIO) else str(target), options)


@lru_cache(maxsize=65536)
def char_width(char: str) -> int:
    """Display columns of one character: 2 for East-Asian wide/fullwidth, 0 for combining."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


@lru_cache(maxsize=16384)
def line_width(line: str) -> int:
    """Display columns of one line of text (cached: the same texts recur in every workbook)."""
    if line.isascii():
        return len(line)
    return sum(map(char_width, line))


def display_width(text: Any) -> int:
    """Display columns of `text` (its widest line), counting wide/fullwidth characters as 2."""
    if text is None:
        return 0
    return max(map(line_width, str(text).split("\n")))


def wrapped_lines(text: Any, width: float) -> int:
    """How many lines `text` takes in a wrapped cell `width` display columns wide (at least 1)."""
    usable = max(width - 1.0, 1.0)  # cell padding eats about one column
    total = 0
    for line in ("" if text is None else str(text)).split("\n"):
        total += max(1, math.ceil(line_width(line) / usable))
    return max(total, 1)


def row_height(texts_and_widths: Iterable[tuple[Any, float]], *, font_size: float = 11.0,
               min_lines: int = 1) -> float:
    """Row height in points that shows every wrapped text of a row in full.

    Excel does not grow a row for text it did not type itself, and a printed page cuts what the
    row hides, so heights are computed here. Widths are in Excel column units (≈ one Latin
    character of the default 11-point font); a larger font needs proportionally more columns.
    """
    scale = font_size / 11.0
    lines = min_lines
    for text, width in texts_and_widths:
        lines = max(lines, wrapped_lines(text, width / scale))
    return min(MAX_ROW_HEIGHT, round(lines * font_size * 1.45 + 6, 1))


def fit_widths(sheet: Worksheet, rows: Iterable[Sequence[Any]], *, minimum: float = 6,
               maximum: float = 60, padding: float = 2,
               fixed: dict[int, float] | None = None) -> list[float]:
    """Set each column's width to its widest value (CJK-aware), within [minimum, maximum].

    `fixed` maps column index → width for columns the caller sizes itself (e.g. long text that
    should wrap rather than widen the sheet). Returns the widths set.
    """
    widths: list[float] = []
    for row in rows:
        for c, value in enumerate(row):
            while len(widths) <= c:
                widths.append(0.0)
            widths[c] = max(widths[c], float(display_width(value)))
    result: list[float] = []
    for c, width in enumerate(widths):
        if fixed and c in fixed:
            final = fixed[c]
        else:
            final = min(maximum, max(minimum, width + padding))
        sheet.set_column(c, c, final)
        result.append(final)
    return result


@dataclass(frozen=True)
class Font:
    """A font as a workbook names it; `color` is `#RRGGBB` or None for automatic."""

    name: str
    size: float
    bold: bool = False
    color: str | None = None

    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {"font_name": self.name, "font_size": self.size}
        if self.bold:
            props["bold"] = True
        if self.color:
            props["font_color"] = self.color
        if any(char_width(c) == 2 for c in self.name):
            props["font_charset"] = GB2312_CHARSET
        return props


@dataclass(frozen=True)
class Fonts:
    """The fonts of a generated workbook (the clerk's template.xlsx may change every one)."""

    title: Font = Font("黑体", 16)
    header: Font = Font("黑体", 11)
    body: Font = Font("宋体", 11)
    input: Font = Font("宋体", 11)
    header_fill: str = "#D9D9D9"
    locked_fill: str = "#F2F2F2"


DEFAULT_FONTS = Fonts()


@dataclass(frozen=True)
class Formats:
    """The standard cell formats of one workbook (formats belong to the workbook that made them)."""

    title: Any
    subtitle: Any
    header: Any
    locked: Any
    locked_center: Any
    input: Any
    input_center: Any
    input_number: Any
    label: Any
    note: Any
    wrapped: Any
    plain: Any
    extra: dict[str, Any] = field(default_factory=dict)


def standard_formats(workbook: Workbook, fonts: Fonts = DEFAULT_FONTS) -> Formats:
    """Title, header, locked (pre-filled) and input cells, labels, notes, wrapped text."""
    border = {"border": 1, "border_color": "#000000"}
    locked_base = {**fonts.body.properties(), **border, "text_wrap": True, "valign": "vcenter",
                   "locked": True, "bg_color": fonts.locked_fill}
    input_base = {**fonts.input.properties(), **border, "text_wrap": True, "valign": "vcenter",
                  "locked": False}
    add = workbook.add_format
    return Formats(
        title=add({**fonts.title.properties(), "align": "center", "valign": "vcenter",
                   "text_wrap": True, "locked": True}),
        subtitle=add({**fonts.body.properties(), "font_size": max(fonts.body.size - 1, 9),
                      "align": "left", "valign": "vcenter", "text_wrap": True, "locked": True}),
        header=add({**fonts.header.properties(), **border, "align": "center", "valign": "vcenter",
                    "text_wrap": True, "locked": True, "bg_color": fonts.header_fill}),
        locked=add(locked_base),
        locked_center=add({**locked_base, "align": "center"}),
        input=add(input_base),
        input_center=add({**input_base, "align": "center"}),
        input_number=add({**input_base, "align": "center", "num_format": "0"}),
        label=add({**fonts.header.properties(), "align": "right", "valign": "vcenter",
                   "locked": True}),
        note=add({**fonts.body.properties(), "font_size": max(fonts.body.size - 1.5, 9),
                  "font_color": "#595959", "text_wrap": True, "valign": "vcenter", "locked": True}),
        wrapped=add({**fonts.body.properties(), "text_wrap": True, "valign": "top", "locked": True}),
        plain=add({**fonts.body.properties(), "valign": "vcenter", "locked": True}),
    )


def header_footer_text(text: str) -> str:
    """Escape `&`, which starts a control code in Excel headers and footers."""
    return text.replace("&", "&&")


def setup_print(sheet: Worksheet, *, landscape: bool = True, repeat_rows: tuple[int, int] | None = None,
                footer_left: str = "", fit_width: bool = True) -> None:
    """A4, landscape by default, one page wide, page numbers in the footer, narrow margins."""
    sheet.set_paper(A4_PAPER)
    if landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    sheet.center_horizontally()
    if fit_width:
        sheet.fit_to_pages(1, 0)
    if repeat_rows is not None:
        sheet.repeat_rows(*repeat_rows)
    # No font-size codes: `&9` followed by text starting with a digit would read as size 92021.
    left = f"&L{header_footer_text(footer_left)}" if footer_left else ""
    sheet.set_footer(f"{left}&C第 &P 页,共 &N 页", {"margin": 0.3})


def protect(sheet: Worksheet) -> None:
    """Protect a sheet without a password: locked cells stay, unlocked cells can be filled.

    Units may still resize rows and columns (long answers need taller rows) and select any cell;
    anyone can lift the protection (审阅 → 撤销工作表保护) since there is no password.
    """
    sheet.protect("", {
        "format_rows": True,
        "format_columns": True,
        "select_locked_cells": True,
        "select_unlocked_cells": True,
    })


def list_source(workbook: Workbook, choices: Sequence[str], lists: dict[tuple[str, ...], str]) -> list[str] | str:
    """What to pass as a list validation's `source`: inline when short, else a hidden-sheet range.

    `lists` caches ranges already written to the hidden `_lists` sheet of this workbook.
    """
    if len(",".join(choices)) <= INLINE_LIST_LIMIT and not any("," in c for c in choices):
        return list(choices)
    key = tuple(choices)
    if key in lists:
        return lists[key]
    sheet = workbook.get_worksheet_by_name(LISTS_SHEET)
    if sheet is None:
        sheet = workbook.add_worksheet(LISTS_SHEET)
        sheet.hide()
    column = len(lists)
    for r, choice in enumerate(choices):
        sheet.write_string(r, column, choice)
    letter = xlsxwriter.utility.xl_col_to_name(column)
    lists[key] = f"={LISTS_SHEET}!${letter}$1:${letter}${len(choices)}"
    return lists[key]
