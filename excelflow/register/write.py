"""(register) Write the register workbook a clerk edits: xlsxwriter layout, formats, the 说明 sheet.

Writing is deterministic (a fixed document date), so equal registers give equal bytes. See
`layout.py` for the sheets, their names and headers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from excelflow.errors import RegisterError
from excelflow.files import atomic_write_bytes
from excelflow.notice.units import ALL_PREFIX, RELEVANT_PREFIX
from excelflow.register.layout import (
    ALIASES,
    CO,
    CO_DEADLINE,
    CONTACT,
    DUE,
    GOAL,
    GROUPS,
    HELP_SHEET,
    INDICATOR,
    LEAD,
    LEAD_DEADLINE,
    MAIL_SETTING_NOTES,
    NONE_CHOSEN,
    PHONE,
    PLAN_COLUMNS,
    PLAN_REFERENCE,
    PLAN_ROUND,
    PLAN_SHEET,
    PLAN_TASK,
    RELEVANT,
    ROUND_COLUMNS,
    ROUND_ID,
    ROUNDS_SHEET,
    SETTING_KEY,
    SETTING_NOTE,
    SETTING_NOTES,
    SETTING_VALUE,
    SETTINGS_SHEET,
    TASK_COLUMNS,
    TASK_DUE,
    TASK_ID,
    TASKS_SHEET,
    TITLE_SETTING,
    UNIT_COLUMNS,
    UNIT_EMAILS,
    UNIT_NAME,
    UNITS_SHEET,
)
from excelflow.register.model import Register
from excelflow.xlsx import DEFAULT_FONTS, display_width, fit_page_width, new_workbook, row_height, setup_print


def join_names(names: Iterable[str]) -> str:
    return "、".join(names)


# -- writing ------------------------------------------------------------------------------------------
_FIXED_CREATED = datetime(2021, 1, 1)  # a fixed document date keeps the bytes of equal registers equal
_MAX_ROWS_VALIDATED = 2000


def write_register(path: Path, register: Register) -> None:
    """Write `register` as the workbook a clerk edits (atomically: no reader sees half of it)."""
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    book.set_properties({"title": register.title or "任务登记表", "created": _FIXED_CREATED,
                         "comments": "excelflow 任务登记表"})
    styles = _Styles(book)
    _write_tasks(book, styles, register)
    _write_units(book, styles, register)
    _write_rounds(book, styles, register)
    _write_plan(book, styles, register)
    _write_settings(book, styles, register)
    _write_help(book, styles, register)
    book.close()
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except PermissionError as exc:
        raise RegisterError(f"无法写入 {path}:文件被占用或没有写权限", suggestion="先在 Excel/WPS 中关闭登记表再重试") from exc


class _Styles:
    def __init__(self, book: Any):
        body = DEFAULT_FONTS.body.properties()
        base = {**body, "valign": "top", "text_wrap": True, "border": 1, "border_color": "#BFBFBF"}
        self.header = book.add_format({**DEFAULT_FONTS.header.properties(), "border": 1, "border_color": "#BFBFBF",
                                       "text_wrap": True, "bg_color": "#DDEBF7", "align": "center",
                                       "valign": "vcenter"})
        self.text = book.add_format(base)
        self.center = book.add_format({**base, "align": "center"})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd", "align": "center"})
        self.reference = book.add_format({**base, "font_color": "#7F7F7F"})
        self.to_choose = book.add_format({"bg_color": "#FFF2CC"})
        self.title = book.add_format({**DEFAULT_FONTS.title.properties()})
        self.note = book.add_format({**body, "text_wrap": True, "valign": "top"})
        self.note_bold = book.add_format({**body, "text_wrap": True, "valign": "top", "bold": True})


def _column_widths(headers: Sequence[str], rows: Sequence[Sequence[Any]], caps: Sequence[int],
                   floors: Sequence[int] = ()) -> list[float]:
    """Each column as wide as its widest line (CJK counted double), at most its cap (then it wraps)."""
    widths = []
    for col, (header, cap) in enumerate(zip(headers, caps)):
        widest = max(display_width(header) + 3, floors[col] if col < len(floors) else 0)  # +3: filter arrow
        for row in rows:
            value = row[col] if col < len(row) else ""
            widest = max(widest, display_width(value.isoformat() if isinstance(value, date) else value) + 1)
        widths.append(float(min(widest, cap)))
    return widths


def _table(book: Any, styles: _Styles, name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
           caps: Sequence[int], floors: Sequence[int] = (), landscape: bool = True) -> Any:
    """A sheet with a frozen, filtered header row, bordered wrapped cells and print setup."""
    sheet = book.add_worksheet(name)
    widths = _column_widths(headers, rows, caps, floors)
    # Printed one A4 page wide at 9 pt or more: the wide (wrapping) columns give way.
    widths = fit_page_width(widths, landscape, DEFAULT_FONTS.body.size, [c for c, w in enumerate(widths) if w > 10])
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.write_row(0, 0, headers, styles.header)
    sheet.set_row(0, row_height(zip(headers, widths)))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), styles.date)
            elif isinstance(value, int):
                sheet.write_number(r, c, value, styles.center)
            elif value is None or value == "":
                sheet.write_blank(r, c, None, styles.text)
            else:
                sheet.write_string(r, c, str(value), styles.text)
        # Excel does not grow rows for text it did not type itself: size them for the wrapped text.
        sheet.set_row(r, row_height((v, w) for v, w in zip(row, widths) if isinstance(v, str)))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    setup_print(sheet, landscape=landscape, repeat_rows=(0, 0), footer_left=f"任务登记表 · {name}")
    return sheet


def _write_tasks(book: Any, styles: _Styles, register: Register) -> None:
    rows = [
        (t.id, t.chapter, t.section or "", t.text, join_names(t.lead), join_names(t.co), t.due,
         "" if t.relevant is None else (join_names(t.relevant) or NONE_CHOSEN))
        for t in register.tasks
    ]
    sheet = _table(book, styles, TASKS_SHEET, TASK_COLUMNS, rows, caps=(6, 22, 20, 60, 24, 30, 14, 24))
    sheet.freeze_panes(1, 1)
    last = max(len(rows), 1) + 200  # room for tasks the clerk adds
    sheet.data_validation(1, 0, last, 0, {
        "validate": "integer", "criteria": ">", "value": 0,
        "error_title": "序号", "error_message": "序号是通知中的任务编号,填写正整数。"})
    # A task that names 相关… and has no choice yet is shaded, until the clerk fills the choice.
    lead, co, choice = (_letter(TASK_COLUMNS.index(h)) for h in (LEAD, CO, RELEVANT))
    sheet.conditional_format(1, TASK_COLUMNS.index(RELEVANT), last, TASK_COLUMNS.index(RELEVANT), {
        "type": "formula",
        "criteria": f'=AND(${choice}2="",COUNTIF(${lead}2:${co}2,"*{RELEVANT_PREFIX}*")+COUNTIF(${lead}2:${co}2,"*有关*")>0)',
        "format": styles.to_choose})
    sheet.write_comment(0, TASK_COLUMNS.index(RELEVANT),
                        f"任务的牵头或协办单位含「{RELEVANT_PREFIX}…」分组(如 相关乡镇(街道)、市级各相关部门)时,"
                        f"在此填写参与的单位,用「、」分隔;都不参与填「{NONE_CHOSEN}」。黄色格子表示还没选。",
                        {"x_scale": 2, "y_scale": 1.5})
    sheet.write_comment(0, TASK_COLUMNS.index(TASK_DUE), "通知(任务表)写明的完成时限,照原文保留;可改。",
                        {"x_scale": 1.5})


def _letter(column: int) -> str:
    return chr(ord("A") + column)


def _write_units(book: Any, styles: _Styles, register: Register) -> None:
    rows = [(u.name, join_names(u.aliases), join_names(u.groups), u.contact, u.phone, u.code, "、".join(u.emails))
            for u in register.units]
    _table(book, styles, UNITS_SHEET, (*UNIT_COLUMNS, UNIT_EMAILS), rows, caps=(28, 30, 14, 10, 16, 12, 36),
           floors=(0, 0, 0, 10, 14, 0, 16), landscape=True)  # seven columns with the mail addresses


def _write_rounds(book: Any, styles: _Styles, register: Register) -> None:
    rows = [(r.id, r.name, r.co_deadline, r.lead_deadline) for r in register.rounds]
    sheet = _table(book, styles, ROUNDS_SHEET, ROUND_COLUMNS, rows, caps=(12, 16, 14, 14), landscape=False)
    sheet.set_column(2, 3, 14, styles.date)  # rows the clerk adds get the date format too
    sheet.data_validation(1, 2, 200, 3, {
        "validate": "date", "criteria": "between",
        "minimum": datetime(2000, 1, 1), "maximum": datetime(2099, 12, 31),
        "input_title": "截止日期", "input_message": "例如 2021-06-15。当天报送的算按时。",
        "error_title": "不是日期", "error_message": "请填写日期,例如 2021-06-15。"})


def _write_plan(book: Any, styles: _Styles, register: Register) -> None:
    """Every task × round gets a row; the clerk fills the stage goals from the lead units' plans."""
    texts = {t.id: t.text for t in register.tasks}
    given = {(m.task_id, m.round_id): m for m in register.milestones}
    keys = list(given)
    for task in register.tasks:
        keys += [(task.id, r.id) for r in register.rounds if (task.id, r.id) not in given]
    order = {t.id: i for i, t in enumerate(register.tasks)}
    round_order = {r.id: i for i, r in enumerate(register.rounds)}
    keys.sort(key=lambda k: (order.get(k[0], len(order)), k[0], round_order.get(k[1], len(round_order))))
    rows = []
    for task_id, round_id in keys:
        m = given.get((task_id, round_id))
        rows.append((task_id, round_id, m.goal if m else "", m.indicator if m else "",
                     m.due if m and m.due else "", texts.get(task_id, "")))
    headers = (*PLAN_COLUMNS, PLAN_REFERENCE)
    sheet = _table(book, styles, PLAN_SHEET, headers, rows, caps=(8, 10, 40, 24, 12, 50), floors=(0, 0, 36, 22, 12))
    sheet.freeze_panes(1, 2)
    last = len(rows) + 400
    for r in range(1, len(rows) + 1):  # the reference text follows the task: a look-up with its value cached
        sheet.write_formula(r, 5, f"=IFERROR(VLOOKUP(A{r + 1},'{TASKS_SHEET}'!$A:$D,4,FALSE),\"\")",
                            styles.reference, rows[r - 1][5])
    sheet.set_column(4, 4, 12, styles.date)
    sheet.data_validation(1, 1, last, 1, {
        "validate": "list", "source": f"='{ROUNDS_SHEET}'!$A$2:$A$200",
        "error_title": "轮次", "error_message": f"请选择「{ROUNDS_SHEET}」表中已有的轮次。"})
    sheet.data_validation(1, 4, last, 4, {
        "validate": "date", "criteria": "between",
        "minimum": datetime(2000, 1, 1), "maximum": datetime(2099, 12, 31),
        "error_title": "不是日期", "error_message": "请填写日期,例如 2021-06-30,或留空。"})


def _write_settings(book: Any, styles: _Styles, register: Register) -> None:
    items = [(TITLE_SETTING, register.title)] + [(k, v) for k, v in register.settings.items() if k != TITLE_SETTING]
    items += [(k, "") for k in MAIL_SETTING_NOTES if k not in register.settings]  # where the mailbox goes
    notes = {**SETTING_NOTES, **MAIL_SETTING_NOTES}
    rows = [(k, v, notes.get(k, "")) for k, v in items]
    _table(book, styles, SETTINGS_SHEET, (SETTING_KEY, SETTING_VALUE, SETTING_NOTE), rows, caps=(14, 60, 40))


def _write_help(book: Any, styles: _Styles, register: Register) -> None:
    sheet = book.add_worksheet(HELP_SHEET)
    widths = fit_page_width((14, 96), False, DEFAULT_FONTS.body.size, (1,))  # A4 portrait at 9 pt or more
    sheet.set_column(0, 0, widths[0])
    sheet.set_column(1, 1, widths[1])
    sheet.write(0, 0, "任务登记表怎么改", styles.title)
    groups = sorted({g for u in register.units for g in u.groups})
    lines = _help_lines(groups)
    for r, (topic, text) in enumerate(lines, start=2):
        sheet.write_string(r, 0, topic, styles.note_bold)
        sheet.write_string(r, 1, text, styles.note)
        sheet.set_row(r, row_height([(text, widths[1]), (topic, widths[0])]))
    setup_print(sheet, landscape=False, footer_left="任务登记表 · 说明")
    sheet.set_tab_color("#70AD47")


def _help_lines(groups: Sequence[str]) -> list[tuple[str, str]]:
    group_text = "、".join(f"「{g}」" for g in groups) or "(还没有)"
    return [
        ("总则", "本工作簿是 excelflow 的任务登记表,之后生成填报表、收集、对比通报都读它。可以改内容、调整列宽、"
                 "增删行,也可以在右边加自己的列;请不要改工作表名称和第 1 行的表头文字。改完保存为 .xlsx。"
                 "任何命令读到填错的地方,都会指出工作表、行、列,并给出修改建议。"),
        (TASKS_SHEET, f"一行一个任务。「{TASK_ID}」是通知里的任务编号,不能重复;「{LEAD}」「{CO}」填单位名称,多个单位用「、」"
                      f"分隔,名称须是「{UNITS_SHEET}」表里的单位名称或别名(写别名也行,读取时按单位名称处理)。"
                      f"某任务确实没有牵头单位时,该格留空,但这项任务不会向任何单位要报告。"),
        ("分组", f"「{CO}」「{LEAD}」里可以写分组,即代表多个单位的名称:「{ALL_PREFIX}X」(如 各乡镇(街道)、"
                 f"各县(市、区)人民政府)表示分组 X 的全部单位,成员由您在「{UNITS_SHEET}」表「{GROUPS}」列登记"
                 f"(填 X,不带「{ALL_PREFIX}」字);「{RELEVANT_PREFIX}X」「…有关部门」(如 市级各相关部门)表示与本任务相关的单位,"
                 f"由您在「{RELEVANT}」列逐项选定。分组没有成员、相关单位没有选定之前,不向任何单位要报告,每个命令都会提醒。"
                 f"目前登记了成员的分组:{group_text}。"),
        (RELEVANT, f"通知只写了「{RELEVANT_PREFIX}…」而没有写是哪些单位,请在这一列填写参与的单位名称,用「、」分隔"
                   f"(「{RELEVANT_PREFIX}X」且分组 X 有成员时,只能选其成员)。黄色格子表示还没选:没选之前,这项任务"
                   f"不向这些单位要报告。确定都不参与,填「{NONE_CHOSEN}」。任务不含「{RELEVANT_PREFIX}…」分组时,这一列留空。"),
        (TASK_DUE, "通知或任务表写明的完成时限,按原文保留,供对照;不影响报送截止日期(截止日期在「轮次」表)。"),
        (UNITS_SHEET, f"一行一个单位。「{UNIT_NAME}」是唯一的标准名称,生成的文件、汇总都用它;「{ALIASES}」填通知或"
                      f"各单位习惯的其他写法(如 区市管局、工信局),用「、」分隔——导入新通知时这些别名也会自动识别。"
                      f"「{GROUPS}」填所属分组(如 乡镇(街道))。「{CONTACT}」「{PHONE}」印在发给该单位的填报表上。"
                      f"「{UNIT_EMAILS}」填接收填报表的邮箱,可填多个,用「、」分隔(excelflow mail 按它发送)。"
                      f"同一名称或别名不能指两个单位。"),
        (ROUNDS_SHEET, f"一行一次报送(轮次)。「{ROUND_ID}」是编号,如 2021-H1(半年)、2021-FY(全年),按季度或按月报送的"
                       f"可写 2021-Q1、2021-07 等;「{CO_DEADLINE}」是协办单位报牵头单位(抄送督查室)的截止日,"
                       f"「{LEAD_DEADLINE}」是牵头单位汇总后报督查室的截止日,当天报送算按时。协办截止不能晚于牵头截止。"),
        (PLAN_SHEET, f"各牵头单位落实方案中的阶段目标:每个任务每个轮次一行,已列好「{PLAN_TASK}」和「{PLAN_ROUND}」,"
                     f"填写「{GOAL}」「{INDICATOR}」「{DUE}」即可;不填的行不读取。灰色的「{PLAN_REFERENCE}」列只为"
                     f"方便对照,不会被读取。有阶段目标的任务,对比通报会标出欠进度、达进度、超进度。"),
        (SETTINGS_SHEET, "督查室名称、发文层级和地名(导入时从通知读出,可改)、联系人、电话、邮箱和通知标题,"
                         "印在生成的表格和通报上;没有联系人的,表格上不印联系方式。可在下面加行。"
                         "收信服务器、发信服务器等几行是收发邮件用的(见 docs/mail.md);邮箱密码或授权码不要写在登记表里。"),
        ("日期", "日期可以是 Excel 日期,也可以写成 2021-06-15、2021/6/15 或 2021年6月15日。"),
    ]
