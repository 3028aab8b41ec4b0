"""Returns holding formulas, links and DDE strings stay plain text in every output of the comparison.

Every text a unit can type (progress text, problems, the previous round's text, a status that
intake could not place and quotes in its message) is drawn from the dangerous strings below; the
register's contact and phone fields carry them too. The workbook is checked at the XML level
(no formula, no hyperlink anywhere) and read back with calamine (the exact string); the draft
notification has no field and no hyperlink and shows the string; the text file shows it.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import compare_scenario as sc
import docx
from python_calamine import CalamineWorkbook

from excelflow.register.model import Milestone
from excelflow.reports.comparison_workbook import write_comparison
from excelflow.workspace import Workspace

DANGEROUS = (
    '=HYPERLINK("http://evil.example/x","点击查看")',
    "=cmd|' /C calc'!A1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "=1+1",
    "http://evil.example/进展",
    "=DDE(\"cmd\";\"/C calc\";\"x\")",
)


def outputs(tmp_path: Path):
    base = sc.register()
    units = tuple(replace(u, contact=DANGEROUS[i % len(DANGEROUS)], phone=DANGEROUS[(i + 1) % len(DANGEROUS)])
                  for i, u in enumerate(base.units))
    # plan goals come from units too (returned 落实方案)
    plans = tuple(Milestone(t.id, "2021-FY", DANGEROUS[i % len(DANGEROUS)], DANGEROUS[(i + 3) % len(DANGEROUS)])
                  for i, t in enumerate(base.tasks))
    reg = replace(base, units=units, milestones=plans)
    h1 = sc.states(reg, sc.H1, seed=31, texts=DANGEROUS)
    fy = sc.states(reg, sc.FY, seed=32, texts=DANGEROUS)
    # every valid lead report is behind schedule and explains why with a dangerous string, so
    # the draft notification (which quotes problems of tasks behind) carries all of them
    valid = [i for i, s in enumerate(fy) if s.role == "lead" and s.state in ("on_time", "late")]
    assert len(valid) >= 3
    for n, i in enumerate(valid):
        fy[i] = replace(fy[i], content=replace(fy[i].content, status="滞后",
                                               problems=DANGEROUS[n % len(DANGEROUS)]))
    ws = Workspace(tmp_path)
    write_comparison(ws, reg, "2021-FY", fy, sc.previous_content(h1), datetime(2021, 12, 28, 9))
    return ws, reg


def test_workbook_has_no_formula_and_no_link_and_keeps_the_exact_text(tmp_path: Path):
    ws, reg = outputs(tmp_path)
    path = ws.comparison_path("2021-FY")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        sheets = [n for n in names if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            xml = z.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml, name
            assert "<hyperlink" not in xml, name
        rels = [z.read(n).decode("utf-8") for n in names if n.startswith("xl/worksheets/_rels/")]
        assert not any("hyperlink" in r for r in rels)
        assert not any(n.startswith("xl/externalLinks") for n in names)  # DDE lives there
    book = CalamineWorkbook.from_path(str(path))
    cells = [v for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row]
    found = {d for d in DANGEROUS if any(isinstance(v, str) and d in v for v in cells)}
    # each string was written whole as text somewhere (as a cell or inside a flag/message)
    assert found == set(DANGEROUS)
    exact = {v for v in cells if isinstance(v, str)}
    assert {"+1+1", "-2+3", "=1+1"} & exact  # written as a whole cell, not turned into a number
    tasks = book.get_sheet_by_name("任务进展").to_python()
    head = next(i for i, r in enumerate(tasks) if r and r[0] == "序号")
    goal_col = tasks[head].index("计划目标\n（落实方案）")
    goals = {r[goal_col] for r in tasks[head + 1:] if isinstance(r[0], float)}
    assert goals <= set(DANGEROUS) and len(goals) > 3  # each plan goal exactly as typed


def test_draft_notification_has_no_field_and_no_link(tmp_path: Path):
    ws, reg = outputs(tmp_path)
    path = ws.notification_path("2021-FY")
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        rels = z.read("word/_rels/document.xml.rels").decode("utf-8")
    for tag in ("<w:fldSimple", "<w:instrText", "<w:hyperlink", "<w:fldChar"):
        assert tag not in xml
    assert "hyperlink" not in rels
    document = docx.Document(str(path))
    tasks = document.tables[-1]  # 附件2: the tasks that need attention, with the problems units wrote
    column = [cell.text for cell in tasks.columns[-1].cells]
    assert column[0] == "存在问题"
    problems = {re.sub(r"^[^：]+：", "", line) for text in column[1:] for line in text.split("\n") if line}
    assert problems and problems <= set(DANGEROUS)  # quoted exactly as typed


def test_reminder_text_file_quotes_unit_text_verbatim(tmp_path: Path):
    ws, reg = outputs(tmp_path)
    text = ws.reminders_path("2021-FY").read_bytes().decode("utf-8-sig")
    blocks = re.findall(r"【\d+】(\S+)  联系人：(.*)\r\n", text)
    assert blocks
    for unit, who in blocks:  # contact and phone come out exactly as the register holds them
        assert who == f"{reg.unit(unit).contact} {reg.unit(unit).phone}"
    messages = re.findall(r"完成状态「(.*?)」不是可选项", text)
    assert messages and set(messages) <= set(DANGEROUS)


def test_plan_workbook_keeps_dangerous_goals_as_text(tmp_path: Path):
    from excelflow.forms.plans import PLAN_SHEET, plan_bytes

    base = sc.register()
    reg = replace(base, milestones=tuple(Milestone(1, r.id, d, d) for r, d in zip(base.rounds, DANGEROUS)))
    data = plan_bytes(reg, "区工信局", datetime(2021, 3, 30))
    path = tmp_path / "plan.xlsx"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as z:
        for name in (n for n in z.namelist() if n.startswith("xl/worksheets/sheet")):
            xml = z.read(name).decode("utf-8")
            assert "<f>" not in xml and "<hyperlink" not in xml
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(PLAN_SHEET).to_python()
    row = next(r for r in rows if r[0] == 1.0)
    assert row[3:5] == list(DANGEROUS[:2])
