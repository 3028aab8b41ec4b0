"""The two levels of checks on one entry row, and how a progress cell is read.

Whole-workbook cases (one fixture file per case) are in test_intake.py; these pin the rules.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from excelflow.intake.extract import RowFound
from excelflow.intake.validate import Blocker, judge_entry, read_progress

COLUMNS = {"序号": "A", "完成状态": "E", "完成进度(%)": "F", "进展情况": "G", "存在问题": "H", "下步打算": "I", "备注": "J"}


def row(**values) -> RowFound:
    full = {"序号": 3.0, "完成状态": "", "完成进度(%)": "", "进展情况": "", "存在问题": "", "下步打算": "", "备注": ""}
    full.update({("完成进度(%)" if k == "完成进度" else k): v for k, v in values.items()})
    return RowFound("协办任务", 1, 9, 3, full, {h: f"{c}9" for h, c in COLUMNS.items()})


def judge(blockers=(), blocked=False, **values):
    return judge_entry(row(**values), "区工信局", "co", "inbox/a.xlsx", tuple(blockers), blocked)


@pytest.mark.parametrize("raw, value, noted", [
    (80.0, 80.0, False), (0.0, 0.0, False), (100, 100.0, False), ("80", 80.0, False), ("80%", 80.0, False),
    ("８０", 80.0, False), ("８０％", 80.0, False), (" 80.0 ", 80.0, False),
    (0.8, 80.0, True), ("0.8", 80.0, True), ("约80%", 80.0, True), ("", None, False), (1.0, 1.0, False),
    # Typed with a percent sign, a number under 1 is that percent (half a percent), never a fraction.
    ("0.5%", 0.5, False), ("0.5 %", 0.5, False), ("０.５％", 0.5, False), (0.005, 0.5, True),
])
def test_progress_cells_as_units_type_them(raw, value, noted):
    progress = read_progress(raw)
    assert progress.value == value and bool(progress.note) is noted and not progress.unreadable


@pytest.mark.parametrize("raw", ["约八成", "80%-90%", True, "过半", "1,5", float("nan"), float("inf")])
def test_progress_that_is_not_a_number_is_unreadable(raw):
    assert read_progress(raw).value is None and read_progress(raw).unreadable


@given(st.one_of(st.text(max_size=12), st.floats(allow_nan=True), st.integers(), st.booleans(), st.none()))
def test_reading_progress_never_raises(raw):
    progress = read_progress(raw)
    assert progress.value is None or math.isfinite(progress.value)


def test_complete_valid_entry_has_no_problem():
    report, problems = judge(完成状态="序时推进", 完成进度=50, 进展情况="已开展活动")
    assert problems == [] and report.usable and report.complete and report.status == "序时推进"


def test_unknown_status_blocks_the_entry_on_the_status_cell():
    report, [problem] = judge(完成状态="差不多", 进展情况="x")
    assert not report.usable and report.status is None and report.status_raw == "差不多"
    assert (problem.level, problem.cell, problem.sheet, problem.file) == ("error", "E9", "协办任务", "inbox/a.xlsx")
    assert (problem.task_id, problem.role) == (3, "co")


@pytest.mark.parametrize("value", [120, -5, "150%"])
def test_progress_outside_0_to_100_blocks_the_entry(value):
    report, [problem] = judge(完成状态="序时推进", 完成进度=value, 进展情况="x")
    assert not report.usable and report.progress is None and (problem.level, problem.cell) == ("error", "F9")


def test_unreadable_progress_is_a_warning_and_the_entry_stays_usable():
    report, [problem] = judge(完成状态="序时推进", 完成进度="过半", 进展情况="x")
    assert report.usable and report.complete and report.progress is None
    assert (problem.level, problem.cell) == ("warning", "F9") and "过半" in problem.message


def test_missing_status_or_text_marks_incomplete_with_a_warning_each():
    report, [problem] = judge(进展情况="做了一些工作")
    assert report.usable and not report.complete and (problem.level, problem.cell) == ("warning", "E9")
    report, [problem] = judge(完成状态="滞后", 存在问题="资金未到位")
    assert report.usable and not report.complete and (problem.level, problem.cell) == ("warning", "G9")


def test_done_under_100_and_behind_without_problems_warn_but_keep_the_entry_complete():
    report, [problem] = judge(完成状态="已完成", 完成进度=90, 进展情况="x")
    assert report.usable and report.complete and problem.cell == "F9"
    report, [problem] = judge(完成状态="进度滞后", 进展情况="x")
    assert report.usable and report.complete and report.status == "滞后" and problem.cell == "H9"


def test_blockers_from_intake_are_errors_and_a_file_level_block_adds_no_message():
    report, [problem] = judge([Blocker("任务内容被改动", "B9")], 完成状态="已完成", 完成进度=100, 进展情况="x")
    assert not report.usable and (problem.level, problem.cell) == ("error", "B9")
    report, problems = judge(blocked=True, 完成状态="已完成", 完成进度=100, 进展情况="x")
    assert not report.usable and problems == []
