"""A task table kept in a workbook (.xlsx, .xls, .ods, .et) as the lines of a typed notice.

Offices very often receive or keep the breakdown as a spreadsheet: a title and 文号 above a header
row (序号 / 重点任务 / 牵头单位 / 责任单位 / 完成时限), chapter rows merged across, sometimes one
sheet per chapter. Each visible sheet with a task header is read with python-calamine (the
workbook reader of the whole project: .xlsx, .xls, .ods, and WPS's .et, told from the bytes);
its rows go through `table.py`. Cells merged down a column (a lead unit for several tasks) count
for every row they cover where the file records its merges (.xlsx, .xls; calamine gives none for
.ods). Sheets without a task header (说明, a cover) are left out.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from excelflow.errors import NoticeError
from excelflow.notice.labels import chinese_numeral
from excelflow.notice.table import Cell, TableReader, cell_text

_MAX_ROWS = 5000  # rows read per sheet: a task list has a few hundred at most
_MAX_COLUMNS = 40
_DEFAULT_SHEET_NAME = re.compile(r"^(?:sheet|工作表|表)\s*\d*$", re.I)
_HEAD = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.]|第[一二三四五六七八九十]{1,3}(?:部分|章|篇))")


def workbook_text(data: bytes, name: str) -> str:
    """The task tables of a workbook as notice lines; `name` (quoted) goes into every error."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for every unreadable file
        raise NoticeError(f"{name}不是能打开的工作簿,可能已损坏或加了密码;请在 Excel/WPS 中打开后另存为 .xlsx") from exc
    sheets: list[tuple[str, list[str], list[str]]] = []  # (sheet name, head lines, task lines)
    for meta in book.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
            continue
        try:
            sheet = book.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False, nrows=_MAX_ROWS)
            merged = sheet.merged_cell_ranges or []
        except Exception:  # noqa: BLE001 - one unreadable sheet (a chart sheet) must not lose the others
            continue
        reader = TableReader()
        head: list[str] = []
        for row in _grid(rows, merged):
            before = reader.header
            reader.feed([row])
            if before is None and reader.header is None:
                head = list(reader.lines)
        if reader.header is not None:
            sheets.append((str(meta.name), head, reader.lines[len(head):]))
    if not sheets:
        raise NoticeError(
            f"{name}是工作簿,但没有找到任务表:表头应有「序号」「重点任务」(或「工作任务」)和「牵头单位」"
            "(或「责任单位」)等列;请检查表头,或提供通知的文字版(.txt 或 .docx)")
    if not any(body for _, _, body in sheets):
        raise NoticeError(f"{name}是工作簿,有任务表的表头,但表头下面没有任务行")
    lines = list(sheets[0][1])
    chapter = 0
    for sheet_name, head, body in sheets:
        if len(sheets) > 1 and not any(_HEAD.match(line) for line in body):
            # One sheet per chapter: the sheet's name (or its title row) names the chapter.
            title = sheet_name if not _DEFAULT_SHEET_NAME.match(sheet_name) else (head[-1] if head else sheet_name)
            chapter += 1
            lines.append(f"{chinese_numeral(chapter)}、{title}")
        chapter += sum(1 for line in body if _HEAD.match(line))
        lines.append("")
        lines += body
    return "\n".join(lines)


def _grid(rows: Sequence[Sequence[Any]], merged: Sequence[tuple[tuple[int, int], tuple[int, int]]]) -> list[list[Cell]]:
    """Rows of (owner, text); the cells of a merged area share one owner and the area's text."""
    owners: dict[tuple[int, int], tuple[object, str]] = {}
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= _MAX_COLUMNS:
            continue
        first = rows[r0][c0] if c0 < len(rows[r0]) else ""
        owner = object()
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, _MAX_COLUMNS - 1) + 1):
                owners[(r, c)] = (owner, cell_text(first))
    grid: list[list[Cell]] = []
    for r, values in enumerate(rows):
        row: list[Cell] = []
        for c, value in enumerate(values[:_MAX_COLUMNS]):
            row.append(owners.get((r, c)) or (object(), cell_text(value)))
        grid.append(row)
    return grid
