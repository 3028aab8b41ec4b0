"""Generated workbooks in a real LibreOffice: they open, and a filled one keeps its identity.

LibreOffice is what many units' offices (and WPS, which behaves alike here) save returns with;
a return saved as .xlsx, .xls or .ods must still say which unit, round and rows it holds.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from generate_helpers import header_index
from office import convert, requires_office
from python_calamine import CalamineWorkbook

from excelflow.forms import identity as ident
from excelflow.forms.generate import generate_round
from excelflow.forms.headers import PREFILLED_HEADERS
from excelflow.forms.plan import entry_fingerprint
from excelflow.register.campaign import default_register
from excelflow.workspace import Workspace

pytestmark = [requires_office, pytest.mark.office]
NOW = datetime(2021, 6, 1, 9, 0)
FILLED = {"完成状态": "序时推进", "完成进度(%)": 60, "进展情况": "已召开链长制调度会 3 次,签约项目 6 个。",
          "存在问题": "用地指标紧张", "下步打算": "加快项目落地"}


def read_all(path: Path) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_filelike(BytesIO(path.read_bytes()))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def check_identity_survives(original: ident.Identity, saved: Path) -> dict[str, list[list[Any]]]:
    """The saved file's identity equals the original's and every fingerprint still matches."""
    sheets = read_all(saved)
    assert ident.IDENTITY_SHEET in sheets, f"{saved.name} lost its identity sheet"
    back = ident.read_identity(sheets[ident.IDENTITY_SHEET])
    assert (back.kind, back.unit, back.round_id, back.template_version) == \
        (original.kind, original.unit, original.round_id, original.template_version)
    assert back.rows == original.rows
    for row in back.rows:
        rows = sheets[row.sheet]
        _, cols = header_index(rows)
        cells = {h: rows[row.row - 1][c] for h, c in cols.items() if h in PREFILLED_HEADERS}
        assert float(rows[row.row - 1][cols["序号"]]) == row.task_id
        assert entry_fingerprint(cells) == row.fingerprint, (saved.name, row)
    return sheets


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, list[Path]]:
    ws = Workspace(tmp_path_factory.mktemp("office") / "共享 盘")
    report = generate_round(ws, default_register(), "2021-H1", now=NOW)
    return ws, list(report.written)


def test_every_generated_workbook_opens_in_libreoffice_and_keeps_its_identity(
        generated: tuple[Workspace, list[Path]], tmp_path: Path) -> None:
    ws, paths = generated
    # One soffice run for all of them; each is re-saved as .xlsx the way an office suite saves it.
    outputs = convert(paths, "xlsx", tmp_path / "resaved")
    assert len(outputs) == len(paths)
    for original, saved in zip(paths, outputs):
        before = ident.read_identity(read_all(original)[ident.IDENTITY_SHEET])
        check_identity_survives(before, saved)
    book = CalamineWorkbook.from_filelike(BytesIO(outputs[0].read_bytes()))
    visibility = {m.name: str(m.visible) for m in book.sheets_metadata}
    # LibreOffice has no "very hidden": it saves the identity sheet as plain hidden. Still not shown.
    assert visibility[ident.IDENTITY_SHEET].endswith("Hidden")


def fill_copy(source: Path, target: Path) -> None:
    """Fill every entry row's input cells of a copy, as a unit's staff would."""
    shutil.copy(source, target)
    book = openpyxl.load_workbook(target)
    for name in ("牵头任务", "协办任务"):
        if name not in book.sheetnames:
            continue
        sheet = book[name]
        header_row = next(r for r in range(1, 30) if sheet.cell(r, 1).value == "序号")
        cols = {sheet.cell(header_row, c).value: c for c in range(1, sheet.max_column + 1)}
        for r in range(header_row + 1, sheet.max_row + 1):
            for header, value in FILLED.items():
                sheet.cell(r, cols[header], value)
        for r in range(1, header_row):
            for c in range(1, sheet.max_column + 1):
                if sheet.cell(r, c).value == "填报人":
                    sheet.cell(r, c + 1, "王五")
    book.save(target)


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_filled_workbook_saved_by_libreoffice_keeps_identity_and_answers(
        generated: tuple[Workspace, list[Path]], tmp_path: Path, fmt: str) -> None:
    ws, _ = generated
    source = ws.template_file("2021-H1", "区工信局")
    filled = tmp_path / "区工信局-已填报.xlsx"
    fill_copy(source, filled)
    (saved,) = convert([filled], fmt, tmp_path / fmt)
    original = ident.read_identity(read_all(source)[ident.IDENTITY_SHEET])
    sheets = check_identity_survives(original, saved)
    for row in original.rows:
        rows = sheets[row.sheet]
        _, cols = header_index(rows)
        line = rows[row.row - 1]
        assert line[cols["完成状态"]] == "序时推进"
        assert float(line[cols["完成进度(%)"]]) == 60
        assert line[cols["进展情况"]] == FILLED["进展情况"]
    header_block = [v for r in sheets["牵头任务"][:4] for v in r]
    assert header_block[header_block.index("填报人") + 1] == "王五"
