"""Rebuild the hostile-input corpus of this folder: `python tests/data/corpus/make_corpus.py`.

One file per case, named after the case, for the shipped 2021 register (the working folder a
clerk gets from `excelflow init`): each starts from the real workbook `generate` hands a unit for
2021-H1, filled and edited as that unit's office suite would (openpyxl here, which keeps the
very-hidden identity sheet as Excel and WPS do), and where a real office suite can make the case,
saved by LibreOffice headless (.xls, .ods, .xlsx); the encrypted .xlsx is written by
msoffcrypto-tool (a test extra), as Excel encrypts. Broken files are made byte by byte. Every file goes to a different unit, so a test can
tell that nothing is attributed to the wrong one.

Every workbook is signed, as `generate` signs it, with the corpus's own campaign key
(`campaign.key` beside this script, fixed so that the files rebuild to the same bytes);
`tests/test_corpus.py` puts that key in the working folder it collects in.

`expected.csv` is written from the `CASES` table below: what each file must end as (accepted,
accepted_with_warnings, pending, rejected), the unit it must be attributed to (empty: none), and
words its messages must contain. These are declared expectations, not observed results;
`tests/test_corpus.py` checks a real `excelflow collect` against them, and `docs/hostile-input.md`
is rendered from the same table (`--doc`).

The scripted files are deterministic (fixed zip times); the LibreOffice ones carry its time stamps.
The 50 MB workbook is not committed: `tests/test_corpus.py` builds it at test time.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import itertools
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from excelflow.forms.campaign_key import CampaignKey  # noqa: E402
from excelflow.forms.default_template import SHIPPED_TEMPLATE  # noqa: E402
from excelflow.forms.plan import plan_unit, template_version  # noqa: E402
from excelflow.forms.plans import PLAN_SHEET, plan_bytes  # noqa: E402
from excelflow.forms.render import render_unit  # noqa: E402
from excelflow.forms.template_style import load_template_style  # noqa: E402
from excelflow.register.campaign import default_register  # noqa: E402
from excelflow.register.model import Register, Round  # noqa: E402

ROUND = "2021-H1"
GENERATED_AT = "2021-06-01T09:00:00"
OUTCOMES = ("accepted", "accepted_with_warnings", "pending", "rejected")
# What a unit can type that a spreadsheet program would run: links, DDE, formulas.
HYPERLINK = '=HYPERLINK("http://evil.example/x","点击查看进展")'
DDE = "=cmd|' /C calc'!A1"
FORMULA_TEXTS = (HYPERLINK, DDE, "=1+1", "@SUM(A1:A9)")


def _fixtures_module() -> Any:
    spec = importlib.util.spec_from_file_location("make_fixtures", HERE.parent / "returns" / "make_fixtures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KEY_FILE = HERE / "campaign.key"
CORPUS_KEY = CampaignKey.from_json(__import__("json").loads(KEY_FILE.read_text(encoding="utf-8")))
FIX = _fixtures_module()  # edited(), header_row(), row_of(): the same editing the intake fixtures use
REGISTER = default_register()


# -- generated and filled workbooks ----------------------------------------------------------------
def generated(unit: str, register: Register = REGISTER, round_id: str = ROUND) -> bytes:
    """The workbook `excelflow generate` hands `unit` for `round_id` (same bytes as `generate`)."""
    style = load_template_style(SHIPPED_TEMPLATE)
    rnd = register.round(round_id)
    assert rnd is not None
    entries = sorted({(e.task_id, e.role) for e in register.expected_entries() if e.unit == unit})
    assert entries, unit
    plan = plan_unit(register, rnd, unit, entries, style, None, False)
    data, _ = render_unit(plan, style, template_version(plan, style), GENERATED_AT, CORPUS_KEY)
    return data


def values_for(task_id: int) -> dict[str, Any]:
    """What a diligent unit writes for a task."""
    return {"完成状态": "序时推进", "完成进度(%)": 60, "进展情况": f"任务{task_id}已按计划推进,完成阶段目标。",
            "存在问题": "", "下步打算": "继续推进。"}


def data_sheets(book: openpyxl.Workbook) -> list[Any]:
    return [s for s in book.worksheets if s.sheet_state == "visible" and _has_header(s)]


def _has_header(sheet: Any) -> bool:
    try:
        _, cols = FIX.header_row(sheet)
    except AssertionError:
        return False
    return "完成状态" in cols  # not the 填报说明 sheet, which mentions 序号 in its text


def task_rows(sheet: Any) -> dict[int, int]:
    """task id → 1-based row, found under the 序号 header."""
    head, cols = FIX.header_row(sheet)
    out = {}
    for r in range(head + 1, sheet.max_row + 1):
        value = sheet.cell(r, cols["序号"]).value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[int(value)] = r
    return out


def set_cells(sheet: Any, row: int, values: dict[str, Any]) -> None:
    _, cols = FIX.header_row(sheet)
    for header, value in values.items():
        sheet.cell(row, cols[header]).value = value


def fill_book(book: openpyxl.Workbook) -> None:
    for sheet in data_sheets(book):
        for task_id, row in task_rows(sheet).items():
            set_cells(sheet, row, values_for(task_id))


def filled(unit: str, extra: Callable[[openpyxl.Workbook], None] | None = None,
           register: Register = REGISTER, round_id: str = ROUND) -> bytes:
    def edit(book: openpyxl.Workbook) -> None:
        fill_book(book)
        if extra is not None:
            extra(book)
    return FIX.edited(generated(unit, register, round_id), edit)


def as_text(book: openpyxl.Workbook, sheet: Any, row: int, header: str, text: str) -> None:
    """A text cell as Excel stores what a person typed after a leading apostrophe: never a formula."""
    _, cols = FIX.header_row(sheet)
    cell = sheet.cell(row, cols[header])
    cell.value = text
    cell.data_type = "s"


# -- edits ------------------------------------------------------------------------------------------
def sheets_renamed_and_reordered(book: openpyxl.Workbook) -> None:
    lead, co = data_sheets(book)[:2]
    lead.title, co.title = "上半年牵头", "上半年配合"
    book.move_sheet(co.title, offset=-1)


def rows_deleted_duplicated_inserted(book: openpyxl.Workbook) -> None:
    lead, co = data_sheets(book)[:2]
    rows = task_rows(lead)
    first, second = sorted(rows.values())[:2]
    lead.delete_rows(second)  # the second lead task's row deleted
    lead.insert_rows(first)  # a heading row typed above the first task
    lead.cell(first, 1).value = "(一)本单位自加的分类标题"
    copy_from = sorted(task_rows(co).values())[0]
    target = co.max_row + 1  # a co task's row pasted twice, with another text
    for col in range(1, co.max_column + 1):
        co.cell(target, col).value = co.cell(copy_from, col).value
    set_cells(co, target, {"进展情况": "另一版本的进展"})


def merged_cells(book: openpyxl.Workbook) -> None:
    sheet = data_sheets(book)[0]
    _, cols = FIX.header_row(sheet)
    top, bottom = sorted(task_rows(sheet).values())[:2]
    col = cols["下步打算"]
    sheet.cell(bottom, col).value = None
    sheet.merge_cells(start_row=top, start_column=col, end_row=bottom, end_column=col)


def text_in_number_columns(book: openpyxl.Workbook) -> None:
    texts = iter(["大约一半", "８０", "75%", "已过半"])
    for sheet in data_sheets(book):
        for row in task_rows(sheet).values():
            set_cells(sheet, row, {"完成进度(%)": next(texts, "六成")})


def dates_as_text_and_serials(book: openpyxl.Workbook) -> None:
    sheets = data_sheets(book)
    sheets[0]["F3"].value = "2021年6月14日"  # 填报日期 typed as text
    if len(sheets) > 1:
        sheets[1]["F3"].value = 44361  # 填报日期 as an Excel serial (2021-06-14) without a date format
    rows = sorted(task_rows(sheets[0]).items())
    (t1, r1), (t2, r2) = rows[0], rows[1]
    set_cells(sheets[0], r1, {"进展情况": datetime(2021, 6, 10), "完成进度(%)": datetime(2021, 6, 30)})
    set_cells(sheets[0], r2, {"下步打算": 44377, "进展情况": "2021-06-12 已完成验收"})
    sheets[0].cell(r1, FIX.header_row(sheets[0])[1]["进展情况"]).number_format = "yyyy-mm-dd"


def formula_text(book: openpyxl.Workbook) -> None:
    """Formula-looking text in every text column (typed as text: calamine returns the string)."""
    texts = itertools.cycle(FORMULA_TEXTS)
    for sheet in data_sheets(book):
        for row in task_rows(sheet).values():
            for header in ("进展情况", "存在问题", "下步打算", "备注"):
                as_text(book, sheet, row, header, next(texts))
            set_cells(sheet, row, {"完成状态": "滞后"})
    sheet = data_sheets(book)[0]
    first = sorted(task_rows(sheet).values())[0]
    as_text(book, sheet, first, "完成状态", DDE)  # not a status: quoted in the error message


def live_formulas(book: openpyxl.Workbook) -> None:
    """Real formulas in text cells; LibreOffice saves their computed values beside them."""
    for sheet in data_sheets(book):
        for row in task_rows(sheet).values():
            set_cells(sheet, row, {"进展情况": HYPERLINK, "存在问题": "=1+1", "下步打算": '="已推进"&"50%"'})


def with_plan_fill(data: bytes) -> bytes:
    def edit(book: openpyxl.Workbook) -> None:
        sheet = book[PLAN_SHEET]
        for row in range(5, sheet.max_row + 1):
            if isinstance(sheet.cell(row, 1).value, (int, float)):
                sheet.cell(row, 4).value = "完成年度目标的50%"
                sheet.cell(row, 5).value = "全面完成"
    return FIX.edited(data, edit)


def two_units_merged(first: str, second: str) -> bytes:
    """`first`'s filled return with `second`'s filled form pasted in as one more sheet (values only)."""
    other = openpyxl.load_workbook(io.BytesIO(filled(second)))
    source = data_sheets(other)[0]

    def edit(book: openpyxl.Workbook) -> None:
        fill_book(book)
        target = book.create_sheet(f"{second}报送", index=len(data_sheets(book)))
        for row in source.iter_rows():
            for cell in row:
                if cell.value is not None and type(cell).__name__ != "MergedCell":
                    target.cell(cell.row, cell.column).value = cell.value
    return FIX.edited(generated(first), edit)


def retyped(unit: str, typed_unit: str, *more: tuple[str, str]) -> bytes:
    """A form the unit typed itself: its own layout, a two-row header, no identity sheet.

    `more`: (unit, typed unit) of further forms typed into the same file, one sheet each.
    """
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"created": datetime(2021, 6, 1)})
    for i, (who, typed) in enumerate(((unit, typed_unit), *more), start=1):
        _retyped_sheet(book.add_worksheet(f"Sheet{i}"), who, typed)
    book.close()
    return out.getvalue()


def _retyped_sheet(sheet: Any, unit: str, typed_unit: str) -> None:
    entries = sorted({(e.task_id, e.role) for e in REGISTER.expected_entries() if e.unit == unit})
    sheet.merge_range("A1:H1", "2021年上半年重点工作进展情况表")
    sheet.write("A2", "填报单位:")
    sheet.write("B2", typed_unit)
    sheet.merge_range("A3:A4", "序号")
    sheet.merge_range("B3:B4", "任务内容")
    sheet.merge_range("C3:G3", "填报内容")
    for c, text in enumerate(("完成状态", "完成进度(%)", "进展情况", "存在问题", "下步打算"), start=2):
        sheet.write(3, c, text)
    sheet.merge_range("H3:H4", "备注")
    for r, (task_id, _) in enumerate(entries, start=4):
        task = REGISTER.task(task_id)
        assert task is not None
        values = values_for(task_id)
        sheet.write_string(r, 0, str(task_id))
        sheet.write_string(r, 1, task.text)
        sheet.write_string(r, 2, values["完成状态"])
        sheet.write_number(r, 3, values["完成进度(%)"])
        sheet.write_string(r, 4, values["进展情况"])
        sheet.write_string(r, 6, values["下步打算"])


def register_with_edited_task(unit: str) -> Register:
    """The register as it was when an older template was handed out: one task's text differed."""
    task_id = min(e.task_id for e in REGISTER.expected_entries() if e.unit == unit)
    tasks = tuple(replace(t, text=t.text[:20] + "(旧版表述)") if t.id == task_id else t for t in REGISTER.tasks)
    return replace(REGISTER, tasks=tasks)


def last_years_register() -> Register:
    return replace(REGISTER, rounds=(Round("2020-H1", "半年", date(2020, 6, 15), date(2020, 6, 25)),))


def ten_thousand_rows(book: openpyxl.Workbook) -> None:
    """A unit pasted a numbered data dump of 10,000 rows under its form."""
    sheet = data_sheets(book)[0]
    _, cols = FIX.header_row(sheet)
    start = sheet.max_row + 2
    for i in range(10_000):
        sheet.cell(start + i, cols["序号"]).value = 1000 + i
        sheet.cell(start + i, cols["进展情况"]).value = f"台账明细第{i + 1}条"


def rows_beyond_the_limit(book: openpyxl.Workbook) -> None:
    """25,000 rows of notes under the co-task form: past the 20,000-row cap per sheet."""
    sheet = data_sheets(book)[-1]
    _, cols = FIX.header_row(sheet)
    start = sheet.max_row + 2
    for i in range(25_000):
        sheet.cell(start + i, cols["进展情况"]).value = i


def macro_enabled(data: bytes) -> bytes:
    """The .xlsx turned into an .xlsm with a vbaProject.bin whose Auto_Open runs a shell."""
    vba = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24
           + "Attribute VB_Name = \"Module1\"\r\nSub Auto_Open()\r\n  Shell \"calc.exe\"\r\nEnd Sub\r\n".encode())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                body = body.replace(b"</Types>", b'<Default Extension="bin" ContentType='
                                    b'"application/vnd.ms-office.vbaProject"/></Types>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft'
                                    b'.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                                    b"</Relationships>")
            zout.writestr(info, body)
        zout.writestr(zipfile.ZipInfo("xl/vbaProject.bin", date_time=(2021, 6, 1, 9, 0, 0)), vba)
    return out.getvalue()


def encrypted(data: bytes, password: str = "123456") -> bytes:
    """`data` encrypted as Excel does on 文件→信息→用密码进行加密 (ECMA-376 agile encryption).

    msoffcrypto-tool (a test extra) writes the same OLE container Excel and WPS write; LibreOffice
    7.4 headless saves .xlsx without encryption even when given a password.
    """
    import msoffcrypto

    out = io.BytesIO()
    msoffcrypto.OfficeFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def png() -> bytes:
    return bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


# -- the table --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    file: str
    case: str  # what the case is (Chinese, for the table the clerk reads)
    make: Callable[[], bytes]
    outcome: str
    unit: str  # the unit the file must be attributed to; "" = none
    mentions: tuple[str, ...] = ()  # words the file's messages must contain
    office: str | None = None  # saved by LibreOffice in this format (the file's suffix)
    kind: str = "report"


# 200+ characters, under Linux's 255-byte limit (a Chinese character takes 3 bytes in UTF-8)
LONG_NAME = "区林业局-2021-H1-" + "-".join(["progress-report-final-version"] * 7) + ".xlsx"
CASES: tuple[Case, ...] = (
    Case("sheets-renamed-and-reordered-saved-by-libreoffice.ods", "工作表改名并调换顺序(LibreOffice 另存为 .ods)",
         lambda: filled("区商务局", sheets_renamed_and_reordered), "accepted", "区商务局", office="ods"),
    Case("rows-deleted-duplicated-inserted.xlsx", "删除一行、复制一行、插入标题行",
         lambda: filled("区科技局", rows_deleted_duplicated_inserted), "accepted_with_warnings", "区科技局",
         ("没有找到", "出现了 2 次")),
    Case("merged-cells-saved-by-libreoffice.xls", "合并单元格(LibreOffice 另存为 .xls)",
         lambda: filled("区广投集团", merged_cells), "accepted", "区广投集团", office="xls"),
    Case("retyped-without-identity-区财政局.xlsx", "手工重新录入的表(没有标识工作表)",
         lambda: retyped("区财政局", "区财政局"), "accepted_with_warnings", "区财政局", ("没有 excelflow 标识",)),
    Case("two-retyped-forms-of-two-units.xlsx", "两个单位手工录入的表在同一文件的两个工作表中(区扶贫办、区卫健委)",
         lambda: retyped("区扶贫办", "区扶贫办", ("区卫健委", "区卫健委")), "accepted_with_warnings", "区扶贫办",
         ("Sheet2", "区卫健委", "单独报送")),
    Case("last-years-workbook-2020-H1.xlsx", "去年(2020-H1)的填报表",
         lambda: filled("区人社局", register=last_years_register(), round_id="2020-H1"), "rejected", "区人社局",
         ("2020-H1", "没有这个轮次")),
    Case("next-rounds-workbook-2021-FY.xlsx", "下一轮(2021-FY 全年)的填报表提前交回:归入该轮",
         lambda: filled("区退役军人事务局", round_id="2021-FY"), "accepted", "区退役军人事务局"),
    Case("区交通局-上半年报送.xlsx", "其他单位(区自然资源局)的表改成本单位的文件名:按标识归属",
         lambda: filled("区自然资源局"), "accepted", "区自然资源局"),
    Case("two-units-merged-into-one-file.xlsx", "两个单位的表合并在一个文件中(区发改委的表里粘贴了区教体局的表)",
         lambda: two_units_merged("区发改委", "区教体局"), "accepted_with_warnings", "区发改委",
         ("区教体局报送", "未读取", "单独报送")),
    Case("old-template-version.xlsx", "旧版填报表(任务内容已在登记表中更新)",
         lambda: filled("区农垦集团", register=register_with_edited_task("区农垦集团")), "accepted_with_warnings",
         "区农垦集团", ("旧版",)),
    Case("text-in-number-columns.xlsx", "「完成进度(%)」填写文字和全角数字",
         lambda: filled("区市政集团", text_in_number_columns), "accepted_with_warnings", "区市政集团",
         ("不是数字", "「大约一半」")),
    Case("dates-as-text-and-serials.xlsx", "日期写成文字和 Excel 序列号(填报日期、进展单元格)",
         lambda: filled("区城管局", dates_as_text_and_serials), "accepted_with_warnings", "区城管局",
         ("2021-06-30",)),
    Case("formula-and-dde-text-in-cells.xlsx", "单元格中的公式、=HYPERLINK 和 DDE 文字(=cmd|' /C calc'!A1)",
         lambda: filled("区农业农村局", formula_text), "accepted_with_warnings", "区农业农村局",
         ("不是可选值", DDE)),
    Case("live-formulas-saved-by-libreoffice.xlsx", "真实公式(含 =HYPERLINK),由 LibreOffice 计算并保存",
         lambda: filled("区水利局", live_formulas), "accepted", "区水利局", office="xlsx"),
    Case("password-protected-encrypted.xlsx", "设置了打开密码的 .xlsx(Office 标准加密,msoffcrypto-tool 生成)",
         lambda: encrypted(filled("区卫健委")), "rejected", "", ("密码",)),
    Case("macro-enabled-with-vba-project.xlsm", "含宏(vbaProject.bin)的 .xlsm:宏不运行、不进入输出",
         lambda: macro_enabled(filled("区生态环境局")), "accepted", "区生态环境局"),
    Case("word-document-renamed.xlsx", "Word 文档改扩展名为 .xlsx",
         lambda: FIX.docx_renamed(), "rejected", "", ("Word",)),
    Case("photo-renamed.xlsx", "图片(PNG)改扩展名为 .xlsx", png, "rejected", "", ("图片",)),
    Case("zero-bytes.xlsx", "0 字节文件(仍在复制)", lambda: b"", "pending", ""),
    Case("truncated-copy.xlsx", "复制到一半的文件", lambda: filled("区司法局")[:6000], "pending", ""),
    Case("zip-bomb.xlsx", "解压炸弹(压缩后很小,解压后 300 MB)", lambda: FIX.zip_bomb(), "rejected", "",
         ("解压后超过",)),
    Case("ten-thousand-rows.xlsx", "表下粘贴了 10,000 行带编号的明细",
         lambda: filled("区公安局", ten_thousand_rows), "accepted_with_warnings", "区公安局",
         ("10000 行", "不是任务登记表中的任务编号")),
    Case("rows-beyond-the-limit.xlsx", "表下有 25,000 行内容(超过每表 20,000 行的上限)",
         lambda: filled("区住建局", rows_beyond_the_limit), "accepted_with_warnings",
         "区住建局", ("20000 行", "行数上限")),
    Case("区民政局 2021年 上半年 重点工作 报送(终稿).xlsx", "文件名含中文、空格和括号",
         lambda: filled("区民政局"), "accepted", "区民政局"),
    Case(LONG_NAME, "很长的文件名(200 个字符以上)", lambda: filled("区林业局"), "accepted", "区林业局"),
    Case("区医保局:上半年?报送*终稿|v2.xlsx", "文件名含 Windows 禁用的字符(: ? * |)",
         lambda: filled("区医保局"), "accepted", "区医保局"),
    Case("plan-returned-区交通局.xlsx", "交回的落实方案表(不是进展填报表)",
         lambda: with_plan_fill(plan_bytes(REGISTER, "区交通局", datetime(2021, 3, 30), CORPUS_KEY)), "accepted", "区交通局",
         kind="plan"),
)


def expected_rows() -> list[dict[str, str]]:
    return [{"file": c.file, "case": c.case, "outcome": c.outcome, "unit": c.unit, "kind": c.kind,
             "mentions": "\n".join(c.mentions)} for c in CASES]  # one per line: texts may hold `|`


# -- LibreOffice ----------------------------------------------------------------------------------
_FILTERS = {"xls": "xls:MS Excel 97", "ods": "ods:calc8", "xlsx": "xlsx:Calc MS Excel 2007 XML"}


def _office(items: list[tuple[Case, bytes]], target: Path) -> None:
    """Save each case through LibreOffice: one soffice call per format."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print("LibreOffice not installed: office-made corpus files not rebuilt", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        profile = work / "profile"

        def run(*args: str) -> None:
            subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", *args],
                           check=True, capture_output=True, timeout=300)

        by_format: dict[str, list[tuple[Case, Path]]] = {}
        for case, data in items:
            stem = case.file.rsplit(".", 1)[0]
            source = work / "in" / case.office / f"{stem}.xlsx"  # type: ignore[operator]
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_bytes(data)
            by_format.setdefault(case.office or "", []).append((case, source))
        for fmt, pairs in by_format.items():
            outdir = work / "out" / fmt
            run("--convert-to", _FILTERS[fmt], "--outdir", str(outdir), *(str(p) for _, p in pairs))
            for case, source in pairs:
                (target / case.file).write_bytes((outdir / f"{source.stem}.{fmt}").read_bytes())


# -- writing ----------------------------------------------------------------------------------------
def write_expected(target: Path = HERE) -> None:
    with open(target / "expected.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "case", "outcome", "unit", "kind", "mentions"])
        writer.writeheader()
        writer.writerows(expected_rows())


OUTCOME_NAMES = {"accepted": "已接收", "accepted_with_warnings": "已接收(有提示)",
                 "pending": "待重试(下次收集自动重试)", "rejected": "未接收"}


def first_messages(rows: list[dict[str, str]]) -> dict[str, str]:
    """file → the first thing the clerk is told about it (first error, else first warning), where."""
    from excelflow.intake.extract import MAX_FILE_BYTES, WorkbookUnreadable, _check_container
    from excelflow.intake.read import read_return

    out = {}
    for row in rows:
        sub = read_return((HERE / row["file"]).read_bytes(), row["file"], datetime(2021, 6, 14, 9), REGISTER,
                          campaign=CORPUS_KEY)
        problems = sorted(sub.problems, key=lambda p: p.level != "error")
        if problems:
            p = problems[0]
            where = "".join(x for x in (f"工作表「{p.sheet}」" if p.sheet else "", f"单元格 {p.cell}" if p.cell else ""))
            out[row["file"]] = (f"{where}:" if where else "") + p.message
    try:  # the 50 MB case is built at test time; its message comes from the same size check
        _check_container(b"PK\x03\x04" + bytes(50 * 1024 * 1024), "big-50MB.xlsx")
    except WorkbookUnreadable as exc:
        out[BIG_CASE["file"]] = str(exc)
    assert MAX_FILE_BYTES < 50 * 1024 * 1024
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_doc(rows: list[dict[str, str]], big_case: dict[str, str], messages: dict[str, str]) -> str:
    """`docs/hostile-input.md`: the corpus table from `expected.csv`, with the first message each
    file gets (see tests/test_corpus.py, which checks the page is current)."""
    lines = [
        "# Hostile and broken input: what `excelflow collect` does with each case",
        "",
        "Generated from `tests/data/corpus/expected.csv` by `python tests/data/corpus/make_corpus.py --doc`;",
        "`tests/test_corpus.py` runs a real `excelflow collect` over the whole corpus at once and checks",
        "each file ends as listed, is attributed to the unit listed (or to none), and that its messages",
        "contain the words listed; it also checks this page is current. Every message names the file",
        "(and sheet and cell where one applies) and says what the clerk should do; the inbox files are",
        "never changed; no formula, link or macro reaches an output. The last column is the first",
        "thing the clerk and the unit are told (receipt, summary).",
        "",
        "| case | file | outcome | unit | must mention | first message |",
        "|---|---|---|---|---|---|",
    ]
    for row in [*rows, big_case]:
        mentions = "、".join(f"「{m}」" for m in row["mentions"].split("\n") if m) or "—"
        lines.append(f"| {_cell(row['case'])} | `{_cell(row['file'])}` | {OUTCOME_NAMES[row['outcome']]} | "
                     f"{row['unit'] or '—'} | {_cell(mentions)} | {_cell(messages.get(row['file'], '—'))} |")
    lines += [
        "",
        "Decisions:",
        "",
        "- **Two units' forms in one file**: only the unit named by the file's identity sheet is read;",
        "  another reporting form pasted in as an extra sheet is not read and a warning names the sheet",
        "  (and the unit typed in its header) so the clerk asks that unit to report on its own form.",
        "  Nothing is attributed to a unit the identity does not name.",
        "- **Another unit's workbook under this unit's file name**: the identity sheet wins.",
        "- **A workbook of another round** is filed under its own round when the register has it, and",
        "  rejected (every entry invalid) when it does not (last year's).",
        "- **A returned plan (落实方案)** is accepted as a plan: no progress entries, read by the comparison.",
        "- **Formulas**: collection reads the values a spreadsheet program saved (calamine), never",
        "  the formula; every output writes unit text as text (no `<f>`, no hyperlink, no field).",
        "- **Macros**: a `.xlsm`'s `vbaProject.bin` is archived with the original bytes, never run and",
        "  never copied into an output.",
        "- **Limits**: a file over 30 MB, a workbook whose parts (every one, whatever its name) unpack to",
        "  more than 100 MB, a sheet whose grid exceeds 2,000,000 cells and rows past 20,000 per sheet are",
        "  not read, each with a message; many rows whose 序号 is no task get one message, not one each.",
        "- **A file that stays incomplete** (zero bytes, cut short) is pending; once it has been seen",
        "  incomplete and unchanged for a day it is rejected as damaged (`store/pending.py`).",
        "",
        *SECOND_CORPUS,
    ]
    return "\n".join(lines)


# The second corpus (tests/hostile_corpus.py, built at test time; tests/test_hostile.py collects it in one
# real `excelflow collect` and checks this page names every case) and what keeps a pass alive.
SECOND_CORPUS = """## What cannot stop a pass: the second corpus, containment, the memory bound

`tests/hostile_corpus.py` holds what stopped or fooled collection in the field; `tests/test_hostile.py`
drops all of it, with three normal returns, into one working folder and runs one real
`excelflow collect` process over it: no crash, no hang, every file accounted for (archived with
an outcome and a receipt, or named as unreadable), every name shown escaped, the normal returns
judged as usual, the memory of all the pass's processes under the bound below.

| case | outcome | the unit is told |
|---|---|---|
| 文件名是 GBK 编码(Windows 压缩包在 Linux 上解开) | 已接收 | the name is archived exactly and shown with its bytes escaped (`\\xc7\\xf8…`) |
| 文件名含 ESC 控制序列和从右到左字符 | 已接收 | the name is shown escaped (`\\x1b[2J`, `\\u202e`) in the summary, receipts, log and JSON |
| 单元格 XFD1048576 有值(读取需 512 GB) | 未接收 | 「工作表「…」的单元格 XFD1048576 有内容,表格范围达到 1048576 行 × 16384 列…请…删除…多余的内容」 |
| 单元格 CV1048576 有值(读取需 3.4 GB) | 未接收 | the same, naming CV1048576 |
| sharedStrings 声明 uniqueCount 为 1e11 | 未接收 | 「工作簿声明含有 100,000,000,000 个不同的文字…」 |
| 907 字节的 .ods 声明 200,000 行 × 100 列重复单元格 | 未接收 | 「…表格范围达到 200000 行 × 100 列…」 |
| 名为 sheet1.bin 的部件解压后 120 MB(不是 .xml) | 未接收 | 「工作簿解压后超过 100 MB…」(every part counts, as actually unpacked) |
| LibreOffice 保存的 .xls,单元格 IV65536 有值(读取需约 1 GB) | 未接收 | the grid message, naming the sheet and IV65536 |
| Excel 二进制工作簿(.xlsb) | 已接收 | read like an .xlsx |
| .xlsb,单元格 XFD1048576 有值 | 未接收 | the grid message |
| WPS 表格 .et(与 .xls 同一格式) | 已接收 | read like an .xls (an .et that is not is rejected as unreadable, with the reason) |
| PDF 文件 | 未接收 | 「这是 PDF 文件…请让填报单位报送 Excel 原表」, by receipt to the unit its name names |
| Word 文档 | 未接收 | 「这是 Word 文档…请…报送 Excel 填报表」 |
| 手机拍的照片 | 未接收 | 「这是一张图片…」 |
| 压缩包(里面是几个单位的表) | 未接收 | 「这是一个压缩包…如包里是几个单位的表,请解压后分别放入收件箱」 |
| RAR 压缩包 | 未接收 | the same |
| 文本文件(GBK) | 未接收 | 「这是文本文件…」 |
| 标识工作表被改成另一个单位(区财政局) | 未接收 | 「…签名校验未通过…(报送单位按表头「填报单位」识别,较确定为「…」)」: nothing counts for 区财政局 |
| 另一个督查任务(工作文件夹)下发的表 | 未接收 | 「此表的标识属于另一个工作文件夹(另一次督查任务,编号 …)…」, not "旧版任务登记表" |
| 40 MB 的视频(超过大小上限,不整份读入内存) | 未接收 | archived in 1 MB chunks (never held whole), 「…(文件大小 40 MB)」 |
| 没有读取权限的文件 | 无法读取 | named in the summary every pass until readable: 「文件无法读取:没有读取权限」 (no bytes: no receipt) |

Containment. Every workbook is parsed in a worker process (`runs/workers.py`), one per core,
whose address space is limited to 1 GiB (`RLIMIT_AS`) and which writes no core file. Before any
reader sees a file, `intake/declared.py` streams every zip part once (at most 100 MB actually
unpacked) and reads what each sheet will cost: the grid from A1 to its farthest valued cell
(xlsx, xlsb, ods with its repeats, xls/et) must stay within 2,000,000 cells (4,000,000 for the
workbook) and the shared strings within 2,000,000. A file that still ends its worker (a native
abort, an allocation the limit refuses, 120 s without an answer) is tried once more in a fresh
worker, then quarantined: archived, rejected with the reason (「此文件在读取时 2 次使读取程序
异常退出(…),已隔离…」), never read again; the pass goes on. A worker that cannot start at all
is an error of the installation (`Error:`), never a file's fault.

The memory bound. One file's parse needs at most 1 GiB of address space in its worker (the
limit enforces it); what the checks let through costs far less: measured with
`python benchmarks/bench_hostile.py` (peak resident memory of a worker, MB):

| file | before | peak | the parse |
|---|---|---|---|
| a normal return | 35 | 35 | 0.6 |
| each file of the table above | 34–35 | 34–35 | 0.0–0.6 (refused before any reader allocates) |
| the largest workbook the checks let through: 20,000 rows × 100 columns of numbers | 40 | 201 | 161 |

The collector itself never holds more than a few files (at most workers + 1, each at most
30 MB; a bigger file is archived in chunks), so a pass stays under 400 MB for the collector plus
1 GiB per worker: on two cores, 2.4 GB in the worst case, ~150 MB measured for the whole second
corpus (`tests/test_hostile.py` prints it and checks the bound).

Identity. Every workbook a folder hands out carries an HMAC-SHA256 of its identity under the
folder's own key (`workbooks/campaign.key`, never sent). An identity edited by hand, copied from
another folder or unsigned is not believed: the file is rejected with that reason, and the
sender named from its header where it can be (saying how sure). Workbooks handed out before
signing existed (identity format 1) keep being collected in the folders that handed them out,
each with a warning that its identity could not be verified; a folder started with signing
refuses them.
""".splitlines()


BIG_CASE = {"file": "big-50MB.xlsx", "case": "50 MB 的工作簿(测试时生成,不入库)", "outcome": "rejected",
            "unit": "", "mentions": "超过上限"}


def write_doc(target: Path = ROOT / "docs" / "hostile-input.md") -> None:
    with open(HERE / "expected.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    target.write_text(render_doc(rows, BIG_CASE, first_messages(rows)), encoding="utf-8")


def build(target: Path = HERE) -> None:
    office: list[tuple[Case, bytes]] = []
    for case in CASES:
        data = case.make()
        if case.office:
            office.append((case, data))
        else:
            (target / case.file).write_bytes(data)
    _office(office, target)
    write_expected(target)


if __name__ == "__main__":
    if "--doc" not in sys.argv[1:]:
        build()
        print(f"wrote {len(CASES)} corpus files and expected.csv to {HERE}")
    write_doc()
    print("wrote docs/hostile-input.md")
