"""Property-based tests of the notice parser: nothing crashes it, and nothing it reads is lost.

The rule every parse keeps (see `excelflow.notice`): each non-blank line is web clutter, a head line
(before the task list: title, preamble), a chapter or section head, the first line of a task, a
line of a task, or `unplaced` — and every unplaced line has a warning with its line number.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from excelflow.notice.parse import ParsedNotice, parse_notice_text, parse_with_layout

REAL = Path(__file__).resolve().parent.parent / "excelflow" / "data" / "guangfeng-2021-task-allocation.txt"
REAL_LINES = REAL.read_text("utf-8").split("\n")
FULL = parse_notice_text("\n".join(REAL_LINES))

# Characters and pieces that steer the parser into its every branch.
PIECES = [
    "一、", "二、", "十、", "(一)", "(二)", "（三）", "1.", "2.", "3．", "4、", "(5)", "（6）", "12.", "1.8%",
    "(主办单位:", "(牵头单位：", "协办单位:", "责任单位：", ";", "；", ",", "、", "(", ")", "（", "）", "。",
    "区工信局", "工信局", "商务局", "各乡镇(街道)", "相关乡镇（街道）", "区广投集团(自来水公司)", "区农业局",
    "区农业农村局", "(13项)", "共3项", "项)", "扫一扫在手机打开当前页", "2021年3月25日", "关于", "通知",
    " ", "\u3000", "\t", "\ufeff", "任务", "推进", "x", "0",
]
line_text = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)
notice_lines = st.lists(st.one_of(line_text, st.sampled_from(REAL_LINES), st.just("")), max_size=40)


def check_layout_rule(text: str) -> ParsedNotice:
    notice, layout = parse_with_layout(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    roles = layout.roles
    assert len(roles) == len(lines)
    warned = {w.line for w in notice.warnings}
    for number, (line, role) in enumerate(zip(lines, roles), start=1):
        assert (role == "blank") == (not re.sub(r"[\s\ufeff\u200b]", "", line)), (number, line, role)
        if role == "unplaced":
            assert number in warned, (number, line)
    # Head lines come only before the list, and each task starts on a line of its own.
    listed = [i for i, r in enumerate(roles) if r in ("chapter", "section", "task", "continued", "unplaced")]
    if listed:
        assert "head" not in roles[listed[0]:]
    assert [t.line for t in notice.tasks] == [i + 1 for i, r in enumerate(roles) if r == "task"]
    json.dumps(notice.to_json(), ensure_ascii=False)
    for task in notice.tasks:
        assert all(name and name == name.strip() for name in (*task.lead, *task.co))
        assert len(set(task.lead)) == len(task.lead) and len(set(task.co)) == len(task.co)
    return notice


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_never_crashes_the_parser(text: str) -> None:
    check_layout_rule(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notice_lines)
def test_notice_like_lines_are_placed_or_reported(lines: list[str]) -> None:
    check_layout_rule("\n".join(lines))


def without_prefix(names: tuple[str, ...]) -> tuple[str, ...]:
    """Short forms resolve only against names seen: a cut notice may see fewer 区 forms."""
    return tuple(n.removeprefix("区") for n in names)


def same_task(a, b) -> bool:  # type: ignore[no-untyped-def]
    return (a.id, a.chapter, a.section, a.text, without_prefix(a.lead), without_prefix(a.co)) == (
        b.id, b.chapter, b.section, b.text, without_prefix(b.lead), without_prefix(b.co))


def test_the_real_notice_cut_after_any_line_never_crashes_and_keeps_every_complete_task() -> None:
    for end in range(len(REAL_LINES) + 1):
        notice = check_layout_rule("\n".join(REAL_LINES[:end]))
        complete = notice.tasks[:-1]  # the last task may have lost its label to the cut
        assert all(same_task(task, FULL.tasks[task.id - 1]) for task in complete), end


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len("\n".join(REAL_LINES))))
def test_the_real_notice_cut_mid_line_never_crashes(cut: int) -> None:
    notice = check_layout_rule("\n".join(REAL_LINES)[:cut])
    assert all(same_task(task, FULL.tasks[task.id - 1]) for task in notice.tasks[:-1])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(REAL_LINES) - 1), st.sampled_from(["drop", "twice"])), max_size=6))
def test_the_real_notice_with_lines_dropped_or_doubled_is_still_placed_or_reported(edits) -> None:  # type: ignore[no-untyped-def]
    lines = list(REAL_LINES)
    for index, edit in sorted(edits, reverse=True):
        if index < len(lines):
            if edit == "drop":
                del lines[index]
            else:
                lines.insert(index, lines[index])
    check_layout_rule("\n".join(lines))


def test_a_notice_of_more_than_a_hundred_chapters_parses() -> None:
    numerals = "一二三四五六七八九"
    text = "\n".join(f"{numerals[i % 9]}、第{i}章\n{i + 1}.任务。(主办单位:区工信局)" for i in range(120))
    notice = check_layout_rule(text)
    assert len(notice.tasks) == 120


cells = st.lists(st.one_of(line_text, st.sampled_from(["序号", "工作任务", "牵头单位", "责任单位", "", "1", "一、工业"])),
                 min_size=1, max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cells, min_size=1, max_size=6), st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=3))
def test_any_word_table_with_merged_cells_reads_and_parses(tmp_path_factory, rows, merges) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    from excelflow.errors import NoticeError
    from excelflow.notice.read import read_notice_text

    document = Document()
    table = document.add_table(rows=len(rows), cols=4)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    merged: set[tuple[int, int]] = set()
    for r, c in merges:  # across the row, or down the column; merged areas never overlap, as in Word
        if r >= len(rows) or c >= 3:
            continue
        corner = (r, c + 1) if r % 2 else (len(rows) - 1, c)
        area = {(i, j) for i in range(r, corner[0] + 1) for j in range(c, corner[1] + 1)}
        if area & merged:
            continue  # python-docx (like Word) refuses a merge that cuts through an earlier one
        merged |= area
        table.cell(r, c).merge(table.cell(*corner))
    path = tmp_path_factory.mktemp("docx") / "表.docx"
    document.save(path)
    try:
        text = read_notice_text(path)
    except NoticeError as error:  # a table of empty cells: an empty notice, said so
        assert "「表.docx」是空文件" in str(error)
        return
    check_layout_rule(text)
