"""Rebuild the returned-workbook fixtures of this folder: `python tests/data/returns/make_fixtures.py`.

Each file is one case intake must handle, named after it. A "filled return" starts as the real
workbook `generate` hands out (`plan_unit` + `render_unit`) for a unit of the small register below,
and is then filled and edited the way a unit's office suite would (openpyxl here, which keeps the
very-hidden identity sheet as Excel and WPS do). Retyped forms are written from scratch with
xlsxwriter; broken files are made byte by byte. The `.xls` / `.ods` files are saved by a real
LibreOffice (one soffice call), skipped with a message when it is not installed.

The tests read the files, not this script, so a change in generate does not silently change what
they check; rerun this script (and review the diff) when the handed-out layout changes.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from excelflow.forms import identity as ident  # noqa: E402
from excelflow.forms.default_template import SHIPPED_TEMPLATE  # noqa: E402
from excelflow.forms.plan import plan_unit, template_version  # noqa: E402
from excelflow.forms.render import render_unit  # noqa: E402
from excelflow.forms.template_style import load_template_style  # noqa: E402
from excelflow.register.model import Register, Round, Task, Unit  # noqa: E402

UNIT = "区工信局"  # owes tasks 1, 2 as lead and 3, 4 as co
ROUND = "2021-H1"


def fixture_register(task2_text: str = "培育专精特新企业,新增省级专精特新中小企业10家以上") -> Register:
    """Five tasks, three units (one with an alias), two rounds of 2021."""
    return Register(
        title="测试通知",
        units=(Unit("区工信局", aliases=("工信局", "区工业和信息化局")), Unit("区商务局"), Unit("区财政局")),
        tasks=(
            Task(1, "一、工业", "(一)园区", "推进工业园区标准厂房建设,全年新建标准厂房20万平方米", ("区工信局",), ("区商务局",)),
            Task(2, "一、工业", "(一)园区", task2_text, ("区工信局",)),
            Task(3, "二、消费", None, "开展促消费活动,社会消费品零售总额增长10%", ("区商务局",), ("区工信局", "区财政局")),
            Task(4, "三、财政", None, "深化预算绩效管理改革", ("区财政局",), ("区工信局",)),
            Task(5, "三、财政", None, "加强政府债务管理", ("区财政局",)),
        ),
        rounds=(
            Round("2021-H1", "半年", date(2021, 6, 15), date(2021, 6, 25)),
            Round("2021-FY", "全年", date(2021, 12, 15), date(2021, 12, 25)),
        ),
    )


REGISTER = fixture_register()
# What a diligent unit writes: status, progress, 进展情况, 存在问题, 下步打算 per task.
FILLS: dict[int, tuple[Any, Any, str, str, str]] = {
    1: ("序时推进", 60, "新建标准厂房12万平方米,完成年度目标的60%", "部分地块征迁进度偏慢", "加快征迁,9月底前开工剩余项目"),
    2: ("已完成", 100, "新增省级专精特新中小企业12家", "", "持续做好企业梯度培育"),
    3: ("序时推进", 50, "配合开展汽车、家电促消费活动4场", "", "继续配合商务局开展活动"),
    4: ("已完成", 100, "完成本部门预算绩效自评", "", ""),
}
FIELDS = ("完成状态", "完成进度(%)", "进展情况", "存在问题", "下步打算")


# -- generated workbooks ----------------------------------------------------------------------------
def generated(unit: str = UNIT, round_id: str = ROUND, register: Register = REGISTER) -> bytes:
    """The workbook `generate` hands `unit` for `round_id`, as bytes."""
    style = load_template_style(SHIPPED_TEMPLATE)
    rnd = register.round(round_id)
    assert rnd is not None
    entries = [(e.task_id, e.role) for e in register.entries_of(unit)]
    plan = plan_unit(register, rnd, unit, entries, style, None, False)
    data, _ = render_unit(plan, style, template_version(plan, style), "2021-06-01T09:00:00")
    return data


def edited(data: bytes, edit: Callable[[openpyxl.Workbook], None]) -> bytes:
    """`data` opened, edited and saved the way a unit's office suite would (openpyxl here)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return _fixed_times(out.getvalue())


def _fixed_times(data: bytes) -> bytes:
    """The same bytes on every rebuild: fixed zip entry times and document modification time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2021-06-01T09:00:00Z", body)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2021, 6, 1, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(fixed, body)
    return out.getvalue()


def header_row(sheet: Any) -> tuple[int, dict[str, int]]:
    for row in sheet.iter_rows(min_row=1, max_row=30):
        texts = {str(c.value).strip(): c.column for c in row if c.value is not None}
        if "序号" in texts:
            return row[0].row, texts
    raise AssertionError(f"no header row in {sheet.title}")


def row_of(sheet: Any, task_id: int) -> int:
    head, cols = header_row(sheet)
    for r in range(head + 1, sheet.max_row + 1):
        if sheet.cell(r, cols["序号"]).value == task_id:
            return r
    raise AssertionError(f"task {task_id} not on {sheet.title}")


def put(book: openpyxl.Workbook, task_id: int, **values: Any) -> None:
    """Set cells of a task's row by header text (keyword `完成进度` means `完成进度(%)`)."""
    for sheet in book.worksheets:
        if sheet.title == ident.IDENTITY_SHEET:
            continue
        try:
            r = row_of(sheet, task_id)
        except AssertionError:
            continue
        _, cols = header_row(sheet)
        for key, value in values.items():
            header = "完成进度(%)" if key == "完成进度" else key
            sheet.cell(r, cols[header]).value = value
        return
    raise AssertionError(f"task {task_id} not found")


def fill_all(book: openpyxl.Workbook, fills: dict[int, tuple[Any, ...]] = FILLS) -> None:
    for task_id, values in fills.items():
        put(book, task_id, **dict(zip(FIELDS, values)))


def filled(extra: Callable[[openpyxl.Workbook], None] | None = None, unit: str = UNIT) -> bytes:
    def edit(book: openpyxl.Workbook) -> None:
        fill_all(book)
        if extra is not None:
            extra(book)
    return edited(generated(unit), edit)


def _with_fill(task_id: int, **values: Any) -> Callable[[openpyxl.Workbook], None]:
    return lambda book: put(book, task_id, **values)


# -- edits a unit makes -----------------------------------------------------------------------------
def _swap_rows(sheet: Any, a: int, b: int) -> None:
    for col in range(1, sheet.max_column + 1):
        ca, cb = sheet.cell(a, col), sheet.cell(b, col)
        ca.value, cb.value = cb.value, ca.value


def rows_reordered(book: openpyxl.Workbook) -> None:
    lead, co = book["牵头任务"], book["协办任务"]
    _swap_rows(lead, row_of(lead, 1), row_of(lead, 2))
    _swap_rows(co, row_of(co, 3), row_of(co, 4))


def rows_inserted_and_deleted(book: openpyxl.Workbook) -> None:
    lead = book["牵头任务"]
    first = row_of(lead, 1)
    lead.delete_rows(row_of(lead, 2))  # the unit deleted task 2's row
    lead.insert_rows(first)  # and inserted a heading row above task 1
    lead.cell(first, 1).value = "(一)园区建设"
    lead.cell(first, 2).value = "本单位自行加的说明行"
    co = book["协办任务"]
    co.insert_rows(row_of(co, 4))  # a blank row between the co tasks


def sheets_renamed_and_reordered(book: openpyxl.Workbook) -> None:
    book["牵头任务"].title = "上半年牵头"
    book["协办任务"].title = "上半年配合"
    book.move_sheet("上半年配合", offset=-1)


def extra_columns(book: openpyxl.Workbook) -> None:
    for name in ("牵头任务", "协办任务"):
        sheet = book[name]
        head, cols = header_row(sheet)
        sheet.insert_cols(cols["完成状态"])  # a column before the inputs: every input shifts right
        sheet.cell(head, cols["完成状态"]).value = "责任科室"
        sheet.cell(head, sheet.max_column + 1).value = "联系人"
        for r in range(head + 1, sheet.max_row + 1):
            sheet.cell(r, cols["完成状态"]).value = "综合科"


def merged_cells(book: openpyxl.Workbook) -> None:
    sheet = book["牵头任务"]
    _, cols = header_row(sheet)
    top, bottom = row_of(sheet, 1), row_of(sheet, 2)
    col = cols["下步打算"]
    sheet.cell(bottom, col).value = None
    sheet.merge_cells(start_row=top, start_column=col, end_row=bottom, end_column=col)
    remark = cols["备注"]
    sheet.merge_cells(start_row=top, start_column=remark, end_row=bottom, end_column=remark)
    sheet.cell(top, remark).value = "两项任务由同一科室负责"


def header_variants(book: openpyxl.Workbook) -> None:
    for name in ("牵头任务", "协办任务"):
        sheet = book[name]
        head, cols = header_row(sheet)
        sheet.cell(head, cols["完成状态"]).value = " 完成状态 "
        sheet.cell(head, cols["完成进度(%)"]).value = "完成进度\n（%）"
        sheet.cell(head, cols["进展情况"]).value = "进展\n情况"
        sheet.cell(head, cols["下步打算"]).value = "下步 打算"


def numbers_as_text(book: openpyxl.Workbook) -> None:
    put(book, 1, 完成进度="60%")
    put(book, 2, 完成进度="１００")
    put(book, 3, 完成进度="50.0")
    sheet = book["协办任务"]
    _, cols = header_row(sheet)
    cell = sheet.cell(row_of(sheet, 4), cols["完成进度(%)"])
    cell.value = 0.95  # typed as 95% into a cell Excel then formats as a percentage
    cell.number_format = "0%"
    put(book, 4, 完成状态="序时推进")


def status_variants(book: openpyxl.Workbook) -> None:
    put(book, 1, 完成状态="正在推进")
    put(book, 2, 完成状态="完成")
    put(book, 3, 完成状态=" 进度滞后 ", 存在问题="活动场地未落实")
    put(book, 4, 完成状态="已经完成。")


def header_unit_changed(book: openpyxl.Workbook) -> None:
    """Another unit (区商务局) filled 区工信局's form and typed its own name in 填报单位."""
    for name in ("牵头任务", "协办任务"):
        sheet = book[name]
        for row in sheet.iter_rows(min_row=1, max_row=6):
            for cell in row:
                if cell.value == UNIT:
                    cell.value = "区商务局"


def task_text_edited(book: openpyxl.Workbook) -> None:
    put(book, 1, 任务内容="推进工业园区标准厂房建设,全年新建标准厂房10万平方米")


def locked_cell_edited(book: openpyxl.Workbook) -> None:
    put(book, 2, 完成时限="2021年\n7月31日")


def title_names_other_round(book: openpyxl.Workbook) -> None:
    sheet = book["牵头任务"]
    sheet["A1"].value = str(sheet["A1"].value).replace("半年", "全年")


def task_not_owed(book: openpyxl.Workbook) -> None:
    sheet = book["牵头任务"]
    _, cols = header_row(sheet)
    r = sheet.max_row + 1
    sheet.cell(r, cols["序号"]).value = 5
    sheet.cell(r, cols["任务内容"]).value = "加强政府债务管理"
    sheet.cell(r, cols["完成状态"]).value = "序时推进"
    sheet.cell(r, cols["进展情况"]).value = "协助财政局摸排债务"


def duplicate_task_id(book: openpyxl.Workbook) -> None:
    sheet = book["牵头任务"]
    source = row_of(sheet, 1)
    r = sheet.max_row + 1
    for col in range(1, sheet.max_column + 1):
        sheet.cell(r, col).value = sheet.cell(source, col).value
    _, cols = header_row(sheet)
    sheet.cell(r, cols["进展情况"]).value = "另一版本的进展"


def required_fields_empty(book: openpyxl.Workbook) -> None:
    put(book, 1, 完成状态=None)
    put(book, 2, 进展情况=None)
    put(book, 3, 完成状态=None, 完成进度=None, 进展情况=None, 存在问题=None, 下步打算=None)


def rollup(unit: str = UNIT) -> bytes:
    """The lead-unit rollup collection writes (no co-unit has reported yet), as handed out."""
    from excelflow.reports.rollup import build_rollup

    rnd = REGISTER.round(ROUND)
    assert rnd is not None
    return build_rollup(REGISTER, rnd, unit, {}, datetime(2021, 6, 20, 9, 0))


# -- retyped forms (no identity sheet) --------------------------------------------------------------
def retyped(unit_cell: str | None, title: str = "2021年上半年重点工作进展情况表",
            tasks: tuple[int, ...] = (1, 2, 3, 4)) -> bytes:
    """A form a unit typed itself: its own layout, a two-row merged header, no identity sheet."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"created": datetime(2021, 6, 1)})
    sheet = book.add_worksheet("Sheet1")
    sheet.merge_range("A1:H1", title)
    if unit_cell is not None:
        sheet.write("A2", "填报单位:")
        sheet.write("B2", unit_cell)
    sheet.merge_range("A3:A4", "序号")
    sheet.merge_range("B3:B4", "任务内容")
    sheet.merge_range("C3:G3", "填报内容")
    for c, text in enumerate(("完成状态", "完成进度(%)", "进展情况", "存在问题", "下步打算"), start=2):
        sheet.write(3, c, text)
    sheet.merge_range("H3:H4", "备注")
    for r, task_id in enumerate(tasks, start=4):
        task = REGISTER.task(task_id)
        assert task is not None
        status, pct, text, issues, steps = FILLS[task_id]
        sheet.write_string(r, 0, str(task_id))  # typed as text, as retyped forms often are
        sheet.write_string(r, 1, task.text)
        sheet.write_string(r, 2, status)
        sheet.write_number(r, 3, pct)
        sheet.write_string(r, 4, text)
        sheet.write_string(r, 5, issues)
        sheet.write_string(r, 6, steps)
    book.close()
    return out.getvalue()


def own_spreadsheet() -> bytes:
    """A unit's own summary table: a real workbook, but no reporting form in it."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({"created": datetime(2021, 6, 1)})
    sheet = book.add_worksheet("工作总结")
    sheet.write_row(0, 0, ["项目", "金额(万元)", "说明"])
    sheet.write_row(1, 0, ["标准厂房", 3200, "已完工"])
    book.close()
    return out.getvalue()


# -- broken bytes -----------------------------------------------------------------------------------
def wrong_dimensions() -> bytes:
    """A WPS-style file whose `<dimension ref>` says A1:A1 although the sheet is full."""
    source = filled()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                body, n = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"', body)
                assert n == 1, info.filename
            zout.writestr(info, body)
    return out.getvalue()


def docx_renamed() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("区工信局2021年上半年工作总结")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def image_renamed() -> bytes:
    # A 1×1 PNG (signature, IHDR, IDAT, IEND): what a phone photo of a form saved as .xlsx starts with.
    return bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def damaged_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "这不是 XML <<<")
    return out.getvalue()


def zip_bomb() -> bytes:
    """A small .xlsx whose sheet XML unpacks to 300 MB: must be refused before it is parsed."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in (("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>")):
            z.writestr(zipfile.ZipInfo(name, date_time=(2021, 6, 1, 9, 0, 0)), text)
        entry = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(2021, 6, 1, 9, 0, 0))
        entry.compress_type = zipfile.ZIP_DEFLATED
        with z.open(entry, "w", force_zip64=True) as sheet:
            chunk = b" " * (1 << 20)
            for _ in range(300):
                sheet.write(chunk)
    return out.getvalue()


def html_as_xls() -> bytes:
    return ("<html><head><meta charset='utf-8'></head><body><table><tr><td>序号</td><td>完成状态</td></tr>"
            "<tr><td>1</td><td>已完成</td></tr></table></body></html>").encode("utf-8")


CASES: dict[str, Callable[[], bytes]] = {
    # accepted as handed out and filled
    "clean-return.xlsx": filled,
    # tolerated mess (issue 4 point 3)
    "rows-reordered.xlsx": lambda: filled(rows_reordered),
    "rows-inserted-and-deleted.xlsx": lambda: filled(rows_inserted_and_deleted),
    "sheets-renamed-and-reordered.xlsx": lambda: filled(sheets_renamed_and_reordered),
    "extra-columns.xlsx": lambda: filled(extra_columns),
    "merged-cells.xlsx": lambda: filled(merged_cells),
    "header-variants.xlsx": lambda: filled(header_variants),
    "wps-wrong-dimensions.xlsx": wrong_dimensions,
    "numbers-as-text.xlsx": lambda: filled(numbers_as_text),
    "status-variants.xlsx": lambda: filled(status_variants),
    "retyped-without-identity.xlsx": lambda: retyped("广丰区工业和信息化局"),
    "retyped-no-unit-cell-区商务局.xlsx": lambda: retyped(None, tasks=(1, 3)),
    "retyped-unknown-unit.xlsx": lambda: retyped("区教育体育局"),
    "header-names-another-unit.xlsx": lambda: filled(header_unit_changed),
    "own-spreadsheet-区财政局.xlsx": own_spreadsheet,
    # messages (issue 4 point 4): errors
    "status-not-a-choice.xlsx": lambda: filled(_with_fill(1, 完成状态="基本完成吧")),
    "progress-out-of-range.xlsx": lambda: filled(_with_fill(1, 完成进度=120)),
    "task-text-edited.xlsx": lambda: filled(task_text_edited),
    "locked-cell-edited.xlsx": lambda: filled(locked_cell_edited),
    "stale-template.xlsx": lambda: edited(generated(register=fixture_register("培育专精特新企业")), fill_all),
    "wrong-round.xlsx": lambda: edited(generated(round_id="2020-H1", register=_register_2020()), fill_all),
    "title-names-other-round.xlsx": lambda: filled(title_names_other_round),
    "task-not-owed.xlsx": lambda: filled(task_not_owed),
    "duplicate-task-id.xlsx": lambda: filled(duplicate_task_id),
    # messages: warnings
    "required-fields-empty.xlsx": lambda: filled(required_fields_empty),
    "done-below-100.xlsx": lambda: filled(_with_fill(2, 完成进度=80)),
    "behind-without-problems.xlsx": lambda: filled(_with_fill(1, 完成状态="滞后", 存在问题=None)),
    "not-filled-at-all.xlsx": lambda: generated(),
    # a lead unit's rollup, its own rows filled: the same reader, co-unit detail rows skipped
    "rollup-filled-by-lead.xlsx": lambda: edited(rollup(), lambda b: fill_all(b, {k: FILLS[k] for k in (1, 2)})),
    # not a workbook, or not yet complete
    "docx-renamed.xlsx": docx_renamed,
    "image-renamed.xlsx": image_renamed,
    "damaged-zip.xlsx": damaged_zip,
    "html-saved-as.xls": html_as_xls,
    "zip-bomb.xlsx": zip_bomb,
    "zero-bytes.xlsx": lambda: b"",
    "truncated-copy.xlsx": lambda: filled()[:5000],
}
# Saved by LibreOffice from the .xlsx of the same stem (one soffice call per format).
OFFICE_CASES: dict[str, str] = {
    "clean-return-saved-by-libreoffice.xls": "clean-return.xlsx",
    "clean-return-saved-by-libreoffice.ods": "clean-return.xlsx",
    "clean-return-saved-by-libreoffice.xlsm": "clean-return.xlsx",
    "status-variants-saved-by-libreoffice.ods": "status-variants.xlsx",
    "retyped-without-identity-saved-by-libreoffice.xls": "retyped-without-identity.xlsx",
}


def _register_2020() -> Register:
    base = fixture_register()
    return Register(base.title, base.units, base.tasks,
                    (Round("2020-H1", "半年", date(2020, 6, 15), date(2020, 6, 25)),))


def build(target: Path = HERE) -> None:
    for name, make in CASES.items():
        (target / name).write_bytes(make())
    _office(target)


def _office(target: Path) -> None:
    import shutil
    import subprocess
    import tempfile

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print("LibreOffice not installed: .xls/.ods fixtures not rebuilt", file=sys.stderr)
        return
    filters = {"xls": "xls:MS Excel 97", "ods": "ods:calc8", "xlsm": "xlsm:Calc MS Excel 2007 VBA XML"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        profile = work / "profile"

        def run(*args: str) -> None:
            subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", *args],
                           check=True, capture_output=True, timeout=300)

        by_format: dict[str, list[tuple[str, Path]]] = {}
        for name, source in OFFICE_CASES.items():
            stem, ext = name.rsplit(".", 1)
            copy = work / "in" / ext / f"{stem}.xlsx"
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes((target / source).read_bytes())
            by_format.setdefault(ext, []).append((name, copy))
        for ext, items in by_format.items():
            outdir = work / "out" / ext
            run("--convert-to", filters[ext], "--outdir", str(outdir), *(str(p) for _, p in items))
            for name, _ in items:
                (target / name).write_bytes((outdir / name).read_bytes())
        # A password set on save (文件→另存为→设置密码) through LibreOffice's own API, by a Basic
        # macro placed in the profile the conversions above initialised.
        module = profile / "user" / "basic" / "Standard" / "Module1.xba"
        module.write_text(_SAVE_WITH_PASSWORD, encoding="utf-8")
        source, encrypted = work / "in" / "clean.xlsx", work / "out" / "password-protected.xls"
        source.write_bytes((target / "clean-return.xlsx").read_bytes())
        run(f'macro:///Standard.Module1.SaveWithPassword("{source}","{encrypted}","MS Excel 97")')
        (target / "password-protected.xls").write_bytes(encrypted.read_bytes())


_SAVE_WITH_PASSWORD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub SaveWithPassword(src As String, dst As String, filter As String)
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = &quot;Hidden&quot;
  load(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(src), &quot;_blank&quot;, 0, load())
  Dim save(1) As New com.sun.star.beans.PropertyValue
  save(0).Name = &quot;FilterName&quot;
  save(0).Value = filter
  save(1).Name = &quot;Password&quot;
  save(1).Value = &quot;123456&quot;
  doc.storeToURL(ConvertToURL(dst), save())
  doc.close(True)
End Sub
</script:module>
"""


if __name__ == "__main__":
    build()
    print(f"wrote {len(CASES) + len(OFFICE_CASES) + 1} fixtures to {HERE}")
