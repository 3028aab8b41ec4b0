"""Open a returned workbook from memory and find its entry rows by task id, not by position.

Units rename sheets, insert, delete and reorder rows, add columns, merge cells, save from WPS
with a wrong sheet dimension record, and retype the whole form. What stays put is the text of
the header cells and the task id in the `序号` column, so that is how rows are found:

- the header row is the row holding `序号` and the input headers (compared after NFKC, without
  spaces or line breaks, so `完成进度（%）` and `完成进度\\n(%)` match); a header cell merged
  over two rows is looked for in the rows just above;
- an entry row is a row below it whose `序号` cell reads as a task id (`1.0`, `'1'`, `１`);
  rows with anything else there (section titles, a rollup's co-unit detail rows) are not entries.

Nothing here judges the values; `validate.py` does. Limits keep a hostile file from exhausting
memory: a size cap on the file, what the workbook declares checked before the reader allocates
it (`declared.py`: every part's unpacked size, each sheet's grid, shared strings), and a row cap
per sheet.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import python_calamine

from excelflow.forms.headers import (
    ID_HEADER,
    INPUT_HEADERS,
    LEGACY_HEADERS,
    NEXT_HEADER,
    PERCENT_HEADER,
    PREFILLED_HEADERS,
    PROBLEMS_HEADER,
    PROGRESS_HEADER,
    REMARKS_HEADER,
    STATUS_HEADER,
    TASK_HEADER,
    normalise_header,
)
from excelflow.intake.declared import MAX_UNPACKED_BYTES, Damaged, Declared, DeclaredTooLarge, check_declared
from excelflow.intake.kinds import (
    ENCRYPTED,
    ZIP_EMPTY_MAGIC,
    ZIP_MAGIC,
    Sniffed,
    WorkbookUnreadable,
    open_zip,
    sniff,
    zip_kind,
)
from excelflow.register.cells import parse_task_id

__all__ = ["MAX_UNPACKED_BYTES", "WorkbookUnreadable"]

# A return is ~20 KB, a 101-task rollup ~100 KB; pasted photos can make one a few MB. Parsing costs
# about 2.4 bytes of memory per byte of sheet XML (measured: 77 MB of XML, 185 MB peak), so these
# caps keep one hostile file well under half a GB and refuse it with a message instead.
MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_ROWS = 20_000                       # rows read per sheet; a rollup of 101 tasks × 25 units fits
MAX_COLUMNS = 100
HEADER_SEARCH_ROWS = 40

# Header texts as units actually retype them, mapped to the contract's (all after normalise_header).
_HEADER_VARIANTS: dict[str, str] = {
    "序号": ID_HEADER, "编号": ID_HEADER,
    "完成状态": STATUS_HEADER, "状态": STATUS_HEADER, "进展状态": STATUS_HEADER, "完成情况": STATUS_HEADER,
    "完成进度(%)": PERCENT_HEADER, "完成进度": PERCENT_HEADER, "完成进度%": PERCENT_HEADER,
    "进度(%)": PERCENT_HEADER, "完成比例(%)": PERCENT_HEADER, "完成率(%)": PERCENT_HEADER,
    "进展情况": PROGRESS_HEADER, "工作进展": PROGRESS_HEADER, "进展情况说明": PROGRESS_HEADER,
    "存在问题": PROBLEMS_HEADER, "存在的问题": PROBLEMS_HEADER, "存在问题及原因": PROBLEMS_HEADER,
    "下步打算": NEXT_HEADER, "下一步打算": NEXT_HEADER, "下步工作打算": NEXT_HEADER, "下一步工作打算": NEXT_HEADER,
    "备注": REMARKS_HEADER,
    "任务内容": TASK_HEADER, "重点任务": TASK_HEADER, "工作任务": TASK_HEADER, "任务": TASK_HEADER,
    # the pre-filled columns, read back for the identity fingerprint (also as earlier versions named them)
    **{h: h for h in PREFILLED_HEADERS}, **LEGACY_HEADERS,
}
# A row is the header row when it holds 序号 and at least this many input headers.
_MIN_INPUT_HEADERS = 2
# So a header row has values in this many columns at least: 序号 and the input headers, each in
# a column of its own.
FORM_MIN_COLUMNS = _MIN_INPUT_HEADERS + 1


@dataclass(frozen=True)
class SheetData:
    name: str
    index: int
    rows: list[list[Any]]  # from A1, calamine values ('' for empty, floats for numbers)
    truncated: bool = False  # more than MAX_ROWS rows: the rest was not read


@dataclass(frozen=True)
class Header:
    """The header row of a data sheet: 0-based row index and the column of each known header."""

    row: int
    columns: dict[str, int]  # contract header text → 0-based column
    extra: tuple[int, ...] = ()  # unknown header columns (the clerk's own inputs, a unit's additions)


@dataclass(frozen=True)
class RowFound:
    """One entry row: where it is and the values of its known columns."""

    sheet: str
    sheet_index: int
    row: int  # 1-based, as Excel shows it
    task_id: int
    values: dict[str, Any] = field(default_factory=dict)  # contract header text → raw value
    refs: dict[str, str] = field(default_factory=dict)  # contract header text → A1 reference


class Workbook:
    """A workbook opened from memory; sheets are read on demand and kept."""

    def __init__(self, data: bytes, path: str):
        self.path = path
        declared = _check_container(data, path)
        # How far right each sheet holds values (from the scan before reading): a sheet narrower
        # than a header row can be is never read in search of one (a form's 填报说明, 2 columns).
        self._widths: dict[str, int] = {}
        for size in declared.sheets:
            self._widths[size.name] = max(size.columns, self._widths.get(size.name, 0))
        try:
            self._book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        except python_calamine.PasswordError as exc:
            raise WorkbookUnreadable(_ENCRYPTED) from exc
        except Exception as exc:  # calamine raises several types (and plain ones) for damaged files
            raise WorkbookUnreadable(_damaged(exc)) from exc
        self.sheet_names: list[str] = list(self._book.sheet_names)
        self._cache: dict[str, SheetData] = {}

    def may_hold_header(self, name: str) -> bool:
        """False only for a sheet whose values all lie left of `FORM_MIN_COLUMNS` columns: it
        cannot hold a header row (`find_header`), so it need not be read to look for one."""
        width = self._widths.get(name)
        return width is None or width >= FORM_MIN_COLUMNS

    def sheet(self, name: str) -> SheetData:
        if name not in self._cache:
            index = self.sheet_names.index(name)
            try:
                sheet = self._book.get_sheet_by_name(name)
                rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS + 1)
            except python_calamine.PasswordError as exc:
                raise WorkbookUnreadable(_ENCRYPTED) from exc
            except Exception as exc:
                raise WorkbookUnreadable(_damaged(exc, name)) from exc
            truncated = len(rows) > MAX_ROWS
            rows = [list(r[:MAX_COLUMNS]) for r in rows[:MAX_ROWS]]
            self._cache[name] = SheetData(name, index, rows, truncated)
        return self._cache[name]


_XLS_FILEPASS = re.compile(rb"\x09\x08\x10\x00.{16}\x2f\x00", re.DOTALL)
_ENCRYPTED = ENCRYPTED


def _damaged(exc: BaseException, sheet: str | None = None) -> str:
    where = f"工作表「{sheet}」" if sheet else "文件"
    return (f"{where}已损坏或不是有效的 Excel/WPS 工作簿,无法读取。"
            "请让填报单位用 Excel 或 WPS 打开后另存为 .xlsx 重新报送。")


def _check_container(data: bytes, path: str) -> Declared:
    """Reject, with a reason a clerk can pass on, what is not a workbook, is too big, or declares
    more than a reader may allocate (checked before the reader sees a byte)."""
    if len(data) > MAX_FILE_BYTES:
        raise WorkbookUnreadable(
            f"文件大小 {len(data) / 1048576:.0f} MB,超过上限 {MAX_FILE_BYTES // 1048576} MB,未读取。"
            "请让填报单位删除表中的图片或多余内容后重新报送。")
    # A zip's directory is read once, for what it holds and for what it declares.
    archive = open_zip(data) if data.startswith((ZIP_MAGIC, ZIP_EMPTY_MAGIC)) else None
    try:
        sniffed = Sniffed(zip_kind(archive)) if archive is not None else sniff(data, path)
        if not sniffed.workbook:
            raise WorkbookUnreadable(sniffed.message)
    except BaseException:
        if archive is not None:
            archive.close()
        raise
    # An encrypted .xls: the workbook stream's BOF record is followed by a FILEPASS record.
    if sniffed.kind == "ole" and _XLS_FILEPASS.search(data):
        raise WorkbookUnreadable(_ENCRYPTED)
    try:
        return check_declared(data, sniffed.kind, archive)
    except DeclaredTooLarge as exc:
        raise WorkbookUnreadable(str(exc)) from exc
    except Damaged as exc:
        raise WorkbookUnreadable(_ENCRYPTED if str(exc) == _ENCRYPTED else _damaged(exc.__cause__ or exc)) from exc


# -- header and rows ------------------------------------------------------------------------------
def canonical_header(value: Any) -> str | None:
    """The contract header text a header cell stands for, or None."""
    if not isinstance(value, str) or not value or len(value) > 30:
        return None  # headers are short text; numbers, dates and long notes are not
    return _canonical_text(value)


@functools.lru_cache(maxsize=4096)
def _canonical_text(value: str) -> str | None:
    text = normalise_header(value).replace("（", "(").replace("）", ")")
    text = text.strip(":*")  # `完成状态*` marks a required column in some retyped forms
    return _HEADER_VARIANTS.get(text)


def find_header(rows: Sequence[Sequence[Any]]) -> Header | None:
    """The header row: the first row (within HEADER_SEARCH_ROWS) with 序号 and input headers."""
    best: Header | None = None
    for r in range(min(len(rows), HEADER_SEARCH_ROWS)):
        columns: dict[str, int] = {}
        extra: list[int] = []
        for c, value in enumerate(rows[r]):
            header = canonical_header(value)
            if header is not None:
                columns.setdefault(header, c)
            elif str(value).strip():
                extra.append(c)
        inputs = sum(1 for h in INPUT_HEADERS if h in columns)
        if inputs < _MIN_INPUT_HEADERS:
            continue
        # A header cell merged over two rows holds its text only in the upper row.
        for above in (r - 1, r - 2):
            if above < 0:
                break
            for c, value in enumerate(rows[above]):
                header = canonical_header(value)
                if header is not None and header not in columns and c not in columns.values():
                    columns[header] = c
        if ID_HEADER in columns:
            best = Header(row=r, columns=columns, extra=tuple(c for c in extra if c not in columns.values()))
            break
    return best


def entry_rows(sheet: SheetData, header: Header) -> list[RowFound]:
    """Every row below the header whose 序号 cell is a task id, in sheet order."""
    id_col = header.columns[ID_HEADER]
    out: list[RowFound] = []
    for r in range(header.row + 1, len(sheet.rows)):
        row = sheet.rows[r]
        if id_col >= len(row):
            continue
        task_id = parse_task_id(row[id_col])
        if task_id is None:
            continue
        values = {h: (row[c] if c < len(row) else "") for h, c in header.columns.items()}
        refs = {h: a1(r, c) for h, c in header.columns.items()}
        out.append(RowFound(sheet.name, sheet.index, r + 1, task_id, values, refs))
    return out


def prefilled_values(sheet: SheetData, header: Header, row: int) -> list[Any]:
    """The locked cells of a 1-based row, in the canonical order the identity fingerprint uses."""
    cells = sheet.rows[row - 1] if 0 < row <= len(sheet.rows) else []
    return [cells[header.columns[h]] if header.columns[h] < len(cells) else ""
            for h in PREFILLED_HEADERS if h in header.columns]


def header_block_text(sheet: SheetData, header: Header | None) -> str:
    """All text above the header row (title, 填报单位 line), joined; used for round and role hints."""
    stop = header.row if header else min(len(sheet.rows), 5)
    return " ".join(cell_text(v) for row in sheet.rows[:stop] for v in row if cell_text(v))


def title_ref(sheet: SheetData, header: Header | None) -> str:
    """A1 reference of the sheet's title: the first non-empty cell above the header row (else A1)."""
    stop = header.row if header else min(len(sheet.rows), 5)
    for r in range(stop):
        for c, value in enumerate(sheet.rows[r]):
            if cell_text(value):
                return a1(r, c)
    return "A1"


# Not a bare `单位`: retyped forms write `单位:万元` (a unit of measure) in the same place.
_UNIT_LABELS = ("填报单位", "报送单位", "单位名称", "填报单位(盖章)")
_LABEL_SPLIT = re.compile(r"^(填报单位|报送单位|单位名称)(?:\(盖章\))?[:：]\s*(.+)$")


def header_block_unit(sheet: SheetData, header: Header | None) -> tuple[str, str] | None:
    """The unit name typed in the header block (`填报单位` | name, or `填报单位:name`) and its cell."""
    stop = header.row if header else min(len(sheet.rows), HEADER_SEARCH_ROWS)
    for r in range(stop):
        row = sheet.rows[r]
        for c, value in enumerate(row):
            text = unicodedata.normalize("NFKC", cell_text(value)).strip()
            if not text:
                continue
            label = re.sub(r"\s+", "", text).rstrip(":")
            if label in _UNIT_LABELS:
                for c2 in range(c + 1, len(row)):
                    name = cell_text(row[c2]).strip()
                    if name:
                        return name, a1(r, c2)
                continue
            match = _LABEL_SPLIT.match(re.sub(r"\s+", "", text))
            if match:
                return match.group(2).strip(), a1(r, c)
    return None


# -- cells ----------------------------------------------------------------------------------------
def a1(row: int, col: int) -> str:
    """A1-style reference of a 0-based (row, column)."""
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


_EXCEL_EPOCH = datetime(1899, 12, 30)


def cell_text(value: Any) -> str:
    """A cell as a person reads it: whole numbers without `.0`, dates as dates, text stripped."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(_EXCEL_EPOCH + value)
    if isinstance(value, time):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()
