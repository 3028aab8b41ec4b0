"""The supervision office's comparison workbook `outbox/R/R-对比通报.xlsx`, and `write_comparison`.

Four sheets: 总览 (figures per link of the chain, status distribution, two native charts),
任务进展 (each task as its lead reported it, beside the previous round and the plan), 单位对比
(units ranked, with a red/yellow/green mark), 逾期未报 (the chase list and the reminders).

Every figure is computed in Python (`figures.py`) and written as a value: no formula, so the
numbers are there before any application recalculates. Text that came from units is written
with `write_string` into a workbook opened with `xlsx.new_workbook` (no string becomes a
formula, link or number). The bytes depend only on the figures and the as-of date, so a collect
pass with nothing new rewrites nothing (`files.publish_bytes` skips identical bytes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, time
from io import BytesIO
from pathlib import Path
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from excelflow import files
from excelflow.intake.records import EntryReport
from excelflow.register.model import Register
from excelflow.register.statuses import BEHIND, DONE, NOT_STARTED, ON_SCHEDULE
from excelflow.reports.figures import (
    INCOMPLETE_LABEL,
    INVALID_LABEL,
    MISSING_LABEL,
    STATUS_BUCKETS,
    Comparison,
    TaskRow,
    compare,
    short_chapter,
)
from excelflow.reports.ledger import EntryState
from excelflow.reports.notification import notification_bytes
from excelflow.reports.reminders import reminders, reminders_text
from excelflow.wording import day, role_unit, short_day
from excelflow.workspace import Workspace
from excelflow.xlsx import new_workbook, row_height, setup_print

SHEETS = ("总览", "任务进展", "单位对比", "逾期未报", "催报提醒")
BODY_FONT = {"font_name": "宋体", "font_size": 10}
HEAD_FONT = {"font_name": "黑体", "font_size": 10}
BORDER = {"border": 1, "border_color": "#808080"}
# Traffic light (fill, font colour) per status bucket; prints legibly in grey too.
STATUS_COLOURS: Mapping[str, tuple[str, str]] = {
    DONE: ("#C6EFCE", "#006100"),
    ON_SCHEDULE: ("#E2EFDA", "#375623"),
    NOT_STARTED: ("#FFEB9C", "#9C5700"),
    BEHIND: ("#FFC7CE", "#9C0006"),
    INCOMPLETE_LABEL: ("#FCE4D6", "#833C0B"),
    INVALID_LABEL: ("#FFC7CE", "#9C0006"),
    MISSING_LABEL: ("#D9D9D9", "#000000"),
}
MARK_COLOURS: Mapping[str, tuple[str, str]] = {
    "红": ("#FF7C80", "#000000"),
    "黄": ("#FFE699", "#000000"),
    "绿": ("#A9D08E", "#000000"),
    "待报": ("#EDEDED", "#000000"),
}
PLAN_COLOURS: Mapping[str, tuple[str, str]] = {
    "欠进度": ("#FFC7CE", "#9C0006"),
    "达进度": ("#E2EFDA", "#375623"),
    "超进度": ("#C6EFCE", "#006100"),
}
# Charts need stronger colours than cell fills to tell the buckets apart.
CHART_COLOURS: Mapping[str, str] = {
    DONE: "#548235", ON_SCHEDULE: "#A9D08E", NOT_STARTED: "#FFC000", BEHIND: "#FF5050",
    INCOMPLETE_LABEL: "#F4B183", INVALID_LABEL: "#C00000", MISSING_LABEL: "#A6A6A6",
}
CHASE_TEXT_CHARS = 30  # task text in the chase list is cut: it is for phoning, not reading


def comparison_bytes(c: Comparison) -> bytes:
    """The comparison workbook of `c` as bytes (deterministic for equal `c`)."""
    buffer = BytesIO()
    book = new_workbook(buffer)
    # A fixed creation time (the as-of day) keeps the bytes identical between passes.
    book.set_properties({
        "title": f"{c.period}重点工作推进情况对比表",
        "author": c.office,
        "created": datetime.combine(c.as_of, time()),
    })
    fmt = _Formats(book)
    sheets = {name: book.add_worksheet(name) for name in SHEETS}
    _overview(book, sheets["总览"], fmt, c)
    _tasks(sheets["任务进展"], fmt, c)
    _units(sheets["单位对比"], fmt, c)
    _chase(sheets["逾期未报"], fmt, c)
    _reminders(sheets["催报提醒"], fmt, c)
    book.close()
    return buffer.getvalue()


def write_comparison(ws: Workspace, register: Register, round_id: str, states: Sequence[EntryState],
                     previous: Mapping[tuple[int, str, str], EntryReport] | None,
                     now: datetime) -> list[Path]:
    """Write the comparison workbook, the reminders and the draft notification of a round.

    Returns the paths actually written (unchanged outputs are skipped; an output open in Excel
    is written beside it, see `files.publish_bytes`). Called at the end of every collect pass and
    by `excelflow compare`.
    """
    c = compare(register, round_id, states, previous, now)
    outputs = [
        (ws.comparison_path(round_id), comparison_bytes(c)),
        (ws.reminders_path(round_id), reminders_text(c).encode("utf-8-sig")),
        (ws.notification_path(round_id), notification_bytes(c)),
    ]
    written = []
    for path, data in outputs:
        done = files.publish_bytes(path, data)
        if done is not None:
            written.append(done)
    return written


# -- formats -------------------------------------------------------------------------------------
class _Formats:
    """The cell formats of one comparison workbook (formats belong to the workbook)."""

    def __init__(self, book: Workbook):
        add = book.add_format
        cell = {**BODY_FONT, **BORDER, "valign": "vcenter", "text_wrap": True}
        self.title = add({"font_name": "黑体", "font_size": 16, "align": "center", "valign": "vcenter"})
        self.subtitle = add({**BODY_FONT, "valign": "vcenter", "text_wrap": True})
        self.section = add({"font_name": "黑体", "font_size": 12, "valign": "vcenter"})
        self.header = add({**HEAD_FONT, **BORDER, "align": "center", "valign": "vcenter",
                           "text_wrap": True, "bg_color": "#D9E1F2"})
        self.chapter = add({**HEAD_FONT, **BORDER, "valign": "vcenter", "text_wrap": True,
                            "bg_color": "#F2F2F2"})
        self.text = add(cell)
        self.center = add({**cell, "align": "center"})
        self.bold_center = add({**cell, "align": "center", "bold": True})
        self.integer = add({**cell, "align": "center", "num_format": "0"})
        self.progress = add({**cell, "align": "center", "num_format": "0"})
        self.percent = add({**cell, "align": "center", "num_format": "0.0%"})
        self.date = add({**cell, "align": "center", "num_format": "m月d日"})
        self.note = add({**BODY_FONT, "font_size": 9, "font_color": "#404040", "text_wrap": True,
                         "valign": "top"})
        self.coloured: dict[tuple[str, str], Any] = {}
        for table in (STATUS_COLOURS, MARK_COLOURS, PLAN_COLOURS):
            for fill, font in table.values():
                if (fill, font) not in self.coloured:
                    self.coloured[(fill, font)] = add({**cell, "align": "center", "bg_color": fill,
                                                       "font_color": font, "bold": True})

    def fill(self, table: Mapping[str, tuple[str, str]], label: str) -> Any:
        colours = table.get(label)
        return self.coloured[colours] if colours else self.center


def _title(sheet: Worksheet, fmt: _Formats, last_col: int, title: str, subtitle: str) -> None:
    sheet.merge_range(0, 0, 0, last_col, "", fmt.title)
    sheet.write_string(0, 0, title, fmt.title)
    sheet.set_row(0, 30)
    sheet.merge_range(1, 0, 1, last_col, "", fmt.subtitle)
    sheet.write_string(1, 0, subtitle, fmt.subtitle)


def _as_of(c: Comparison) -> str:
    return f"统计截至{day(c.as_of)}"


def _rate(sheet: Worksheet, row: int, col: int, value: float | None, fmt: _Formats) -> None:
    if value is None:
        sheet.write_string(row, col, "—", fmt.center)
    else:
        sheet.write_number(row, col, value, fmt.percent)


def _text(sheet: Worksheet, row: int, col: int, value: str | None, fmt: Any) -> None:
    """Unit text goes in as a string, always (never a formula, link or number)."""
    sheet.write_string(row, col, value or "", fmt)


def _widths(sheet: Worksheet, widths: Sequence[float]) -> None:
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)


# -- 总览 ------------------------------------------------------------------------------------------
LINK_METRICS: tuple[tuple[str, str], ...] = (
    ("应报条目", "expected"), ("已报条目", "received"), ("按时", "on_time"), ("逾期", "late"),
    ("不完整", "incomplete"), ("无效", "invalid"), ("未报送", "missing"),
    ("报送率", "reporting_rate"), ("按时率", "on_time_rate"),
)
UNIT_METRICS: tuple[tuple[str, str], ...] = (
    ("应报单位", "units_expected"), ("全部已报单位", "units_all_received"),
    ("全部按时单位", "units_all_on_time"), ("完全未报单位", "units_silent"),
)


def _overview(book: Workbook, sheet: Worksheet, fmt: _Formats, c: Comparison) -> None:
    last = len(LINK_METRICS) + 1  # link column, deadline, metrics
    widths = [26] + [8.5] * last
    _widths(sheet, widths)
    chart_width = int(sum(widths) * 7)  # ≈ pixels of the tables above (7 px per column unit)
    _title(sheet, fmt, last, f"{c.period}重点工作推进情况对比表",
           f"{_as_of(c)}。协办单位报牵头单位截止{short_day(c.round.co_deadline)}，"
           f"牵头单位报{c.office}截止{short_day(c.round.lead_deadline)}（截止日当天报送算按时）。")
    row = 3
    sheet.write_string(row, 0, "一、报送情况（按条目：一个单位在一项任务中的一次报送）", fmt.section)
    row += 1
    sheet.write_string(row, 0, "报送环节", fmt.header)
    sheet.write_string(row, 1, "截止日期", fmt.header)
    for i, (label, _) in enumerate(LINK_METRICS):
        sheet.write_string(row, 2 + i, label, fmt.header)
    sheet.set_row(row, 30)
    for link in c.links:
        row += 1
        sheet.write_string(row, 0, link.label, fmt.bold_center if link.key == "all" else fmt.center)
        if link.deadline is None:
            sheet.write_string(row, 1, "—", fmt.center)
        else:
            sheet.write_datetime(row, 1, datetime.combine(link.deadline, time()), fmt.date)
        for i, (_, attr) in enumerate(LINK_METRICS):
            value = getattr(link.entries, attr)
            if attr.endswith("rate"):
                _rate(sheet, row, 2 + i, value, fmt)
            else:
                sheet.write_number(row, 2 + i, value, fmt.integer)

    row += 2
    sheet.write_string(row, 0, "二、报送单位情况（一个单位在该环节的全部条目）", fmt.section)
    row += 1
    sheet.write_string(row, 0, "报送环节", fmt.header)
    for i, (label, _) in enumerate(UNIT_METRICS):
        sheet.merge_range(row, 1 + 2 * i, row, 2 + 2 * i, "", fmt.header)
        sheet.write_string(row, 1 + 2 * i, label, fmt.header)
    for link in c.links:
        row += 1
        sheet.write_string(row, 0, link.label, fmt.bold_center if link.key == "all" else fmt.center)
        for i, (_, attr) in enumerate(UNIT_METRICS):
            sheet.merge_range(row, 1 + 2 * i, row, 2 + 2 * i, "", fmt.integer)
            sheet.write_number(row, 1 + 2 * i, getattr(link, attr), fmt.integer)

    row += 2
    sheet.write_string(row, 0, "三、完成状态分布（牵头单位报送，按章节）", fmt.section)
    row += 1
    header_row = row
    sheet.write_string(row, 0, "章节", fmt.header)
    for i, bucket in enumerate(STATUS_BUCKETS):
        sheet.write_string(row, 1 + i, bucket, fmt.header)
    total_col = len(STATUS_BUCKETS) + 1
    sheet.write_string(row, total_col, "合计", fmt.header)
    first_chapter_row = row + 1
    for chapter in c.chapters:
        row += 1
        counts = c.by_chapter[chapter]
        label = short_chapter(chapter)
        sheet.write_string(row, 0, label, fmt.text)
        for i, bucket in enumerate(STATUS_BUCKETS):
            sheet.write_number(row, 1 + i, counts[bucket], fmt.integer)
        sheet.write_number(row, total_col, sum(counts.values()), fmt.integer)
        sheet.set_row(row, row_height([(label, 26)], font_size=10))
    last_chapter_row = row
    row += 1
    sheet.write_string(row, 0, "合计", fmt.bold_center)
    for i, bucket in enumerate(STATUS_BUCKETS):
        sheet.write_number(row, 1 + i, c.status_totals[bucket], fmt.integer)
    sheet.write_number(row, total_col, sum(c.status_totals.values()), fmt.integer)

    row += 2
    notes = [
        "说明：1. 报送率 = 已报条目 ÷ 应报条目；按时率 = 按时条目 ÷ 应报条目（DHIS2 通行口径）。已报条目含逾期、不完整和无效的报送；"
        "「不完整」指完成状态或进展情况未填，「无效」指有阻断性错误（如状态无法识别、轮次不符），均不算有效报送。",
        "2. 完成状态以牵头单位报送为准；一项任务有两个牵头单位的，各计一条。未报、不完整、无效的条目单列。",
        "3. 逾期天数按收到文件的日期计算，截止日当天收到算按时。",
    ]
    for note in notes:
        sheet.merge_range(row, 0, row, last, "", fmt.note)
        sheet.write_string(row, 0, note, fmt.note)
        sheet.set_row(row, row_height([(note, sum(widths))], font_size=9))
        row += 1

    # Chart 1: status by chapter, stacked, from the table above (values, not formulas).
    if c.chapters:
        chart = book.add_chart({"type": "bar", "subtype": "stacked"})
        for i, bucket in enumerate(STATUS_BUCKETS):
            col = 1 + i
            chart.add_series({
                "name": ["总览", header_row, col],
                "categories": ["总览", first_chapter_row, 0, last_chapter_row, 0],
                "values": ["总览", first_chapter_row, col, last_chapter_row, col],
                "fill": {"color": CHART_COLOURS[bucket]},
                "border": {"color": "#FFFFFF"},
                "gap": 60,
            })
        chart.set_title({"name": "各章节任务完成状态（牵头单位报送条目）", "name_font": {"size": 11, "bold": True}})
        chart.set_y_axis({"reverse": True, "num_font": {"size": 8}})
        widest = max((sum(c.by_chapter[ch].values()) for ch in c.chapters), default=1)
        chart.set_x_axis({"num_font": {"size": 8}, "min": 0, "major_unit": max(1, math.ceil(widest / 10)),
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_legend({"position": "bottom", "font": {"size": 8}})
        chart_height = max(260, 80 + 34 * len(c.chapters))
        chart.set_size({"width": chart_width, "height": chart_height})
        row += 1
        sheet.insert_chart(row, 0, chart, {"x_offset": 4, "y_offset": 4})
        row += chart_height // 20 + 2

    # Chart 2: on-time rate per unit, in rank order, from the 单位对比 sheet's columns.
    first, last_unit = UNIT_FIRST_ROW, UNIT_FIRST_ROW + len(c.units) - 1
    if c.units:
        bar = book.add_chart({"type": "bar"})
        bar.add_series({
            "name": "按时率",
            "categories": ["单位对比", first, UNIT_COLUMNS.index("单位"), last_unit, UNIT_COLUMNS.index("单位")],
            "values": ["单位对比", first, UNIT_COLUMNS.index("按时率"), last_unit, UNIT_COLUMNS.index("按时率")],
            "fill": {"color": "#5B9BD5"},
            "gap": 40,
        })
        bar.set_title({"name": "各单位按时率（按排名）", "name_font": {"size": 11, "bold": True}})
        bar.set_y_axis({"reverse": True, "num_font": {"size": 7}, "interval_unit": 1})
        bar.set_x_axis({"min": 0, "max": 1, "num_format": "0%", "num_font": {"size": 8},
                        "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        bar.set_legend({"none": True})
        bar.set_size({"width": chart_width, "height": max(300, 70 + 14 * len(c.units))})
        sheet.set_h_pagebreaks([row])
        sheet.insert_chart(row, 0, bar, {"x_offset": 4, "y_offset": 4})
    setup_print(sheet, landscape=False, footer_left=f"{c.period}对比通报 总览")
    sheet.fit_to_pages(1, 0)


# -- 任务进展 ----------------------------------------------------------------------------------------
def task_columns(c: Comparison) -> list[tuple[str, float]]:
    """(header, width) of the 任务进展 sheet; previous-round and plan columns only when they apply."""
    cols: list[tuple[str, float]] = [("序号", 5), ("任务内容", 34), ("牵头单位", 12)]
    if c.previous_round is not None:
        cols += [(f"上轮状态\n{c.previous_period}", 12), ("上轮进展情况", 26)]
    cols += [(f"本轮状态\n{c.period}", 12), ("完成进度\n（%）", 8), ("进展情况", 34),
             ("存在问题", 20), ("协办单位\n有效报送", 9)]
    if c.has_milestones:
        cols += [("计划目标（落实方案）", 20), ("对照计划", 8)]
    cols += [("提示", 18)]
    return cols


TASK_FIRST_ROW = 4  # 0-based: title, subtitle, blank, header


def _tasks(sheet: Worksheet, fmt: _Formats, c: Comparison) -> None:
    cols = task_columns(c)
    _widths(sheet, [w for _, w in cols])
    legend = "状态底色：绿=已完成/序时推进，黄=未启动，红=滞后/无效，灰=未报送。"
    if c.has_milestones:
        legend += ("对照计划：已完成且早于方案完成时限为超进度；序时推进而方案要求本轮完成、滞后、未启动为欠进度；"
                   "其余为达进度。")
    _title(sheet, fmt, len(cols) - 1, f"{c.period}重点工作推进情况（按任务）", f"{_as_of(c)}。{legend}")
    sheet.set_row(1, row_height([(legend, sum(w for _, w in cols))], font_size=10))
    header = TASK_FIRST_ROW - 1
    for col, (name, _) in enumerate(cols):
        sheet.write_string(header, col, name, fmt.header)
    sheet.set_row(header, row_height(cols, font_size=10))
    row = header
    chapter: str | None = None
    for t in c.tasks:
        if t.task.chapter != chapter:
            chapter = t.task.chapter
            row += 1
            sheet.merge_range(row, 0, row, len(cols) - 1, "", fmt.chapter)
            sheet.write_string(row, 0, chapter, fmt.chapter)
        row += 1
        _task_row(sheet, fmt, c, row, t, cols)
    sheet.freeze_panes(TASK_FIRST_ROW, 0)
    sheet.autofilter(header, 0, max(row, header), len(cols) - 1)
    setup_print(sheet, landscape=True, repeat_rows=(header, header), footer_left=f"{c.period}对比通报 任务进展")


def _task_row(sheet: Worksheet, fmt: _Formats, c: Comparison, row: int, t: TaskRow,
              cols: Sequence[tuple[str, float]]) -> None:
    content = t.content
    values: list[tuple[Any, str]] = [(t.task.id, "int"), (t.task.text, "text"), (t.lead, "center")]
    if c.previous_round is not None:
        values += [(t.previous_label or "", "prev"), (t.previous.progress_text if t.previous else "", "text")]
    values += [(t.status_label, "status"), (content.progress if content else None, "progress"),
               (content.progress_text if content else "", "text"),
               (content.problems if content else "", "text"),
               (f"{t.co_valid}/{t.co_expected}" if t.co_expected else "—", "center")]
    if c.has_milestones:
        goal = ""
        if t.milestone is not None:
            goal = t.milestone.goal
            if t.milestone.due is not None:
                goal += f"（完成时限：{t.milestone.due.year}年{short_day(t.milestone.due)}）"
        values += [(goal, "text"), (t.plan_class or "—", "plan")]
    values += [("；".join(t.flags), "text")]
    for col, (value, kind) in enumerate(values):
        if kind == "int":
            sheet.write_number(row, col, value, fmt.integer)
        elif kind == "progress":
            if value is None:
                sheet.write_blank(row, col, None, fmt.progress)
            else:
                sheet.write_number(row, col, value, fmt.progress)
        elif kind in ("status", "prev"):
            _text(sheet, row, col, value, fmt.fill(STATUS_COLOURS, value))
        elif kind == "plan":
            _text(sheet, row, col, value, fmt.fill(PLAN_COLOURS, value))
        elif kind == "center":
            _text(sheet, row, col, value, fmt.center)
        else:
            _text(sheet, row, col, value, fmt.text)
    sheet.set_row(row, row_height(((v, w) for (v, _), (_, w) in zip(values, cols)), font_size=10))


# -- 单位对比 ----------------------------------------------------------------------------------------
UNIT_COLUMNS = ("排名", "单位", "标识", "牵头任务", "协办任务", "应报", "按时", "逾期", "不完整", "无效",
                "未报送", "报送率", "按时率", "已完成", "完成率", "逾期天数合计", "说明")
UNIT_WIDTHS = (5, 18, 6, 6, 6, 6, 6, 6, 6, 6, 6, 8, 8, 6, 8, 7, 36)
UNIT_FIRST_ROW = 4


def _units(sheet: Worksheet, fmt: _Formats, c: Comparison) -> None:
    _widths(sheet, UNIT_WIDTHS)
    rule = ("排名依次按按时率、报送率（均为高者在前）和逾期天数合计（少者在前），三者相同者并列。"
            "标识：红=有逾期未报或无效的条目，黄=有逾期报送或内容不完整的条目，待报=仅有未到截止日的条目未报，绿=全部按时。"
            "完成率=报告「已完成」的条目÷应报条目。")
    _title(sheet, fmt, len(UNIT_COLUMNS) - 1, f"{c.period}各单位报送情况对比", f"{_as_of(c)}。{rule}")
    sheet.set_row(1, row_height([(rule, sum(UNIT_WIDTHS))], font_size=10))
    header = UNIT_FIRST_ROW - 1
    for col, name in enumerate(UNIT_COLUMNS):
        sheet.write_string(header, col, name, fmt.header)
    sheet.set_row(header, 30)
    for i, u in enumerate(c.units):
        row = UNIT_FIRST_ROW + i
        t = u.tally
        sheet.write_number(row, 0, u.rank, fmt.integer)
        sheet.write_string(row, 1, u.unit, fmt.text)
        sheet.write_string(row, 2, u.mark, fmt.fill(MARK_COLOURS, u.mark))
        for col, value in enumerate((u.tasks_led, u.tasks_co, t.expected, t.on_time, t.late,
                                     t.incomplete, t.invalid, t.missing), start=3):
            sheet.write_number(row, col, value, fmt.integer)
        _rate(sheet, row, 11, t.reporting_rate, fmt)
        _rate(sheet, row, 12, t.on_time_rate, fmt)
        sheet.write_number(row, 13, u.done, fmt.integer)
        _rate(sheet, row, 14, u.completion_rate, fmt)
        sheet.write_number(row, 15, u.days_late, fmt.integer)
        sheet.write_string(row, 16, u.note, fmt.text)
        sheet.set_row(row, row_height([(u.unit, UNIT_WIDTHS[1]), (u.note, UNIT_WIDTHS[16])], font_size=10))
    sheet.freeze_panes(UNIT_FIRST_ROW, 2)
    sheet.autofilter(header, 0, header + max(len(c.units), 1), len(UNIT_COLUMNS) - 1)
    setup_print(sheet, landscape=True, repeat_rows=(header, header), footer_left=f"{c.period}对比通报 单位对比")


# -- 逾期未报 ----------------------------------------------------------------------------------------
CHASE_COLUMNS = ("序", "单位", "联系人", "电话", "任务序号", "任务内容", "角色", "报送对象", "截止日期",
                 "逾期天数", "情况")
CHASE_WIDTHS = (4, 16, 8, 13, 5, 30, 6, 18, 8, 6, 22)
CHASE_FIRST_ROW = 4
REMINDER_COLUMNS = ("序", "单位", "联系人", "电话", "提醒内容（可直接复制到微信、短信）")
REMINDER_WIDTHS = (4, 16, 8, 13, 90)


def chase_task_text(text: str) -> str:
    """The start of a task's text, enough to name it on the phone."""
    return text if len(text) <= CHASE_TEXT_CHARS else text[:CHASE_TEXT_CHARS] + "…"


def _chase(sheet: Worksheet, fmt: _Formats, c: Comparison) -> None:
    _widths(sheet, CHASE_WIDTHS)
    last = len(CHASE_COLUMNS) - 1
    units = len({r.unit for r in c.chase})
    overdue = sum(1 for r in c.chase if r.situation == "逾期未报")
    _title(sheet, fmt, last, f"{c.period}逾期未报及需补报事项",
           f"{_as_of(c)}。共{units}个单位{len(c.chase)}项，其中逾期未报{overdue}项。按单位排列，逾期最久的单位在前。"
           f"牵头单位报{c.office}；协办单位报牵头单位，并抄送{c.office}。")
    header = CHASE_FIRST_ROW - 1
    for col, name in enumerate(CHASE_COLUMNS):
        sheet.write_string(header, col, name, fmt.header)
    sheet.set_row(header, 30)
    row = header
    for i, r in enumerate(c.chase, start=1):
        row += 1
        situation = r.situation + (f":{r.reason}" if r.reason else "")
        task_text = chase_task_text(r.task.text)
        sheet.write_number(row, 0, i, fmt.integer)
        sheet.write_string(row, 1, r.unit, fmt.text)
        sheet.write_string(row, 2, r.contact, fmt.center)
        sheet.write_string(row, 3, r.phone, fmt.center)
        sheet.write_number(row, 4, r.task.id, fmt.integer)
        sheet.write_string(row, 5, task_text, fmt.text)
        sheet.write_string(row, 6, role_unit(r.role), fmt.center)
        sheet.write_string(row, 7, r.send_to, fmt.text)
        sheet.write_datetime(row, 8, datetime.combine(r.deadline, time()), fmt.date)
        sheet.write_number(row, 9, r.days_overdue, fmt.integer)
        sheet.write_string(row, 10, situation, fmt.text)
        sheet.set_row(row, row_height([(r.unit, CHASE_WIDTHS[1]), (task_text, CHASE_WIDTHS[5]),
                                       (r.send_to, CHASE_WIDTHS[7]), (situation, CHASE_WIDTHS[10])],
                                      font_size=10))
    if not c.chase:
        row += 1
        sheet.merge_range(row, 0, row, last, "", fmt.center)
        sheet.write_string(row, 0, "全部条目均已有效报送。", fmt.center)

    sheet.freeze_panes(CHASE_FIRST_ROW, 0)
    setup_print(sheet, landscape=True, repeat_rows=(header, header), footer_left=f"{c.period}逾期未报")


def _reminders(sheet: Worksheet, fmt: _Formats, c: Comparison) -> None:
    """One reminder per unit of the chase list, ready to paste into a chat or an SMS."""
    _widths(sheet, REMINDER_WIDTHS)
    items = reminders(c)
    last = len(REMINDER_COLUMNS) - 1
    _title(sheet, fmt, last, f"{c.period}催报提醒",
           f"{_as_of(c)}。共{len(items)}个单位；与「逾期未报」表一致，同样内容另存为 {c.round.id}-催报提醒.txt。")
    header = CHASE_FIRST_ROW - 1
    for col, name in enumerate(REMINDER_COLUMNS):
        sheet.write_string(header, col, name, fmt.header)
    row = header
    for i, rem in enumerate(items, start=1):
        row += 1
        sheet.write_number(row, 0, i, fmt.integer)
        sheet.write_string(row, 1, rem.unit, fmt.text)
        sheet.write_string(row, 2, rem.contact, fmt.center)
        sheet.write_string(row, 3, rem.phone, fmt.center)
        sheet.write_string(row, 4, rem.text, fmt.text)
        sheet.set_row(row, row_height([(rem.text, REMINDER_WIDTHS[4])], font_size=10))
    if not items:
        row += 1
        sheet.merge_range(row, 0, row, last, "", fmt.center)
        sheet.write_string(row, 0, "全部条目均已有效报送，无需催报。", fmt.center)
    sheet.freeze_panes(CHASE_FIRST_ROW, 0)
    setup_print(sheet, landscape=True, repeat_rows=(header, header), footer_left=f"{c.period}催报提醒")
