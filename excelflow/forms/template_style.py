"""The look of generated workbooks, read from the clerk's `workbooks/template.xlsx`.

The clerk may restyle the template in Excel: change the title wording (with placeholders such as
`{单位}`), fonts, column widths and order, and add input columns of their own. This module reads
that one sheet with openpyxl (it keeps what a person styled) and returns a `TemplateStyle`;
`generate` draws every unit's workbook from it. A template that cannot be used raises
`TemplateError` naming the file, sheet and cell.

How the sheet is read: the header row is the first row (within the first 30) holding a cell
`序号`; its non-empty cells, left to right, are the columns. The title is the first non-empty
cell above the header row; any other cells above are notes for the clerk and ignored. The row
just below the header row gives the fonts of pre-filled and input cells.

The column vocabulary (header texts) is `headers.py`'s.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from excelflow.errors import TemplateError
from excelflow.forms.headers import (
    ID_HEADER,
    INPUT_HEADERS,
    LEGACY_HEADERS,
    PREFILLED_HEADERS,
    PROGRESS_HEADER,
    REQUIRED_HEADERS,
    TASK_HEADER,
    normalise_header,
)
from excelflow.xlsx import DEFAULT_FONTS, Font, Fonts

PLACEHOLDERS: Mapping[str, str] = {
    "单位": "填报单位名称",
    "年度": "年度,如 2021",
    "轮次": "轮次名称(不含年度),如 上半年、全年",
    "角色": "牵头 或 协办",
    "截止日期": "本表报送截止日期,如 2021年6月25日",
    "政府": "督查室所属的政府,如 成都市人民政府、某某县人民政府(按任务登记表「设置」中的督查室名称)",
}
DEFAULT_WIDTH = 9.0
HEADER_SEARCH_ROWS = 30
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class ColumnStyle:
    header: str
    width: float


@dataclass(frozen=True)
class TemplateStyle:
    """What generate takes from the template: title wording, columns (order, width), fonts."""

    title: str
    columns: tuple[ColumnStyle, ...]
    fonts: Fonts = DEFAULT_FONTS
    source: str = "template.xlsx"

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def extra_inputs(self) -> tuple[str, ...]:
        """Input columns the clerk added (free text, unlocked)."""
        known = set(PREFILLED_HEADERS) | set(INPUT_HEADERS)
        return tuple(h for h in self.headers if h not in known)

    def width(self, header: str, default: float = DEFAULT_WIDTH) -> float:
        for column in self.columns:
            if column.header == header:
                return column.width
        return default

    def render_title(self, values: Mapping[str, str]) -> str:
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.title)

    def digest(self) -> str:
        """Changes whenever anything a generated workbook takes from the template changes."""
        return hashlib.sha256(repr((self.title, self.columns, self.fonts)).encode("utf-8")).hexdigest()[:16]


def load_template_style(path: Path) -> TemplateStyle:
    """Read the clerk's template workbook; raises `TemplateError` (Chinese, names sheet and cell)."""
    # openpyxl (with numpy: 0.16 s and ~30 MiB) is imported here, not above: collection's
    # processes draw rollups through `forms.plan`, which needs `TemplateStyle` but never reads one.
    import openpyxl
    from openpyxl.utils import get_column_letter

    name = path.name
    if not path.is_file():
        raise TemplateError(f"找不到模板文件 {path}。可运行 `excelflow init` 重新放入默认模板。")
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TemplateError(
            f"无法打开模板 {path}:不是有效的 .xlsx 工作簿。"
            "请用 Excel 另存为 .xlsx,或运行 `excelflow init --force` 恢复默认模板。"
        ) from exc
    try:
        sheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
        for sheet in sheets:
            header_row = _find_header_row(sheet)
            if header_row is not None:
                return _read_sheet(sheet, header_row, name, get_column_letter)
        searched = "、".join(f"「{ws.title}」" for ws in sheets) or "(没有可见工作表)"
        raise TemplateError(
            f"模板 {name} 工作表{searched}前 {HEADER_SEARCH_ROWS} 行中找不到表头单元格「{ID_HEADER}」。"
            f"表头行须含「{ID_HEADER}」及{'、'.join(f'「{h}」' for h in REQUIRED_HEADERS[1:])}等列。"
        )
    finally:
        workbook.close()


def _find_header_row(sheet: Any) -> int | None:
    for row in sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS):
        for cell in row:
            if normalise_header(cell.value) == ID_HEADER:
                return int(cell.row)
    return None


def _read_sheet(sheet: Any, header_row: int, name: str, col_letter: Any) -> TemplateStyle:
    where = f"模板 {name} 工作表「{sheet.title}」"
    headers: list[tuple[int, str]] = []
    seen: dict[str, str] = {}
    for cell in sheet[header_row]:
        header = normalise_header(cell.value)
        header = LEGACY_HEADERS.get(header, header)  # a template made before a column was renamed
        if not header:
            continue
        ref = f"{cell.column_letter}{cell.row}"
        if header in seen:
            raise TemplateError(f"{where} 单元格 {seen[header]} 和 {ref} 的表头都是「{header}」,每列表头须唯一。")
        seen[header] = ref
        headers.append((cell.column, header))
    missing = [h for h in REQUIRED_HEADERS if h not in seen]
    if missing:
        hints = []
        for h in missing:
            close = difflib.get_close_matches(h, list(seen), n=1, cutoff=0.5)
            if close:
                hints.append(f"单元格 {seen[close[0]]} 的「{close[0]}」是否应为「{h}」?")
        raise TemplateError(
            f"{where}第 {header_row} 行(表头行)缺少{'、'.join(f'「{h}」' for h in missing)}列。"
            "收集时按表头文字找列,这些列不能删除或改名。" + "".join(hints)
        )

    title_cell = _title_cell(sheet, header_row)
    if title_cell is None:
        raise TemplateError(f"{where} 表头行(第 {header_row} 行)上方没有标题单元格,请在 A1 填写标题。")
    title = str(title_cell.value).strip()
    for match in _PLACEHOLDER.finditer(title):
        if match.group(1) not in PLACEHOLDERS:
            known = "、".join("{" + k + "}" for k in PLACEHOLDERS)
            raise TemplateError(
                f"{where} 单元格 {title_cell.coordinate} 的标题含无法识别的占位符「{match.group(0)}」。"
                f"可用的占位符:{known}。"
            )

    widths = _column_widths(sheet)
    columns = tuple(ColumnStyle(h, widths.get(c, DEFAULT_WIDTH)) for c, h in headers)
    id_col = next(c for c, h in headers if h == ID_HEADER)
    progress_col = next(c for c, h in headers if h == PROGRESS_HEADER)
    task_col = next(c for c, h in headers if h == TASK_HEADER)
    header_cell = sheet.cell(row=header_row, column=id_col)
    fonts = Fonts(
        title=_font(title_cell, DEFAULT_FONTS.title),
        header=_font(header_cell, DEFAULT_FONTS.header),
        body=_font(sheet.cell(row=header_row + 1, column=task_col), DEFAULT_FONTS.body),
        input=_font(sheet.cell(row=header_row + 1, column=progress_col), DEFAULT_FONTS.input),
        header_fill=_fill(header_cell) or DEFAULT_FONTS.header_fill,
        locked_fill=_fill(sheet.cell(row=header_row + 1, column=task_col)) or DEFAULT_FONTS.locked_fill,
    )
    return TemplateStyle(title=title, columns=columns, fonts=fonts, source=name)


def _title_cell(sheet: Any, header_row: int) -> Any | None:
    for row in sheet.iter_rows(min_row=1, max_row=header_row - 1):
        for cell in row:
            if cell.value is not None and str(cell.value).strip():
                return cell
    return None


def _column_widths(sheet: Any) -> dict[int, float]:
    """Column index → width; openpyxl stores runs of equal columns as one min..max dimension."""
    widths: dict[int, float] = {}
    for dim in sheet.column_dimensions.values():
        if dim.width and dim.customWidth and dim.min is not None and dim.max is not None:
            for c in range(dim.min, dim.max + 1):
                widths[c] = _user_width(float(dim.width))
    return widths


def _user_width(stored: float) -> float:
    """The width Excel shows (and xlsxwriter's `set_column` takes) for a width stored in a file.

    Files store the width plus 5 pixels of padding at 7 pixels per character (Calibri 11).
    """
    return round(max(stored - 5 / 7, 0.0), 1)


def _font(cell: Any, default: Font) -> Font:
    # A cell without a style of its own (e.g. the clerk cleared the sample row) says nothing
    # about fonts: keep the default rather than Excel's Calibri.
    font = cell.font
    if not cell.has_style or font is None or not font.name:
        return default
    color = None
    if font.color is not None and font.color.type == "rgb" and isinstance(font.color.rgb, str):
        rgb = font.color.rgb[-6:]
        if rgb.upper() != "000000":
            color = f"#{rgb.upper()}"
    size = float(font.sz) if font.sz else default.size
    return Font(name=str(font.name), size=size, bold=bool(font.b), color=color)


def _fill(cell: Any) -> str | None:
    if not cell.has_style:
        return None
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    color = fill.fgColor
    if color is not None and color.type == "rgb" and isinstance(color.rgb, str):
        rgb = color.rgb[-6:].upper()
        return f"#{rgb}"
    return None
