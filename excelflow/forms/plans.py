"""Implementation plans (落实方案): one plan workbook per lead unit, and reading returned plans.

The notice asks each lead unit for a plan with a roadmap and timetable; 督查室 compares reports
with it (欠进度 / 达进度 / 超进度, see `compare.plan_class`). `excelflow generate --plan` writes
`outbox/落实方案/<unit>.xlsx`: for every task the unit leads, one goal column per round of the
register (半年目标, 全年目标 …), 量化指标 and 计划完成时间, pre-filled with what the register's 计划
sheet already holds. The workbook carries the identity sheet (kind `plan`), like any handed-out
workbook, so a returned plan is known whatever its file name.

Returned plans go through `collect` like any return and are archived byte for byte (intake
marks them kind `plan`); `intake/plan_return.py` reads one, `store/plans.py` reads them back from
the archive and merges them into the register the comparison uses.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from excelflow.files import publish_bytes
from excelflow.forms import identity as ident
from excelflow.forms.campaign_key import CampaignKey, ensure_key
from excelflow.register.model import Register, Round
from excelflow.workspace import Workspace
from excelflow.wording import round_name
from excelflow.xlsx import close_with_growing_rows, fit_page_width, new_workbook, protect, row_height, setup_print

PLAN_SHEET = "落实方案"
TASK_ID, TASK_TEXT, CO_UNITS = "序号", "任务内容", "协办单位"
INDICATOR, DUE, REMARKS = "量化指标", "计划完成时间", "备注"
HEADER_ROW = 3  # 0-based: title, instructions, blank, header
PLAN_GENERATOR_VERSION = 2
FONT_SIZE = 10.5


def goal_header(rnd: Round) -> str:
    """`2021年上半年目标（2021-H1）`: the round as people say it; the id in brackets is how a returned
    plan's column is mapped back to its round (`intake/plan_return.py`)."""
    return f"{round_name(rnd)}目标（{rnd.id}）"


# -- writing -------------------------------------------------------------------------------------
def plan_bytes(register: Register, unit: str, generated_at: datetime, key: CampaignKey | None = None) -> bytes:
    """The plan workbook of `unit` (deterministic for equal inputs)."""
    tasks = register.led_tasks(unit)
    rounds = register.rounds
    headers = [TASK_ID, TASK_TEXT, CO_UNITS, *(goal_header(r) for r in rounds), INDICATOR, DUE, REMARKS]
    # One A4 landscape page wide at 9 pt or more: the text columns give way (`xlsx.fit_page_width`).
    widths = fit_page_width([4.5, 26, 12, *([18] * len(rounds)), 12, 9, 6], True, FONT_SIZE,
                            [1, 2, *(3 + i for i in range(len(rounds))), 3 + len(rounds), 5 + len(rounds)])
    given = {(m.task_id, m.round_id): m for m in register.milestones}

    buffer = BytesIO()
    book = new_workbook(buffer)
    book.set_properties({"title": f"{unit} 重点工作落实方案", "created": datetime(2000, 1, 1)})
    body = {"font_name": "宋体", "font_size": FONT_SIZE, "border": 1, "valign": "vcenter", "text_wrap": True}
    title = book.add_format({"font_name": "黑体", "font_size": 16, "align": "center", "valign": "vcenter"})
    note = book.add_format({"font_name": "宋体", "font_size": FONT_SIZE, "text_wrap": True, "valign": "top"})
    header = book.add_format({**body, "font_name": "黑体", "align": "center", "bg_color": "#D9D9D9"})
    locked = book.add_format({**body, "bg_color": "#F2F2F2", "locked": True})
    locked_center = book.add_format({**body, "bg_color": "#F2F2F2", "locked": True, "align": "center"})
    free = book.add_format({**body, "locked": False})
    free_date = book.add_format({**body, "locked": False, "align": "center", "num_format": "yyyy-mm-dd"})

    sheet = book.add_worksheet(PLAN_SHEET)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    last = len(headers) - 1
    found = re.match(r"\d{4}", rounds[0].id) if rounds else None
    year = found.group(0) if found else ""
    sheet.merge_range(0, 0, 0, last, "", title)
    sheet.write_string(0, 0, f"{unit}{year + '年' if year else ''}重点工作落实方案", title)
    sheet.set_row(0, 30)
    instructions = ("请对本单位牵头的每项任务，写明各轮的阶段目标（做到什么程度）、量化指标、计划完成时间，"
                    f"按通知要求报{register.office.name}。灰色单元格为任务信息，请勿修改；督查室将依据本方案对比各轮进展"
                    "（欠进度、达进度、超进度）。")
    sheet.merge_range(1, 0, 1, last, "", note)
    sheet.write_string(1, 0, instructions, note)
    sheet.set_row(1, row_height([(instructions, sum(widths))], font_size=FONT_SIZE))
    for col, text in enumerate(headers):
        sheet.write_string(HEADER_ROW, col, text, header)
    sheet.set_row(HEADER_ROW, 30)

    entry_rows: list[ident.EntryRow] = []
    input_rows: list[int] = []
    for i, task in enumerate(tasks):
        row = HEADER_ROW + 1 + i
        co = "、".join(task.co)  # as the notice names them: `各乡镇(街道)`, not 23 townships
        sheet.write_number(row, 0, task.id, locked_center)
        sheet.write_string(row, 1, task.text, locked)
        sheet.write_string(row, 2, co, locked)
        due: date | None = None
        indicator = ""
        for j, rnd in enumerate(rounds):
            m = given.get((task.id, rnd.id))
            sheet.write_string(row, 3 + j, m.goal if m else "", free)
            if m is not None:
                indicator = indicator or m.indicator
                due = m.due or due
        sheet.write_string(row, 3 + len(rounds), indicator, free)
        if due is not None:
            sheet.write_datetime(row, 4 + len(rounds), datetime.combine(due, datetime.min.time()), free_date)
        else:
            sheet.write_blank(row, 4 + len(rounds), None, free_date)
        sheet.write_blank(row, 5 + len(rounds), None, free)
        sheet.set_row(row, max(45.0, row_height([(task.text, widths[1]), (co, widths[2])], font_size=FONT_SIZE)))
        input_rows.append(row)
        entry_rows.append(ident.EntryRow(PLAN_SHEET, 0, "lead", row + 1, task.id,
                                         ident.fingerprint((task.id, task.text))))
    if tasks:
        first, final = HEADER_ROW + 1, HEADER_ROW + len(tasks)
        sheet.data_validation(first, 4 + len(rounds), final, 4 + len(rounds), {
            "validate": "date", "criteria": "between",
            "minimum": datetime(2000, 1, 1), "maximum": datetime(2099, 12, 31),
            "error_title": "不是日期", "error_message": "请填写日期，例如 2021-09-30。"})
    sheet.freeze_panes(HEADER_ROW + 1, 2)
    setup_print(sheet, landscape=True, repeat_rows=(HEADER_ROW, HEADER_ROW), footer_left=f"{unit} 落实方案")
    protect(sheet)

    digest = hashlib.sha256(repr((PLAN_GENERATOR_VERSION, unit, tasks, rounds,
                                  sorted(given.items()))).encode("utf-8")).hexdigest()[:16]
    ident.write_identity(book, ident.Identity(
        kind="plan", unit=unit, round_id=rounds[0].id if rounds else "",
        template_version=digest, generated_at=generated_at.isoformat(timespec="seconds"),
        rows=tuple(entry_rows)), key)
    # Rows where the lead unit writes its goals grow with the text in Excel and WPS.
    return close_with_growing_rows(book, buffer, {1: input_rows})


def generate_plans(ws: Workspace, register: Register, now: datetime) -> list[Path]:
    """Write one plan workbook per lead unit; returns the paths written (unchanged ones skipped).

    The generation time recorded in the identity is the day, so a rerun the same day with the
    same register rewrites nothing.
    """
    stamp = datetime.combine(now.date(), datetime.min.time())
    key = ensure_key(ws)
    written = []
    for unit in register.leads_in_unit_order():
        done = publish_bytes(ws.plan_file(unit), plan_bytes(register, unit, stamp, key))
        if done is not None:
            written.append(done)
    return written
