"""Implementation plans (落实方案): one plan workbook per lead unit, and reading returned plans.

The notice asks each lead unit for a plan with a roadmap and timetable; 督查室 compares reports
with it (欠进度 / 达进度 / 超进度, see `compare.plan_class`). `excelflow generate --plan` writes
`outbox/落实方案/<unit>.xlsx`: for every task the unit leads, one goal column per round of the
register (半年目标, 全年目标 …), 量化指标 and 计划完成时间, pre-filled with what the register's 计划
sheet already holds. The workbook carries the identity sheet (kind `plan`), like any handed-out
workbook, so a returned plan is known whatever its file name.

Returned plans go through `collect` like any return and are archived byte for byte (intake
marks them kind `plan`); `archived_milestones` reads them back from the archive and
`with_plans` merges them into the register the comparison uses. The clerk's own rows in the
register's 计划 sheet win over a unit's plan for the same task and round: the register is what
the clerk signs off.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excelflow.forms import identity as ident
from excelflow.register.cells import parse_task_id
from excelflow.files import publish_bytes, safe_filename
from excelflow.register.model import Milestone, Register, Round, Task
from excelflow.intake.records import Problem
from excelflow.workspace import Workspace

if TYPE_CHECKING:  # pragma: no cover
    from excelflow.store.archive import Archive

PLAN_SHEET = "落实方案"
PLANS_FOLDER = "落实方案"
TASK_ID, TASK_TEXT, CO_UNITS = "序号", "任务内容", "协办单位"
INDICATOR, DUE, REMARKS = "量化指标", "计划完成时间", "备注"
HEADER_ROW = 3  # 0-based: title, instructions, blank, header
PLAN_GENERATOR_VERSION = 1


def plans_dir(ws: Workspace) -> Path:
    return ws.outbox / PLANS_FOLDER


def plan_file(ws: Workspace, unit: str) -> Path:
    return plans_dir(ws) / safe_filename(f"{unit}-落实方案", ".xlsx")


def goal_header(rnd: Round) -> str:
    """`半年目标（2021-H1）`: the round id in the header lets a reader map the column back."""
    return f"{rnd.name}目标（{rnd.id}）"


def led_tasks(register: Register, unit: str) -> tuple[Task, ...]:
    return tuple(t for t in register.tasks if unit in register.lead_units(t))


def lead_units(register: Register) -> tuple[str, ...]:
    """Units leading at least one task, in register order."""
    leading = {u for t in register.tasks for u in register.lead_units(t)}
    return tuple(u.name for u in register.units if u.name in leading)


# -- writing -------------------------------------------------------------------------------------
def plan_bytes(register: Register, unit: str, generated_at: datetime) -> bytes:
    """The plan workbook of `unit` (deterministic for equal inputs)."""
    from excelflow.xlsx import new_workbook, protect, row_height, setup_print

    tasks = led_tasks(register, unit)
    rounds = register.rounds
    headers = [TASK_ID, TASK_TEXT, CO_UNITS, *(goal_header(r) for r in rounds), INDICATOR, DUE, REMARKS]
    widths = [6, 40, 18, *([28] * len(rounds)), 22, 13, 14]
    given = {(m.task_id, m.round_id): m for m in register.milestones}

    buffer = BytesIO()
    book = new_workbook(buffer)
    book.set_properties({"title": f"{unit} 重点工作落实方案", "created": datetime(2000, 1, 1)})
    body = {"font_name": "宋体", "font_size": 10, "border": 1, "valign": "vcenter", "text_wrap": True}
    title = book.add_format({"font_name": "黑体", "font_size": 16, "align": "center", "valign": "vcenter"})
    note = book.add_format({"font_name": "宋体", "font_size": 10, "text_wrap": True, "valign": "top"})
    header = book.add_format({**body, "font_name": "黑体", "align": "center", "bg_color": "#D9D9D9"})
    locked = book.add_format({**body, "bg_color": "#F2F2F2", "locked": True})
    locked_center = book.add_format({**body, "bg_color": "#F2F2F2", "locked": True, "align": "center"})
    free = book.add_format({**body, "locked": False})
    free_date = book.add_format({**body, "locked": False, "align": "center", "num_format": "yyyy-mm-dd"})

    sheet = book.add_worksheet(PLAN_SHEET)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    last = len(headers) - 1
    year = re.match(r"\d{4}", rounds[0].id).group(0) if rounds and re.match(r"\d{4}", rounds[0].id) else ""
    sheet.merge_range(0, 0, 0, last, "", title)
    sheet.write_string(0, 0, f"{unit}{year + '年' if year else ''}重点工作落实方案", title)
    sheet.set_row(0, 30)
    instructions = ("请对本单位牵头的每项任务，写明各轮的阶段目标（做到什么程度）、量化指标、计划完成时间，"
                    "按通知要求报区政府督查室。灰色单元格为任务信息，请勿修改；督查室将依据本方案对比各轮进展"
                    "（欠进度、达进度、超进度）。")
    sheet.merge_range(1, 0, 1, last, "", note)
    sheet.write_string(1, 0, instructions, note)
    sheet.set_row(1, row_height([(instructions, sum(widths))], font_size=10))
    for col, text in enumerate(headers):
        sheet.write_string(HEADER_ROW, col, text, header)
    sheet.set_row(HEADER_ROW, 30)

    entry_rows: list[ident.EntryRow] = []
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
        sheet.set_row(row, max(45.0, row_height([(task.text, widths[1]), (co, widths[2])], font_size=10)))
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
        rows=tuple(entry_rows)))
    book.close()
    return buffer.getvalue()


def generate_plans(ws: Workspace, register: Register, now: datetime) -> list[Path]:
    """Write one plan workbook per lead unit; returns the paths written (unchanged ones skipped).

    The generation time recorded in the identity is the day, so a rerun the same day with the
    same register rewrites nothing.
    """
    stamp = datetime.combine(now.date(), datetime.min.time())
    written = []
    for unit in lead_units(register):
        done = publish_bytes(plan_file(ws, unit), plan_bytes(register, unit, stamp))
        if done is not None:
            written.append(done)
    return written


# -- reading -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanReturn:
    """What a returned plan says: the unit, its milestones, and what was wrong with it."""

    unit: str
    milestones: tuple[Milestone, ...]
    problems: tuple[Problem, ...]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _col_name(col: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(col)


def read_plan(data: bytes, path: str, register: Register) -> PlanReturn:
    """Read a returned plan workbook (.xlsx, .xls, .ods) from its bytes.

    Columns are found by header text (the round id in a goal header maps it to its round), rows
    by 序号; rows of tasks the unit does not lead are reported and skipped.
    """
    from python_calamine import CalamineWorkbook

    from excelflow.register.load import parse_date

    problems: list[Problem] = []
    book = CalamineWorkbook.from_filelike(BytesIO(data))
    if ident.IDENTITY_SHEET not in book.sheet_names:
        return PlanReturn("", (), (Problem("error", "没有 excelflow 标识，不是下发的落实方案表。", path),))
    found = ident.read_identity(book.get_sheet_by_name(ident.IDENTITY_SHEET).to_python())
    if found.kind != "plan":
        return PlanReturn(found.unit, (), (Problem("error", "这不是落实方案表。", path),))
    unit = found.unit
    names = [n for n in book.sheet_names if n != ident.IDENTITY_SHEET]
    sheet_name = next((r.sheet for r in found.rows if r.sheet in names), names[0] if names else None)
    if sheet_name is None:
        return PlanReturn(unit, (), (Problem("error", "落实方案表中没有工作表。", path),))
    rows = book.get_sheet_by_name(sheet_name).to_python()
    head = next((i for i, r in enumerate(rows) if any(_text(v) == TASK_ID for v in r)), None)
    if head is None:
        return PlanReturn(unit, (), (Problem("error", f"找不到表头「{TASK_ID}」。", path, sheet_name),))
    columns = {_text(v): c for c, v in enumerate(rows[head]) if _text(v)}
    goal_cols = {}
    for rnd in register.rounds:
        col = next((c for h, c in columns.items()
                    if f"（{rnd.id}）" in h or f"({rnd.id})" in h), None)
        if col is not None:
            goal_cols[rnd.id] = col
    if not goal_cols:
        problems.append(Problem("error", "找不到各轮目标列（表头应含轮次，如「半年目标（2021-H1）」）。",
                                path, sheet_name))
    led = {t.id for t in led_tasks(register, unit)}
    id_col = columns[TASK_ID]
    milestones: list[Milestone] = []
    for r in range(head + 1, len(rows)):
        values = rows[r]

        def cell(name: str, default: Any = "") -> Any:
            c = columns.get(name)
            return values[c] if c is not None and c < len(values) else default

        task_id = parse_task_id(values[id_col] if id_col < len(values) else "")
        if task_id is None:
            continue
        if task_id not in led:
            problems.append(Problem("warning", f"任务 {task_id} 不是{unit}牵头的任务，未读取。", path, sheet_name,
                                    f"{_col_name(id_col)}{r + 1}", task_id, "lead"))
            continue
        indicator = _text(cell(INDICATOR))
        due_raw = cell(DUE)
        due = parse_date(due_raw)
        if due is None and _text(due_raw):
            problems.append(Problem("warning", f"计划完成时间「{_text(due_raw)}」不是日期，未读取。", path, sheet_name,
                                    f"{_col_name(columns[DUE])}{r + 1}", task_id, "lead"))
        for round_id, col in goal_cols.items():
            goal = _text(values[col] if col < len(values) else "")
            if goal:
                milestones.append(Milestone(task_id, round_id, goal, indicator, due))
    return PlanReturn(unit, tuple(milestones), tuple(problems))


def archived_milestones(ws: Workspace, register: Register, archive: Archive | None = None
                        ) -> tuple[Milestone, ...]:
    """Milestones from the plan returns in the archive; a unit's latest plan replaces its earlier.

    Reads only archived files that intake marked as plans (kind `plan`), in receipt order, found
    through the index's light metadata (no report's entries are read). A collect pass passes its
    own `archive`.
    """
    if archive is None:
        from excelflow.store.archive import Archive

        archive = Archive(ws)
    latest: dict[str, tuple[Milestone, ...]] = {}
    for sub in archive.submission_meta():
        if sub.kind != "plan":
            continue
        record = archive.get(sub.sha256)
        if record is None:
            continue
        try:
            data = (ws.root / record.blob).read_bytes()
        except OSError:
            continue
        plan = read_plan(data, sub.path, register)
        if plan.unit and plan.milestones:
            latest[plan.unit] = plan.milestones
    return tuple(m for ms in latest.values() for m in ms)


def with_plans(register: Register, milestones: Iterable[Milestone]) -> Register:
    """The register with plan milestones added where its own 计划 sheet has none for (task, round).

    With two lead units planning one task, the plan received first is kept.
    """
    have = {(m.task_id, m.round_id) for m in register.milestones}
    added: list[Milestone] = []
    for m in milestones:
        if (m.task_id, m.round_id) not in have:
            added.append(m)
            have.add((m.task_id, m.round_id))
    if not added:
        return register
    return replace(register, milestones=(*register.milestones, *added))
