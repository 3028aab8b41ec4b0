"""Reading a returned implementation plan (落实方案) workbook into plan milestones.

The plan workbook (`forms/plans.py`) lists the tasks a lead unit leads, one goal column per round
(the header holds the round id: `半年目标（2021-H1）`), 量化指标 and 计划完成时间. Columns are found
by header text and rows by 序号, as for reporting workbooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any

from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_col_to_name

from excelflow.forms import identity as ident
from excelflow.forms.plans import DUE, INDICATOR, TASK_ID
from excelflow.intake.records import Problem
from excelflow.register.cells import parse_task_id
from excelflow.register.load import parse_date
from excelflow.register.model import Milestone, Register


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
    return str(xl_col_to_name(col))


def read_plan(data: bytes, path: str, register: Register) -> PlanReturn:
    """Read a returned plan workbook (.xlsx, .xls, .ods) from its bytes.

    Columns are found by header text (the round id in a goal header maps it to its round), rows
    by 序号; rows of tasks the unit does not lead are reported and skipped.
    """
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
    led = {t.id for t in register.led_tasks(unit)}
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
