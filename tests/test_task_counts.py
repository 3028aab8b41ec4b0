"""Where people count tasks, every task of the notice is counted once: 101 for the shipped notice.

The comparison counts tasks (项) apart from entries (条) and units (个): one row per task with each
lead unit's report inside it, a task without a lead unit shown in its own bucket, the chapter
counts equal to the ones the notice announces in its headings (`(13项)`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from python_calamine import CalamineWorkbook

from excelflow.intake.records import EntryReport
from excelflow.register.campaign import SHIPPED_NOTICE, default_register
from excelflow.register.model import Register
from excelflow.register.statuses import BEHIND, DONE, ON_SCHEDULE
from excelflow.reports.comparison_workbook import write_comparison
from excelflow.reports.figures import (
    MISSING_LABEL,
    NO_LEAD_LABEL,
    TASK_STATUS_ORDER,
    Comparison,
    compare,
    task_status,
)
from excelflow.reports.ledger import EntryState, compute_states
from excelflow.workspace import Workspace

NOW = datetime(2021, 6, 28, 9)
NUMERALS = "一二三四五六七八九十"


def notice_chapter_counts() -> dict[str, int]:
    """Chapter numeral → the task count its heading announces, read from the notice text itself."""
    text = SHIPPED_NOTICE.read_text(encoding="utf-8")
    found = re.findall(r"^([一二三四五六七八九十]+)、[^\n]*?[(（]?(\d+)项[)）]\s*$", text, flags=re.M)
    return {numeral: int(n) for numeral, n in found}


def reported(register: Register, status_of: dict[tuple[int, str], str]) -> list[EntryState]:
    """Every lead entry on time with the given status (default 序时推进); co entries on time."""
    out = []
    for s in compute_states(register, "2021-H1", [], NOW):
        status = status_of.get((s.task_id, s.unit), ON_SCHEDULE) if s.role == "lead" else ON_SCHEDULE
        if status == MISSING_LABEL:
            out.append(s)
            continue
        content = EntryReport(s.task_id, s.unit, s.role, status=status, status_raw=status, progress=50.0,
                              progress_text="推进中。", problems="", next_steps="", usable=True, complete=True)
        out.append(EntryState(s.task_id, s.unit, s.role, "on_time", datetime(2021, 6, 10, 9), 0, s.deadline,
                              content, ("x.xlsx",)))
    return out


@pytest.fixture(scope="module")
def shipped() -> tuple[Register, Comparison]:
    register = default_register()
    # Task 96 has three lead units reporting differently; task 4 two, one of them silent.
    states = reported(register, {(96, "区委政法委"): DONE, (96, "区公安局"): BEHIND, (96, "区信访局"): ON_SCHEDULE,
                                 (4, "区工信局"): MISSING_LABEL})
    return register, compare(register, "2021-H1", states, None, NOW)


def test_the_comparison_counts_every_task_of_the_notice_once(shipped: tuple[Register, Comparison]) -> None:
    register, c = shipped
    assert len(c.tasks) == len(register.tasks) == 101
    assert [t.task.id for t in c.tasks] == [t.id for t in register.tasks]
    assert sum(c.status_totals.values()) == 101
    counts = notice_chapter_counts()
    assert sum(counts.values()) == 101
    for chapter in c.chapters:
        numeral = chapter.split("、")[0]
        assert sum(c.by_chapter[chapter].values()) == counts[numeral], chapter


def test_a_task_without_a_lead_unit_is_shown_and_said(shipped: tuple[Register, Comparison]) -> None:
    _, c = shipped
    [row] = [t for t in c.tasks if not t.leads]
    assert row.task.id == 95 and row.status_label == NO_LEAD_LABEL
    assert c.status_totals[NO_LEAD_LABEL] == 1
    assert any("未明确牵头单位" in flag for flag in row.flags)


def test_co_leads_share_one_row_and_the_task_takes_the_least_favourable_status(
        shipped: tuple[Register, Comparison]) -> None:
    _, c = shipped
    by_id = {t.task.id: t for t in c.tasks}
    t96 = by_id[96]
    assert [r.unit for r in t96.leads] == ["区委政法委", "区公安局", "区信访局"]
    assert [r.status_label for r in t96.leads] == [DONE, BEHIND, ON_SCHEDULE]
    assert t96.status_label == BEHIND and t96.leads_differ
    assert by_id[4].status_label == MISSING_LABEL  # an unknown is not counted as progress
    assert task_status([DONE, ON_SCHEDULE]) == ON_SCHEDULE
    assert task_status([]) == NO_LEAD_LABEL
    assert list(TASK_STATUS_ORDER).index(MISSING_LABEL) < list(TASK_STATUS_ORDER).index(BEHIND)


def test_every_output_says_101_tasks_and_labels_what_it_counts(shipped: tuple[Register, Comparison],
                                                             tmp_path: Path) -> None:
    register, c = shipped
    states = reported(register, {(96, "区委政法委"): DONE, (96, "区公安局"): BEHIND, (96, "区信访局"): ON_SCHEDULE,
                                 (4, "区工信局"): MISSING_LABEL})
    ws = Workspace(tmp_path)
    write_comparison(ws, register, "2021-H1", states, None, NOW)
    book = CalamineWorkbook.from_path(str(ws.comparison_path("2021-H1")))
    overview = book.get_sheet_by_name("总览").to_python()
    head = next(i for i, r in enumerate(overview) if r and r[0] == "章节")
    total = next(r for r in overview[head:] if r and r[0] == "合计")
    assert total[3] == 101
    section = next(r[0] for r in overview if r and str(r[0]).startswith("三、"))
    assert "按任务计" in section and "101项" in section
    assert any(str(r[0]).startswith("四、") and "按条目计" in str(r[0]) for r in overview if r)
    assert any(str(r[0]).startswith("五、") and "按单位计" in str(r[0]) and "只计一次" in str(r[0]) for r in overview if r)

    tasks = book.get_sheet_by_name("任务进展").to_python()
    ids = [int(r[0]) for r in tasks if r and isinstance(r[0], float)]
    assert ids == list(range(1, 102))  # one row per task: task 4 and task 96 once each
    assert "101项" in tasks[0][0]

    units = book.get_sheet_by_name("单位对比").to_python()
    header = next(r for r in units if r and str(r[0]).startswith("组内名次"))
    assert "牵头任务\n（项）" in header and "应报\n（条）" in header and "报告已完成\n（条）" in header

    text = "\n".join(p.text for p in docx.Document(str(ws.notification_path("2021-H1"))).paragraphs)
    assert "共调度重点工作101项" in text
    assert "第95项通知未明确牵头单位" in text


def test_tasks_counted_by_chapter_in_the_draft_match_the_figures(shipped: tuple[Register, Comparison]) -> None:
    from excelflow.reports.notification import paragraphs

    _, c = shipped
    body = "\n".join(text for _, text in paragraphs(c))
    for label in (DONE, ON_SCHEDULE, BEHIND):
        if c.status_totals[label]:
            assert f"{label}{c.status_totals[label]}项" in body
    assert date(2021, 6, 28).day == c.as_of.day
