"""Plans (落实方案): one workbook per lead unit, filled and returned, read into the comparison."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from office import convert, requires_office
from python_calamine import CalamineWorkbook

from excelflow.cli import main
from excelflow.forms.identity import IDENTITY_SHEET, read_identity
from excelflow.forms.plans import PLAN_SHEET, plan_bytes
from excelflow.intake.plan_return import read_plan
from excelflow.register.campaign import default_register
from excelflow.register.model import Milestone
from excelflow.store.plans import with_plans
from excelflow.workspace import Workspace

UNIT = "区工信局"


def led(reg, unit: str) -> list[int]:
    return [t.id for t in reg.tasks if unit in reg.lead_units(t)]


def fill(data: bytes, goals: dict[int, tuple[str, str, str, object]], target: Path) -> Path:
    """Fill a plan as a unit would in Excel: H1 goal, FY goal, indicator, completion date per task."""
    book = openpyxl.load_workbook(BytesIO(data))
    sheet = book[PLAN_SHEET]
    headers = [c.value for c in sheet[4]]
    col = {h: i + 1 for i, h in enumerate(headers)}
    for row in range(5, sheet.max_row + 1):
        task = sheet.cell(row, 1).value
        if task in goals:
            h1, fy, indicator, due = goals[task]
            sheet.cell(row, col["2021年上半年目标（2021-H1）"]).value = h1
            sheet.cell(row, col["2021年全年目标（2021-FY）"]).value = fy
            sheet.cell(row, col["量化指标"]).value = indicator
            sheet.cell(row, col["计划完成时间"]).value = due
    book.save(target)
    return target


def test_generate_plan_writes_one_workbook_per_lead_unit_with_its_tasks(tmp_path: Path):
    root = tmp_path / "督查室"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root), "--example"]).exit_code == 0
    result = runner.invoke(main, ["generate", "--plan", "--root", str(root), "--now", "2021-03-30T09:00"])
    assert result.exit_code == 0, result.output
    reg = default_register()
    ws = Workspace(root)
    leads = {u for t in reg.tasks for u in reg.lead_units(t)}
    assert sorted(p.name for p in (ws.outbox / "落实方案").iterdir()) == sorted(
        ws.plan_file(u).name for u in leads)
    book = CalamineWorkbook.from_path(str(ws.plan_file(UNIT)))
    identity = read_identity(book.get_sheet_by_name(IDENTITY_SHEET).to_python())
    assert (identity.kind, identity.unit) == ("plan", UNIT)
    rows = book.get_sheet_by_name(PLAN_SHEET).to_python()
    ids = [int(r[0]) for r in rows[4:] if isinstance(r[0], float)]
    assert ids == led(reg, UNIT)
    assert [r.task_id for r in identity.rows] == ids
    again = runner.invoke(main, ["generate", "--plan", "--root", str(root), "--now", "2021-03-30T17:00"])
    assert "新生成 0 个" in again.output  # same day, same register: nothing rewritten
    assert runner.invoke(main, ["generate", "--root", str(root)]).exit_code == 2  # a report needs --round


def test_a_plan_shows_what_the_register_already_holds(tmp_path: Path):
    reg = default_register()
    task = led(reg, UNIT)[0]
    reg = replace(reg, milestones=(Milestone(task, "2021-FY", "全面完成", "新增40家", date(2021, 10, 31)),))
    rows = CalamineWorkbook.from_filelike(BytesIO(plan_bytes(reg, UNIT, datetime(2021, 3, 30)))) \
        .get_sheet_by_name(PLAN_SHEET).to_python()
    row = next(r for r in rows if r[0] == float(task))
    assert row[3:7] == ["", "全面完成", "新增40家", date(2021, 10, 31)]


def test_read_plan_gives_milestones_per_round_and_flags_foreign_tasks_and_bad_dates(tmp_path: Path):
    reg = default_register()
    mine = led(reg, UNIT)
    foreign = next(t.id for t in reg.tasks if UNIT not in reg.lead_units(t))
    data = plan_bytes(reg, UNIT, datetime(2021, 3, 30))
    goals = {mine[0]: ("完成链长制方案", "全年新增企业40家", "40家", datetime(2021, 11, 30)),
             mine[1]: ("", "全年完成技改10项", "10项", "2021年12月20日"),
             mine[2]: ("启动", "完成", "", "年底前")}
    path = fill(data, goals, tmp_path / "plan.xlsx")
    # a unit adds a row for a task it does not lead
    book = openpyxl.load_workbook(path)
    book[PLAN_SHEET].append([foreign, "别的任务", "", "目标", "目标", "", None, ""])
    book.save(path)
    plan = read_plan(path.read_bytes(), "inbox/plan.xlsx", reg)
    assert plan.unit == UNIT
    got = {(m.task_id, m.round_id): (m.goal, m.indicator, m.due) for m in plan.milestones}
    assert got == {
        (mine[0], "2021-H1"): ("完成链长制方案", "40家", date(2021, 11, 30)),
        (mine[0], "2021-FY"): ("全年新增企业40家", "40家", date(2021, 11, 30)),
        (mine[1], "2021-FY"): ("全年完成技改10项", "10项", date(2021, 12, 20)),
        (mine[2], "2021-H1"): ("启动", "", None),
        (mine[2], "2021-FY"): ("完成", "", None),
    }
    messages = [p.message for p in plan.problems]
    assert any(f"任务 {foreign} 不是{UNIT}牵头的任务" in m for m in messages)
    assert any("「年底前」不是日期" in m for m in messages)


def test_the_registers_own_plan_rows_win_over_a_units_plan():
    reg = default_register()
    task = led(reg, UNIT)[0]
    clerk = Milestone(task, "2021-FY", "督查室核定目标")
    merged = with_plans(replace(reg, milestones=(clerk,)),
                        [Milestone(task, "2021-FY", "单位自报目标"), Milestone(task, "2021-H1", "半年目标")])
    assert merged.milestone(task, "2021-FY") == clerk
    assert merged.milestone(task, "2021-H1").goal == "半年目标"


@requires_office
def test_a_plan_saved_by_libreoffice_as_ods_reads_the_same(tmp_path: Path):
    reg = default_register()
    mine = led(reg, UNIT)
    path = fill(plan_bytes(reg, UNIT, datetime(2021, 3, 30)),
                {mine[0]: ("半年目标", "全年目标", "指标", datetime(2021, 9, 30))}, tmp_path / "p.xlsx")
    [ods] = convert([path], "ods", tmp_path / "ods")
    assert read_plan(ods.read_bytes(), "p.ods", reg).milestones == read_plan(path.read_bytes(), "p.xlsx", reg).milestones


def test_a_returned_plan_is_collected_and_the_comparison_judges_against_it(tmp_path: Path):
    root = tmp_path / "督查室"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root), "--example"]).exit_code == 0
    assert runner.invoke(main, ["generate", "--plan", "--root", str(root), "--now", "2021-03-30T09:00"]).exit_code == 0
    ws = Workspace(root)
    reg = default_register()
    task = led(reg, UNIT)[0]
    fill(ws.plan_file(UNIT).read_bytes(), {task: ("完成方案", "全年完成", "40家", datetime(2021, 5, 31))},
         ws.inbox / "工信局方案.xlsx")
    collected = runner.invoke(main, ["collect", "--root", str(root), "--now", "2021-04-10T09:00", "--wait", "5"])
    assert collected.exit_code in (0, 3), collected.output
    # Its receipt says nothing is owed, in green: a plan carries goals, not progress entries.
    [receipt] = root.glob("outbox/*/receipts/回执-*.xlsx")
    first = openpyxl.load_workbook(receipt)["回执"]["A1"]
    assert first.value == "落实方案已收,无需操作" and first.fill.fgColor.rgb.endswith("E2EFDA")
    result = runner.invoke(main, ["compare", "--round", "2021-H1", "--now", "2021-06-28T09:00", "--root", str(root)])
    assert result.exit_code == 0, result.output
    book = CalamineWorkbook.from_path(str(ws.comparison_path("2021-H1")))
    rows = book.get_sheet_by_name("任务进展").to_python()
    head = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    columns = [str(c) for c in rows[head]]
    row = next(dict(zip(columns, r)) for r in rows[head + 1:] if r[0] == float(task) and r[2] == UNIT)
    assert row["计划目标\n（落实方案）"] == "完成方案（完成时限：2021年5月31日）"
    assert row["对照计划"] == "—"  # nothing reported yet: no judgement


def test_a_returned_plan_goal_shows_in_the_units_next_reporting_workbook(tmp_path: Path):
    root = tmp_path / "督查室"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root), "--example"]).exit_code == 0
    assert runner.invoke(main, ["generate", "--plan", "--root", str(root), "--now", "2021-03-30T09:00"]).exit_code == 0
    ws = Workspace(root)
    task = led(default_register(), UNIT)[0]
    fill(ws.plan_file(UNIT).read_bytes(), {task: ("完成链长制方案", "全年完成", "40家", datetime(2021, 5, 31))},
         ws.inbox / "工信局方案.xlsx")
    collected = runner.invoke(main, ["collect", "--root", str(root), "--now", "2021-04-10T09:00", "--wait", "5"])
    assert collected.exit_code in (0, 3), collected.output

    generated = runner.invoke(main, ["generate", "--round", "2021-H1", "--root", str(root), "--now", "2021-06-01T09:00"])
    assert generated.exit_code == 0, generated.output
    rows = CalamineWorkbook.from_path(str(ws.template_file("2021-H1", UNIT))).get_sheet_by_name("牵头任务").to_python()
    head = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    columns = [str(c) for c in rows[head]]
    row = next(dict(zip(columns, r)) for r in rows[head + 1:] if r[0] == float(task))
    assert "完成链长制方案" in row["本轮计划目标"]
