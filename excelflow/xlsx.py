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
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from excelflow import xlsx_fast

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
    # The fast paths (same bytes) unless this xlsxwriter is a version they were not checked with.
    make = xlsx_fast.FastWorkbook if xlsx_fast.ENABLED else xlsxwriter.Workbook
    return make(target if isinstance(target, BytesIO) else str(target), options)


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
    if isinstance(text, str):
        return _wrapped_text_lines(text, width)
    return _wrapped_lines(text, width)


@lru_cache(maxsize=65536)
def _wrapped_text_lines(text: str, width: float) -> int:
    # Cached: a rollup asks about every cell of every row, and most of its texts (unit names,
    # states, statuses) recur in every rollup of the round.
    return _wrapped_lines(text, width)


def _wrapped_lines(text: Any, width: float) -> int:
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


def write_cells(sheet: Worksheet, row: int, first_col: int, cells: Sequence[tuple[Any, Any]]) -> None:
    """Each (value, format) of `cells` from column `first_col` of `row`: an int or float as a
    number, None as a blank cell in its format, anything else as text (`str(value)`, even "")."""
    if isinstance(sheet, xlsx_fast.FastWorksheet):
        sheet.write_cells(row, first_col, cells)
    else:
        xlsx_fast.write_cells_one_by_one(sheet, row, first_col, cells)


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
        # Notes and subtitles keep the body's size (grey sets them apart): a sheet fitted to the
        # page shrinks every size alike, and the smallest must still print at 9 pt.
        subtitle=add({**fonts.body.properties(),
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
        note=add({**fonts.body.properties(), "font_color": "#595959", "text_wrap": True, "valign": "vcenter", "locked": True}),
        wrapped=add({**fonts.body.properties(), "text_wrap": True, "valign": "top", "locked": True}),
        plain=add({**fonts.body.properties(), "valign": "vcenter", "locked": True}),
    )


# -- printing legibly on A4 -------------------------------------------------------------------------
# Body text must print at 9 pt or more (tests/test_print_size.py measures it on pages LibreOffice
# renders). LibreOffice lays a column of width w (Excel units) out as about 7w + 5 points, a third
# wider than Excel and WPS do (its stand-in for Calibri has wider digits), so a sheet sized to print
# legibly there prints at least as large in Excel and WPS.
MIN_PRINT_PT = 9.0
PRINT_MARGIN_LR = 0.5  # inches, left and right (`setup_print`)
_PAGE_POINTS = {True: (841.89, 595.28), False: (595.28, 841.89)}  # A4 (width, height) by landscape


def column_points(width: float) -> float:
    """Printed width in points of a column `width` Excel units wide, as LibreOffice lays it out."""
    return 7.0 * width + 5.0


def printable_width(landscape: bool) -> float:
    """Points across an A4 page inside `setup_print`'s margins."""
    return _PAGE_POINTS[landscape][0] - 2 * 72 * PRINT_MARGIN_LR


def printable_height(landscape: bool) -> float:
    """Points down an A4 page inside `setup_print`'s margins (the footer sits in the bottom one)."""
    return _PAGE_POINTS[landscape][1] - 72 * (0.6 + 0.7)


def print_scale(widths: Sequence[float], landscape: bool) -> float:
    """The scale one-page-wide printing applies to columns of `widths` (1.0: no shrinking)."""
    total = sum(column_points(w) for w in widths)
    return min(1.0, printable_width(landscape) / total) if total else 1.0


def printed_size(widths: Sequence[float], landscape: bool, font_size: float) -> float:
    """The size `font_size` text prints at when the sheet is fitted to the page width."""
    return font_size * print_scale(widths, landscape)


def fit_page_width(widths: Sequence[float], landscape: bool, font_size: float, flexible: Iterable[int],
                   minimum: float = MIN_PRINT_PT + 0.6, floor: float = 6.0) -> list[float]:
    """`widths` with the `flexible` (wrapping text) columns narrowed just enough for `font_size`
    text to print at `minimum` points or more on one page width; unchanged when it already does.
    The default `minimum` leaves room for LibreOffice, which rounds its fit-to-width scale down
    (a sheet computed at 93% printed at 90%).

    Narrow columns stay as they are (a 序号 or a status does not wrap well); the wrapping ones give
    up width in proportion to theirs, down to `floor`. Row heights must be computed afterwards,
    from the widths returned.
    """
    out = [float(w) for w in widths]
    flex = [i for i in dict.fromkeys(flexible) if 0 <= i < len(out)]
    budget = printable_width(landscape) * font_size / minimum  # points the columns may take
    for _ in range(4):  # the floor may stop a column; spread what is left over the others
        excess = sum(column_points(w) for w in out) - budget
        room = [i for i in flex if out[i] > floor]
        if excess <= 0 or not room:
            break
        share = sum(out[i] for i in room)
        for i in room:
            out[i] = max(floor, out[i] - excess / 7.0 * out[i] / share)
    return [round(w, 2) for w in out]


def page_starts(heights: Sequence[float], landscape: bool, repeated: float = 0.0, before: float = 0.0,
                scale: float = 1.0) -> list[int]:
    """Indices into `heights` (consecutive rows) of the rows that begin a new printed page.

    Computed at print `scale` with the header rows repeated on every page (`repeated` points) and
    `before` points above the first row on page one. A sheet that sets these as manual page breaks
    knows which rows continue a task on a new page (and can say so on them).
    """
    room = printable_height(landscape) / scale - repeated - 24.0  # slack for the application's rounding
    starts: list[int] = []
    used = before
    for i, h in enumerate(heights):
        if used + h > room and used > 0:
            starts.append(i)
            used = 0.0
        used += h
    return starts


def close_with_growing_rows(workbook: Workbook, buffer: BytesIO, sheet_rows: Mapping[int, Iterable[int]]) -> bytes:
    """Close `workbook` (written into `buffer`) and return its bytes, the given rows' heights not
    marked as set by hand (`auto_height_rows`). A fast workbook's sheets write them so at once;
    any other workbook's bytes are changed after."""
    sheets = workbook.worksheets()
    rows = {n: set(r) for n, r in sheet_rows.items()}
    if all(0 < n <= len(sheets) and isinstance(sheets[n - 1], xlsx_fast.FastWorksheet) for n in rows):
        for n, wanted in rows.items():
            sheets[n - 1].auto_height_rows.update(wanted)
        workbook.close()
        return buffer.getvalue()
    workbook.close()
    return auto_height_rows(buffer.getvalue(), rows)


def auto_height_rows(data: bytes, sheet_rows: Mapping[int, Iterable[int]]) -> bytes:
    """The workbook `data` with the given rows' heights no longer marked as set by hand.

    `sheet_rows` maps a 1-based worksheet number (its order in the workbook) to 0-based rows. Such
    a row keeps the height computed for its pre-filled text, but Excel and WPS treat it as an
    automatic row and make it taller as the unit types a long answer (a row whose height was set
    by hand keeps it and cuts the text in print). xlsxwriter can only write set-by-hand heights:
    `xlsx_fast`'s sheets leave the mark out as they write (`close_with_growing_rows`); for any
    other workbook it is taken out of the sheet XML here and the zip written again.
    """
    wanted = {f"xl/worksheets/sheet{n}.xml": {r + 1 for r in rows} for n, rows in sheet_rows.items()}
    changed: dict[str, bytes] = {}
    with zipfile.ZipFile(BytesIO(data)) as src:
        present = set(src.namelist())
        for name, rows in wanted.items():
            if not rows or name not in present:
                continue
            body = src.read(name)
            stripped = xlsx_fast.without_hand_set_heights(body.decode("utf-8"), rows).encode("utf-8")
            if stripped != body:
                changed[name] = stripped
    return replace_members(data, changed) if changed else data


def replace_members(data: bytes, changed: Mapping[str, bytes]) -> bytes:
    """The zip `data` with the members named in `changed` holding the new bytes: every member
    written again by `zipfile` (deflated at its default level, as xlsxwriter writes them), in the
    same order with the same headers. A name in `changed` that the zip lacks is a KeyError."""
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        missing = set(changed) - set(src.namelist())
        if missing:
            raise KeyError(f"no member {sorted(missing)[0]!r} in the zip")
        for info in src.infolist():
            body = changed.get(info.filename)
            dst.writestr(info, src.read(info.filename) if body is None else body)
    return out.getvalue()


def header_footer_text(text: str) -> str:
    """Escape `&`, which starts a control code in Excel headers and footers."""
    return text.replace("&", "&&")


def write_record_sheet(sheet: Worksheet, fmt: Formats, title: str, headers: Sequence[str],
                       rows: Sequence[Sequence[str | int]], styles: Sequence[Any], *, maximum: float,
                       footer: str) -> None:
    """A record the clerk reads row by row and filters (the mail fetch and send records): the
    title over the columns, the header row, one row per record (numbers centred, text in that
    row's style from `styles`), widths fitted, the header frozen and filtered, printed with it
    repeated on every page."""
    sheet.merge_range(0, 0, 0, len(headers) - 1, title, fmt.title)
    sheet.set_row(0, 28)
    sheet.write_row(1, 0, headers, fmt.header)
    for r, (row, style) in enumerate(zip(rows, styles), start=2):
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value, fmt.locked_center)
            else:
                sheet.write_string(r, c, value, style)
    fit_widths(sheet, [headers, *rows], minimum=6, maximum=maximum)
    sheet.freeze_panes(2, 0)
    if rows:
        sheet.autofilter(1, 0, len(rows) + 1, len(headers) - 1)
    setup_print(sheet, repeat_rows=(1, 1), footer_left=footer)


def setup_print(sheet: Worksheet, *, landscape: bool = True, repeat_rows: tuple[int, int] | None = None,
                footer_left: str = "", fit_width: bool = True) -> None:
    """A4, landscape by default, one page wide, page numbers in the footer, narrow margins."""
    sheet.set_paper(A4_PAPER)
    if landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_margins(left=PRINT_MARGIN_LR, right=PRINT_MARGIN_LR, top=0.6, bottom=0.7)
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
