"""The supervision office's comparison workbook `outbox/R/R-对比通报.xlsx`, and `write_comparison`.

Five sheets, laggards first:

- 总览: who needs attention, by name and with the reason (units, then tasks), then the figures —
  tasks by chapter (项), entries per link of the chain (条), units (个) — and two native charts of
  what needs attention, with data labels;
- 任务进展: one row per task of the notice, each lead unit's report inside it;
- 单位对比: units ranked within their group (乡镇(街道) apart from the others), worst first, the
  rule stated on the sheet;
- 逾期未报 and 催报提醒: the chase list and one reminder per unit.

Every figure is computed in Python (`figures.py`) and written as a value: no formula, so the
numbers are there before any application recalculates. Text that came from units is written with
`write_string` into a workbook opened with `xlsx.new_workbook` (no string becomes a formula, link
or number). The bytes depend only on the figures and the as-of date, so a collect pass with
nothing new rewrites nothing (`files.publish_bytes` skips identical bytes).

Every sheet prints on A4 at 9 pt or more (`xlsx.fit_page_width` narrows the wrapping columns until
it does; tests/test_print_size.py measures the rendered pages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    MARK_MEANINGS,
    MARK_ORDER,
    MISSING_LABEL,
    NO_LEAD_LABEL,
    RANK_RULE,
    SITUATION_NAMES,
    TASK_BUCKETS,
    TASK_STATUS_RULE,
    Comparison,
    TaskRow,
    UnitRow,
    compare,
    short_chapter,
    task_attention,
)
from excelflow.reports.ledger import EntryState
from excelflow.reports.notification import notification_bytes
from excelflow.reports.reminders import reminders, reminders_text
from excelflow.wording import STATE_MEANINGS, STATE_NAMES, STATES_WORST_FIRST, day, role_unit, short_day
from excelflow.workspace import Workspace
from excelflow.xlsx import fit_page_width, new_workbook, row_height, setup_print

SHEETS = ("总览", "任务进展", "单位对比", "逾期未报", "催报提醒")
FONT_SIZE = 10
BODY_FONT = {"font_name": "宋体", "font_size": FONT_SIZE}
HEAD_FONT = {"font_name": "黑体", "font_size": FONT_SIZE}
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
    NO_LEAD_LABEL: ("#D9D9D9", "#000000"),
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
    INCOMPLETE_LABEL: "#F4B183", INVALID_LABEL: "#C00000", MISSING_LABEL: "#7F7F7F", NO_LEAD_LABEL: "#BFBFBF",
}
STATE_CHART_COLOURS: Mapping[str, str] = {
    "missing": "#7F7F7F", "invalid": "#C00000", "incomplete": "#F4B183", "late": "#FFC000", "on_time": "#70AD47",
}
CHART_FONT = 10  # chart text; printed at 9 pt or more at the sheet's scale
CHASE_TEXT_CHARS = 30  # task text in the chase list is cut: it is for phoning, not reading
ATTENTION_TEXT_CHARS = 24  # a task named on 总览
CHART_MAX_UNITS = 30  # bars in the attention chart; the table above lists them all


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


# -- formats and helpers -------------------------------------------------------------------------
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
        self.percent = add({**cell, "align": "center", "num_format": "0.0%"})
        self.date = add({**cell, "align": "center", "num_format": "m月d日"})
        self.note = add({**BODY_FONT, "font_color": "#404040", "text_wrap": True, "valign": "top"})
        self.coloured: dict[tuple[str, str], Any] = {}
        for table in (STATUS_COLOURS, MARK_COLOURS, PLAN_COLOURS):
            for fill, font in table.values():
                if (fill, font) not in self.coloured:
                    self.coloured[(fill, font)] = add({**cell, "align": "center", "bg_color": fill,
                                                       "font_color": font, "bold": True})

    def fill(self, table: Mapping[str, tuple[str, str]], label: str) -> Any:
        colours = table.get(label)
        return self.coloured[colours] if colours else self.center


@dataclass(frozen=True)
class _Columns:
    """A sheet's columns: headers and the widths that print at 9 pt or more on A4."""

    headers: tuple[str, ...]
    widths: tuple[float, ...]

    @staticmethod
    def of(spec: Sequence[tuple[str, float, bool]], landscape: bool = True) -> _Columns:
        """`spec` is (header, preferred width, wraps): the wrapping ones give way to fit the page."""
        widths = fit_page_width([w for _, w, _ in spec], landscape, FONT_SIZE,
                                [i for i, (_, _, wraps) in enumerate(spec) if wraps])
        return _Columns(tuple(h for h, _, _ in spec), tuple(widths))

    def set(self, sheet: Worksheet) -> None:
        for col, width in enumerate(self.widths):
            sheet.set_column(col, col, width)

    def index(self, header: str) -> int:
        return self.headers.index(header)

    @property
    def last(self) -> int:
        return len(self.headers) - 1


def _title(sheet: Worksheet, fmt: _Formats, cols: _Columns, title: str, subtitle: str) -> None:
    sheet.merge_range(0, 0, 0, cols.last, "", fmt.title)
    sheet.write_string(0, 0, title, fmt.title)
    sheet.set_row(0, 30)
    sheet.merge_range(1, 0, 1, cols.last, "", fmt.subtitle)
    sheet.write_string(1, 0, subtitle, fmt.subtitle)
    sheet.set_row(1, row_height([(subtitle, sum(cols.widths))], font_size=FONT_SIZE))


def _header(sheet: Worksheet, fmt: _Formats, cols: _Columns, row: int) -> None:
    for col, name in enumerate(cols.headers):
        sheet.write_string(row, col, name, fmt.header)
    sheet.set_row(row, row_height(zip(cols.headers, cols.widths), font_size=FONT_SIZE))


def _note(sheet: Worksheet, fmt: _Formats, cols: _Columns, row: int, text: str) -> None:
    sheet.merge_range(row, 0, row, cols.last, "", fmt.note)
    sheet.write_string(row, 0, text, fmt.note)
    sheet.set_row(row, row_height([(text, sum(cols.widths))], font_size=FONT_SIZE))


def _as_of(c: Comparison) -> str:
    return f"统计截至{day(c.as_of)}"


def _rate(sheet: Worksheet, row: int, col: int, value: float | None, fmt: _Formats) -> None:
    if value is None:
        sheet.write_string(row, col, "—", fmt.center)
    else:
        sheet.write_number(row, col, value, fmt.percent)


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars] + "…"


def _legend_states() -> str:
    return "；".join(f"{STATE_NAMES[s]}={STATE_MEANINGS[s]}" for s in STATES_WORST_FIRST)


def _legend_marks() -> str:
    return "，".join(f"{m}={MARK_MEANINGS[m]}" for m in MARK_ORDER)


# -- 总览 ------------------------------------------------------------------------------------------
OVERVIEW_SPEC: tuple[tuple[str, float, bool], ...] = (
    ("A", 6, False), ("B", 16, True), ("C", 12, True), ("D", 20, True),
    *((letter, 6.5, False) for letter in "EFGHIJK"), ("L", 13, True),
)
# The attention table's state columns (the chart reads them), worst first.
ATTENTION_STATES: tuple[str, ...] = STATES_WORST_FIRST
LINK_METRICS: tuple[tuple[str, str], ...] = (
    ("应报\n（条）", "expected"), ("已报\n（条）", "received"), ("按时\n（条）", "on_time"), ("逾期\n（条）", "late"),
    ("不完整\n（条）", "incomplete"), ("无效\n（条）", "invalid"), ("未报\n（条）", "missing"),
    ("报送率", "reporting_rate"), ("按时率", "on_time_rate"),
)


def _overview(book: Workbook, sheet: Worksheet, fmt: _Formats, c: Comparison) -> None:
    cols = _Columns.of(OVERVIEW_SPEC)
    cols.set(sheet)
    total_tasks = len(c.tasks)
    _title(sheet, fmt, cols, f"{c.period}重点工作推进情况对比表",
           f"{_as_of(c)}。协办单位报牵头单位截止{short_day(c.round.co_deadline)}，"
           f"牵头单位报{c.office}截止{short_day(c.round.lead_deadline)}（截止日当天报送算按时）。"
           f"本表计数：任务按「项」（共{total_tasks}项），单位按「个」，条目按「条」"
           "（一个单位在一项任务中以牵头或协办身份的一次报送为一条）。")
    row = 3
    row, unit_rows = _attention_units(sheet, fmt, cols, c, row)
    row = _attention_tasks(sheet, fmt, cols, c, row + 1)
    row, chapter_rows = _chapter_table(sheet, fmt, cols, c, row + 1)
    row = _link_table(sheet, fmt, cols, c, row + 1)
    row = _unit_table(sheet, fmt, cols, c, row + 1)
    row += 1
    notes = [
        "说明：1. 条目的状态：" + _legend_states() + "。报送率=已报条目÷应报条目（已报含逾期、不完整和无效）；"
        "按时率=按时条目÷应报条目。",
        "2. 任务的状态以牵头单位报送为准。" + TASK_STATUS_RULE + "没有牵头单位的任务单列为「无牵头单位」。",
        "3. 单位标识：" + _legend_marks() + "。单位在所属组内比较，排名规则见「单位对比」工作表。",
    ]
    for note in notes:
        _note(sheet, fmt, cols, row, note)
        row += 1
    row += 1
    # Each chart on a page of its own, so that neither is cut by a page break.
    breaks = [row]
    row = _attention_chart(book, sheet, c, cols, unit_rows, row)
    if row != breaks[0]:
        breaks.append(row)
    _chapter_chart(book, sheet, c, cols, chapter_rows, row)
    sheet.set_h_pagebreaks(breaks)
    setup_print(sheet, landscape=True, footer_left=f"{c.period}对比通报 总览")


def _section(sheet: Worksheet, fmt: _Formats, row: int, text: str) -> int:
    sheet.write_string(row, 0, text, fmt.section)
    sheet.set_row(row, 22)
    return row + 1


def _attention_units(sheet: Worksheet, fmt: _Formats, cols: _Columns, c: Comparison,
                     row: int) -> tuple[int, tuple[int, int] | None]:
    units = c.attention_units
    red = sum(1 for u in units if u.mark == "红")
    row = _section(sheet, fmt, row, f"一、需要关注的单位（共{len(units)}个，其中红{red}个、黄{len(units) - red}个；"
                                    "最需关注的在前）")
    if not units:
        sheet.merge_range(row, 0, row, cols.last, "全部单位均无逾期、未报、不完整或无效的条目。", fmt.center)
        return row + 1, None
    heads = ["标识", "单位", "组别", "需关注的情况", "应报\n（条）", *(f"{STATE_NAMES[s]}\n（条）" for s in ATTENTION_STATES),
             "组内名次", "联系人、电话"]
    # A..D, then E: expected, F..J: the five states, K: rank, L: contact.
    for col, head in enumerate(heads):
        sheet.write_string(row, col, head, fmt.header)
    sheet.set_row(row, 30)
    first = row + 1
    contacts = _contacts(c)
    for u in units:
        row += 1
        sheet.write_string(row, 0, u.mark, fmt.fill(MARK_COLOURS, u.mark))
        sheet.write_string(row, 1, u.unit, fmt.text)
        sheet.write_string(row, 2, u.group, fmt.text)
        sheet.write_string(row, 3, u.reason, fmt.text)
        sheet.write_number(row, 4, u.tally.expected, fmt.integer)
        for i, state in enumerate(ATTENTION_STATES):
            sheet.write_number(row, 5 + i, u.tally.count(state), fmt.integer)
        sheet.write_string(row, 10, f"{u.rank}/{u.group_size}", fmt.center)
        contact = contacts.get(u.unit, "")
        sheet.write_string(row, 11, contact, fmt.text)
        sheet.set_row(row, row_height([(u.unit, cols.widths[1]), (u.group, cols.widths[2]), (u.reason, cols.widths[3]),
                                       (contact, cols.widths[11])], font_size=FONT_SIZE))
    return row + 1, (first, row)


def _contacts(c: Comparison) -> dict[str, str]:
    """Each chased unit's contact and phone, from its first chase row (looked up per unit below:
    a scan of the chase list for each of a thousand units was quadratic)."""
    out: dict[str, str] = {}
    for r in c.chase:
        out.setdefault(r.unit, " ".join(x for x in (r.contact, r.phone) if x))
    return out


def _attention_tasks(sheet: Worksheet, fmt: _Formats, cols: _Columns, c: Comparison, row: int) -> int:
    tasks = c.attention_tasks
    red = sum(1 for t in tasks if (task_attention(t, c.as_of) or ("",))[0] == "红")
    row = _section(sheet, fmt, row, f"二、需要关注的任务（共{len(tasks)}项，其中红{red}项、黄{len(tasks) - red}项）")
    if not tasks:
        sheet.merge_range(row, 0, row, cols.last, "没有报告滞后、未启动、欠进度或牵头单位未有效报送的任务。", fmt.center)
        return row + 1
    for col, head, last in ((0, "标识", 0), (1, "任务", 2), (3, "需关注的情况", 3), (4, "牵头单位", 10), (11, "章节", 11)):
        if last > col:
            sheet.merge_range(row, col, row, last, "", fmt.header)
        sheet.write_string(row, col, head, fmt.header)
    for t in tasks:
        row += 1
        mark, reason = task_attention(t, c.as_of) or ("黄", "")
        text = f"第{t.task.id}项 {_cut(t.task.text, ATTENTION_TEXT_CHARS)}"
        chapter = short_chapter(t.task.chapter).split("、")[0]
        sheet.write_string(row, 0, mark, fmt.fill(MARK_COLOURS, mark))
        sheet.merge_range(row, 1, row, 2, "", fmt.text)
        sheet.write_string(row, 1, text, fmt.text)
        sheet.write_string(row, 3, reason, fmt.text)
        sheet.merge_range(row, 4, row, 10, "", fmt.text)
        sheet.write_string(row, 4, t.lead_names, fmt.text)
        sheet.write_string(row, 11, chapter, fmt.center)
        sheet.set_row(row, row_height([(text, cols.widths[1] + cols.widths[2]), (reason, cols.widths[3]),
                                       (t.lead_names, sum(cols.widths[4:11]))], font_size=FONT_SIZE))
    return row + 1


def _chapter_table(sheet: Worksheet, fmt: _Formats, cols: _Columns, c: Comparison,
                   row: int) -> tuple[int, tuple[int, int, int]]:
    """Tasks (项) by chapter and status: header row, one row per chapter, 合计. Columns A–D hold the
    chapter, E.. the buckets (`TASK_BUCKETS`, 8), then 合计."""
    row = _section(sheet, fmt, row, f"三、各章节任务完成状态（按任务计，共{len(c.tasks)}项；以牵头单位报送为准）")
    header_row = row
    sheet.merge_range(row, 0, row, 2, "", fmt.header)
    sheet.write_string(row, 0, "章节", fmt.header)
    buckets = _chart_buckets(c)
    sheet.write_string(row, 3, "任务数（项）", fmt.header)
    for i, bucket in enumerate(buckets):
        sheet.write_string(row, 4 + i, bucket, fmt.header)
    sheet.set_row(row, row_height(((b, cols.widths[4 + i]) for i, b in enumerate(buckets)), font_size=FONT_SIZE))
    first = row + 1
    for chapter in c.chapters:
        row += 1
        counts = c.by_chapter[chapter]
        label = short_chapter(chapter)
        sheet.merge_range(row, 0, row, 2, "", fmt.text)
        sheet.write_string(row, 0, label, fmt.text)
        sheet.write_number(row, 3, sum(counts.values()), fmt.integer)
        for i, bucket in enumerate(buckets):
            sheet.write_number(row, 4 + i, counts[bucket], fmt.integer)
        sheet.set_row(row, row_height([(label, sum(cols.widths[:3]))], font_size=FONT_SIZE))
    last = row
    row += 1
    sheet.merge_range(row, 0, row, 2, "", fmt.bold_center)
    sheet.write_string(row, 0, "合计", fmt.bold_center)
    sheet.write_number(row, 3, sum(c.status_totals.values()), fmt.integer)
    for i, bucket in enumerate(buckets):
        sheet.write_number(row, 4 + i, c.status_totals[bucket], fmt.integer)
    return row + 1, (header_row, first, last)


def _chart_buckets(c: Comparison) -> tuple[str, ...]:
    """The task buckets shown: all of them but 无牵头单位 when no task lacks a lead."""
    return tuple(b for b in TASK_BUCKETS if b != NO_LEAD_LABEL or c.status_totals[NO_LEAD_LABEL])


def _link_table(sheet: Worksheet, fmt: _Formats, cols: _Columns, c: Comparison, row: int) -> int:
    row = _section(sheet, fmt, row, "四、报送情况（按条目计）")
    sheet.merge_range(row, 0, row, 1, "", fmt.header)
    sheet.write_string(row, 0, "报送环节", fmt.header)
    sheet.write_string(row, 2, "报送截止", fmt.header)
    for i, (label, _) in enumerate(LINK_METRICS):
        sheet.write_string(row, 3 + i, label, fmt.header)
    sheet.set_row(row, 30)
    for link in c.links:
        row += 1
        sheet.merge_range(row, 0, row, 1, "", fmt.center)
        sheet.write_string(row, 0, link.label, fmt.bold_center if link.key == "all" else fmt.center)
        if link.deadline is None:
            sheet.write_string(row, 2, "—", fmt.center)
        else:
            sheet.write_datetime(row, 2, datetime.combine(link.deadline, time()), fmt.date)
        for i, (_, attr) in enumerate(LINK_METRICS):
            value = getattr(link.entries, attr)
            if attr.endswith("rate"):
                _rate(sheet, row, 3 + i, value, fmt)
            else:
                sheet.write_number(row, 3 + i, value, fmt.integer)
    return row + 1


UNIT_METRICS: tuple[tuple[str, str], ...] = (
    ("应报单位（个）", "units_expected"), ("全部已报（个）", "units_all_received"),
    ("全部按时（个）", "units_all_on_time"), ("完全未报（个）", "units_silent"),
)


def _unit_table(sheet: Worksheet, fmt: _Formats, cols: _Columns, c: Comparison, row: int) -> int:
    row = _section(sheet, fmt, row, "五、报送单位情况（按单位计，一个单位只计一次）")
    sheet.merge_range(row, 0, row, 2, "", fmt.header)
    sheet.write_string(row, 0, "报送环节 / 组别", fmt.header)
    for i, (label, _) in enumerate(UNIT_METRICS):
        sheet.write_string(row, 3 + i, label, fmt.header)
    for i, mark in enumerate(MARK_ORDER):
        sheet.write_string(row, 7 + i, f"标识{mark}（个）", fmt.header)
    sheet.set_row(row, 30)
    lines: list[tuple[str, Sequence[int], Sequence[int] | None]] = []
    for link in c.links:
        label = link.label if link.key != "all" else "两个环节合计（同时牵头和协办的单位只计一次）"
        counted: Sequence[int] | None = [sum(1 for u in c.units if u.mark == m) for m in MARK_ORDER] \
            if link.key == "all" else None
        lines.append((label, [getattr(link, attr) for _, attr in UNIT_METRICS], counted))
    for group in c.groups:
        members = c.group_units(group)
        ok = [u for u in members if u.tally.received == u.tally.expected]
        lines.append((f"其中：{group}", [len(members), len(ok), sum(1 for u in members if u.tally.on_time == u.tally.expected),
                                        sum(1 for u in members if u.tally.received == 0)],
                      [sum(1 for u in members if u.mark == m) for m in MARK_ORDER]))
    for label, values, marks_or_none in lines:
        marks = marks_or_none
        row += 1
        sheet.merge_range(row, 0, row, 2, "", fmt.text)
        sheet.write_string(row, 0, label, fmt.text)
        for i, value in enumerate(values):
            sheet.write_number(row, 3 + i, value, fmt.integer)
        for i in range(len(MARK_ORDER)):
            if marks is None:
                sheet.write_string(row, 7 + i, "—", fmt.center)
            else:
                sheet.write_number(row, 7 + i, marks[i], fmt.integer)
        sheet.set_row(row, row_height([(label, sum(cols.widths[:3]))], font_size=FONT_SIZE))
    return row + 1


def _chart_size(cols: _Columns, rows_tall: int) -> tuple[int, int]:
    """Pixels for a chart as wide as the sheet's columns (7 px per width unit, 5 px padding)."""
    width = int(sum(7 * w + 5 for w in cols.widths))
    return width, rows_tall


def _attention_chart(book: Workbook, sheet: Worksheet, c: Comparison, cols: _Columns,
                     unit_rows: tuple[int, int] | None, row: int) -> int:
    """Each unit that needs attention, its entries by state: bar lengths are shares, labels counts."""
    if unit_rows is None:
        return row
    first, last = unit_rows
    last = min(last, first + CHART_MAX_UNITS - 1)
    chart = book.add_chart({"type": "bar", "subtype": "percent_stacked"})
    units = c.attention_units  # sorted each time it is asked for: asked once
    for i, state in enumerate(ATTENTION_STATES):
        col = 5 + i
        counts = [units[r - first].tally.count(state) for r in range(first, last + 1)]
        chart.add_series(_bar_series(STATE_NAMES[state], ["总览", first, 1, last, 1], ["总览", first, col, last, col],
                                     STATE_CHART_COLOURS[state], counts))
    shown = last - first + 1
    more = f"（只画最需关注的{shown}个，全部见上表）" if shown < len(units) else ""
    chart.set_title({"name": f"需要关注的单位：各状态条目数（条）{more}", "name_font": {"size": CHART_FONT + 1, "bold": True}})
    chart.set_y_axis({"reverse": True, "num_font": {"size": CHART_FONT}})
    chart.set_x_axis({"num_font": {"size": CHART_FONT}, "num_format": "0%",
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": {"size": CHART_FONT}})
    width, height = _chart_size(cols, max(240, 90 + 26 * shown))
    chart.set_size({"width": width, "height": height})
    sheet.insert_chart(row, 0, chart, {"x_offset": 2, "y_offset": 2})
    return row + height // 20 + 2


def _bar_series(name: Any, categories: list[Any], values: list[Any], colour: str,
                counts: Sequence[int]) -> dict[str, Any]:
    """A bar series of the 总览 charts: white borders, its counts on the bars (none on a zero)."""
    return {
        "name": name,
        "categories": categories,
        "values": values,
        "fill": {"color": colour},
        "border": {"color": "#FFFFFF"},
        "gap": 50,
        "data_labels": {"value": True, "font": {"size": CHART_FONT, "color": "#000000"},
                        "custom": [{"delete": True} if n == 0 else {} for n in counts]},
    }


def _chapter_chart(book: Workbook, sheet: Worksheet, c: Comparison, cols: _Columns,
                   rows: tuple[int, int, int], row: int) -> None:
    """Tasks by chapter and status (项), stacked, with the counts on the bars."""
    header_row, first, last = rows
    if last < first:
        return
    chart = book.add_chart({"type": "bar", "subtype": "stacked"})
    for i, bucket in enumerate(_chart_buckets(c)):
        col = 4 + i
        counts = [c.by_chapter[ch][bucket] for ch in c.chapters]
        chart.add_series(_bar_series(["总览", header_row, col], ["总览", first, 0, last, 0],
                                     ["总览", first, col, last, col], CHART_COLOURS[bucket], counts))
    chart.set_title({"name": f"各章节任务完成状态（项，共{len(c.tasks)}项）", "name_font": {"size": CHART_FONT + 1, "bold": True}})
    chart.set_y_axis({"reverse": True, "num_font": {"size": CHART_FONT}})
    chart.set_x_axis({"num_font": {"size": CHART_FONT}, "min": 0,
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": {"size": CHART_FONT}})
    width, height = _chart_size(cols, max(260, 100 + 40 * len(c.chapters)))
    chart.set_size({"width": width, "height": height})
    sheet.insert_chart(row, 0, chart, {"x_offset": 2, "y_offset": 2})


# -- 任务进展 ----------------------------------------------------------------------------------------
def task_columns(c: Comparison) -> _Columns:
    """The 任务进展 sheet's columns; previous-round and plan columns only when they apply."""
    spec: list[tuple[str, float, bool]] = [("序号", 4.5, False), ("任务内容", 26, True), ("牵头单位", 13, True)]
    if c.previous_round is not None:
        spec += [(f"上轮状态\n{c.previous_period}", 7, False), ("上轮进展情况", 18, True)]
    spec += [(f"本轮状态\n{c.period}", 7, False), ("完成进度\n（%）", 6, False), ("进展情况", 26, True),
             ("存在问题", 16, True), ("协办单位\n有效报送", 7, False)]
    if c.has_milestones:
        spec += [("计划目标\n（落实方案）", 16, True), ("对照计划", 6, False)]
    spec += [("提示", 18, True)]
    return _Columns.of(spec)


TASK_FIRST_ROW = 4  # 0-based: title, subtitle, blank, header


def _tasks(sheet: Worksheet, fmt: _Formats, c: Comparison) -> None:
    cols = task_columns(c)
    cols.set(sheet)
    legend = ("状态底色：绿=已完成/序时推进，黄=未启动，红=滞后/无效，灰=未报/无牵头单位。" + TASK_STATUS_RULE)
    if c.has_milestones:
        legend += ("对照计划：已完成且早于方案完成时限为超进度；序时推进而方案要求本轮完成、滞后、未启动为欠进度；"
                   "其余为达进度。")
    _title(sheet, fmt, cols, f"{c.period}重点工作推进情况（按任务，共{len(c.tasks)}项）", f"{_as_of(c)}。{legend}")
    header = TASK_FIRST_ROW - 1
    _header(sheet, fmt, cols, header)
    row = header
    chapter: str | None = None
    for t in c.tasks:
        if t.task.chapter != chapter:
            chapter = t.task.chapter
            row += 1
            sheet.merge_range(row, 0, row, cols.last, "", fmt.chapter)
            sheet.write_string(row, 0, chapter, fmt.chapter)
        row += 1
        _task_row(sheet, fmt, c, row, t, cols)
    sheet.freeze_panes(TASK_FIRST_ROW, 0)
    sheet.autofilter(header, 0, max(row, header), cols.last)
    setup_print(sheet, landscape=True, repeat_rows=(header, header), footer_left=f"{c.period}对比通报 任务进展")


def _per_lead(t: TaskRow, value: Any, empty: str = "") -> str:
    """One line per lead unit (its name first when the task has several)."""
    if len(t.leads) <= 1:
        return str(value(t.leads[0]) or empty) if t.leads else empty
    return "\n".join(f"{r.unit}：{value(r) or empty}" for r in t.leads)


def _task_row(sheet: Worksheet, fmt: _Formats, c: Comparison, row: int, t: TaskRow, cols: _Columns) -> None:
    several = len(t.leads) > 1
    leads = "\n".join(f"{r.unit}：{r.status_label}" for r in t.leads) if several else t.lead_names
    values: list[tuple[Any, str]] = [(t.task.id, "int"), (t.task.text, "text"), (leads, "text")]
    if c.previous_round is not None:
        values += [(t.previous_label or "", "status"),
                   (_per_lead(t, lambda r: r.previous.progress_text if r.previous else ""), "text")]
    if several:
        progress: Any = "\n".join("—" if r.content is None or r.content.progress is None else f"{r.content.progress:g}"
                                  for r in t.leads)
    else:
        progress = t.leads[0].content.progress if t.leads and t.leads[0].content else None
    values += [(t.status_label, "status"), (progress, "progress"),
               (_per_lead(t, lambda r: r.content.progress_text if r.content else "", "" if not several else "（无）"), "text"),
               (t.problems_text, "text"),
               (f"{t.co_valid}/{t.co_expected}" if t.co_expected else "—", "center")]
    if c.has_milestones:
        goal = ""
        if t.milestone is not None:
            goal = t.milestone.goal
            if t.milestone.due is not None:
                goal += f"（完成时限：{day(t.milestone.due)}）"
        values += [(goal, "text"), (t.plan_class or "—", "plan")]
    values += [("；".join(t.flags), "text")]
    for col, (value, kind) in enumerate(values):
        if kind == "int":
            sheet.write_number(row, col, value, fmt.integer)
        elif kind == "progress":
            if value is None:
                sheet.write_blank(row, col, None, fmt.integer)
            elif isinstance(value, str):
                sheet.write_string(row, col, value, fmt.center)
            else:
                sheet.write_number(row, col, value, fmt.integer)
        elif kind == "status":
            sheet.write_string(row, col, value, fmt.fill(STATUS_COLOURS, value))
        elif kind == "plan":
            sheet.write_string(row, col, value, fmt.fill(PLAN_COLOURS, value))
        elif kind == "center":
            sheet.write_string(row, col, value, fmt.center)
        else:
            sheet.write_string(row, col, value or "", fmt.text)
    sheet.set_row(row, row_height(((v if isinstance(v, str) else "", w) for (v, _), w in zip(values, cols.widths)),
                                  font_size=FONT_SIZE))


# -- 单位对比 ----------------------------------------------------------------------------------------
UNIT_SPEC: tuple[tuple[str, float, bool], ...] = (
    ("组内名次\n（1为最好）", 5.5, False), ("单位", 12, True), ("标识", 4, False), ("需关注的情况", 30, True),
    ("牵头任务\n（项）", 4.5, False), ("协办任务\n（项）", 4.5, False), ("应报\n（条）", 4.5, False),
    ("按时\n（条）", 4.5, False), ("逾期\n（条）", 4.5, False), ("不完整\n（条）", 4.5, False), ("无效\n（条）", 4.5, False),
    ("未报\n（条）", 4.5, False), ("报送率", 6, False), ("按时率", 6, False), ("逾期天数\n合计", 5, False),
    ("报告已完成\n（条）", 5.5, False),
)
UNIT_FIRST_ROW = 4


def _units(sheet: Worksheet, fmt: _Formats, c: Comparison) -> None:
    cols = _Columns.of(UNIT_SPEC)
    cols.set(sheet)
    groups = "、".join(f"{g}（{len(c.group_units(g))}个）" for g in c.groups)
    rule = (f"单位分组比较：{groups}。{RANK_RULE}标识：{_legend_marks()}。"
            "「报告已完成」是完成状态填「已完成」的有效报送条目数；「需关注的情况」末尾是牵头逾期的任务及其协办单位的情况。")
    _title(sheet, fmt, cols, f"{c.period}各单位报送情况对比（组内排名，最需关注的在前）", f"{_as_of(c)}。{rule}")
    header = UNIT_FIRST_ROW - 1
    _header(sheet, fmt, cols, header)
    row = header
    for group in c.groups:
        members = c.group_units(group)
        row += 1
        sheet.merge_range(row, 0, row, cols.last, "", fmt.chapter)
        red = sum(1 for u in members if u.mark == "红")
        yellow = sum(1 for u in members if u.mark == "黄")
        sheet.write_string(row, 0, f"{group}（共{len(members)}个，红{red}个、黄{yellow}个）", fmt.chapter)
        for u in members:
            row += 1
            _unit_row(sheet, fmt, cols, row, u)
    sheet.freeze_panes(UNIT_FIRST_ROW, 2)
    setup_print(sheet, landscape=True, repeat_rows=(header, header), footer_left=f"{c.period}对比通报 单位对比")


def _unit_row(sheet: Worksheet, fmt: _Formats, cols: _Columns, row: int, u: UnitRow) -> None:
    t = u.tally
    sheet.write_number(row, 0, u.rank, fmt.integer)
    sheet.write_string(row, 1, u.unit, fmt.text)
    sheet.write_string(row, 2, u.mark, fmt.fill(MARK_COLOURS, u.mark))
    # What needs attention, then the chain's remark (牵头逾期, and what its co-units did): one column
    # wide enough to read, rather than two narrow ones.
    said = "；".join(x for x in (u.reason, u.note) if x)
    sheet.write_string(row, 3, said or "—", fmt.text if said else fmt.center)
    for col, value in enumerate((u.tasks_led, u.tasks_co, t.expected, t.on_time, t.late,
                                 t.incomplete, t.invalid, t.missing), start=4):
        sheet.write_number(row, col, value, fmt.integer)
    _rate(sheet, row, 12, t.reporting_rate, fmt)
    _rate(sheet, row, 13, t.on_time_rate, fmt)
    sheet.write_number(row, 14, u.days_late, fmt.integer)
    sheet.write_number(row, 15, u.done, fmt.integer)
    sheet.set_row(row, row_height([(u.unit, cols.widths[1]), (said, cols.widths[3])], font_size=FONT_SIZE))


# -- 逾期未报 ----------------------------------------------------------------------------------------
CHASE_SPEC: tuple[tuple[str, float, bool], ...] = (
    ("序", 4, False), ("单位", 13, True), ("联系人", 7, False), ("电话", 12, False), ("任务\n序号", 4.5, False),
    ("任务内容", 22, True), ("身份", 5, False), ("报送对象", 13, True), ("报送截止", 7, False),
    ("逾期\n天数", 5, False), ("情况", 18, True),
)
CHASE_FIRST_ROW = 4
REMINDER_SPEC: tuple[tuple[str, float, bool], ...] = (
    ("序", 4, False), ("单位", 13, True), ("联系人", 7, False), ("电话", 12, False),
    ("提醒内容（可直接复制到微信、短信）", 66, True),
)


def chase_task_text(text: str) -> str:
    """The start of a task's text, enough to name it on the phone."""
    return _cut(text, CHASE_TEXT_CHARS)


def _chase(sheet: Worksheet, fmt: _Formats, c: Comparison) -> None:
    cols = _Columns.of(CHASE_SPEC)
    cols.set(sheet)
    units = len({r.unit for r in c.chase})
    overdue = sum(1 for r in c.chase if r.situation == "逾期未报")
    _title(sheet, fmt, cols, f"{c.period}逾期未报及需补报事项",
           f"{_as_of(c)}。共{units}个单位{len(c.chase)}条，其中逾期未报{overdue}条。按单位排列，逾期最久的单位在前。"
           f"牵头单位报{c.office}；协办单位报牵头单位，并抄送{c.office}。")
    header = CHASE_FIRST_ROW - 1
    _header(sheet, fmt, cols, header)
    row = header
    for i, r in enumerate(c.chase, start=1):
        row += 1
        situation = SITUATION_NAMES[r.situation] + (f":{r.reason}" if r.reason else "")
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
        sheet.set_row(row, row_height([(r.unit, cols.widths[1]), (task_text, cols.widths[5]), (r.phone, cols.widths[3]),
                                       (role_unit(r.role), cols.widths[6]), (r.send_to, cols.widths[7]),
                                       (situation, cols.widths[10])], font_size=FONT_SIZE))
    if not c.chase:
        row += 1
        sheet.merge_range(row, 0, row, cols.last, "", fmt.center)
        sheet.write_string(row, 0, "全部条目均已有效报送。", fmt.center)

    sheet.freeze_panes(CHASE_FIRST_ROW, 0)
    setup_print(sheet, landscape=True, repeat_rows=(header, header), footer_left=f"{c.period}逾期未报")


def _reminders(sheet: Worksheet, fmt: _Formats, c: Comparison) -> None:
    """One reminder per unit of the chase list, ready to paste into a chat or an SMS."""
    cols = _Columns.of(REMINDER_SPEC)
    cols.set(sheet)
    items = reminders(c)
    _title(sheet, fmt, cols, f"{c.period}催报提醒",
           f"{_as_of(c)}。共{len(items)}个单位；与「逾期未报」表一致，同样内容另存为 {c.round.id}-催报提醒.txt。")
    header = CHASE_FIRST_ROW - 1
    _header(sheet, fmt, cols, header)
    row = header
    for i, rem in enumerate(items, start=1):
        row += 1
        sheet.write_number(row, 0, i, fmt.integer)
        sheet.write_string(row, 1, rem.unit, fmt.text)
        sheet.write_string(row, 2, rem.contact, fmt.center)
        sheet.write_string(row, 3, rem.phone, fmt.center)
        sheet.write_string(row, 4, rem.text, fmt.text)
        sheet.set_row(row, row_height([(rem.text, cols.widths[4]), (rem.unit, cols.widths[1])], font_size=FONT_SIZE))
    if not items:
        row += 1
        sheet.merge_range(row, 0, row, cols.last, "", fmt.center)
        sheet.write_string(row, 0, "全部条目均已有效报送，无需催报。", fmt.center)
    sheet.freeze_panes(CHASE_FIRST_ROW, 0)
    setup_print(sheet, landscape=True, repeat_rows=(header, header), footer_left=f"{c.period}催报提醒")
