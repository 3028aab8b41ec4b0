"""Lead-unit rollups: `outbox/R/rollups/<lead unit>.xlsx`.

The notice makes every lead unit integrate its co-units' input before reporting to 督查室. The
rollup puts, for each task the unit leads, the lead's own input row on top (序号 = task id, open
cells, the same header texts as a reporting workbook) and below it one locked row per co-unit with
what that co-unit reported (or that it has not): status, progress, 进展情况, 存在问题, 下步打算,
receipt time, late or missing.

A rollup carries identity (kind `rollup`) like a reporting workbook, listing only the lead rows,
so a lead unit can fill its consolidated report in it and return it: collection reads it like any
return and it counts as the lead's submission. Co-unit rows have an empty 序号 cell, which is how
intake knows not to read them as entries.

Bytes are deterministic for the same inputs (fixed document time), so an unchanged rollup is not
rewritten (`files.publish_bytes`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

from excelflow.forms.campaign_key import CampaignKey
from excelflow.forms.identity import EntryRow, Identity, write_identity
from excelflow.forms.plan import entry_fingerprint
from excelflow.register import statuses
from excelflow.register.model import Register, Round
from excelflow.reports.ledger import EntryState, Key
from excelflow.wording import STATE_NAMES, moment, round_name, short_day
from excelflow.xlsx import (
    close_with_growing_rows,
    fit_page_width,
    fit_widths,
    list_source,
    new_workbook,
    page_starts,
    print_scale,
    protect,
    row_height,
    setup_print,
    standard_formats,
    write_cells,
)

SHEET = "牵头汇总"
# Column layout. The input headers are the contract texts (docs/design.md); intake finds columns
# by these texts and rows by 序号. Widths are narrowed to print on A4 landscape at 9 pt or more
# (`xlsx.fit_page_width`, the wrapping columns give way).
_PREFERRED: tuple[tuple[str, float, bool], ...] = (
    ("序号", 5, False),
    ("任务内容", 20, True),
    ("单位", 12, True),
    ("身份", 4.5, False),
    ("报送情况", 8, False),
    ("接收时间", 7.5, False),
    ("完成状态", 7, False),
    ("完成进度(%)", 6, False),
    ("进展情况", 24, True),
    ("存在问题", 13, True),
    ("下步打算", 13, True),
    ("备注", 6, True),
)
FONT_SIZE = 11.0
COLUMNS: tuple[tuple[str, float], ...] = tuple(zip(
    (h for h, _, _ in _PREFERRED),
    fit_page_width([w for _, w, _ in _PREFERRED], True, FONT_SIZE, [i for i, (_, _, f) in enumerate(_PREFERRED) if f]),
))
PRINT_SCALE = int(print_scale([w for _, w in COLUMNS], True) * 100)  # percent, fixed (see build_rollup)
CONTINUED = "(续)"
HEADER_ROW = 3  # 0-based: title, note, 填报单位 line, then the header
FIRST_INPUT_COLUMN = 6  # 完成状态
# Fills that mark a co-unit's state at a glance (printed in grey scale they stay distinct).
STATE_FILLS: Mapping[str, str] = {
    "on_time": "#E2EFDA",
    "late": "#FCE4D6",
    "missing": "#F8CBAD",
    "incomplete": "#FFF2CC",
    "invalid": "#FFF2CC",
}

LEAD_FILL = "#DDEBF7"


@dataclass(frozen=True)
class RollupRow:
    """One row of a rollup as it will be written (values in column order)."""

    role: str  # "lead" (the input row) or "co"
    task_id: int
    values: tuple[object, ...]
    state: str


def _content_values(state: EntryState | None) -> tuple[object, ...]:
    report = state.content if state is not None else None
    if report is None:
        return ("", "", "", "", "", "")
    progress: object = "" if report.progress is None else report.progress
    status = report.status or report.status_raw
    return (status, progress, report.progress_text, report.problems, report.next_steps, report.remarks)


def rollup_rows(register: Register, unit: str, states: Mapping[Key, EntryState]) -> list[RollupRow]:
    """The rows of `unit`'s rollup: per led task, the lead input row, then one row per co-unit."""
    rows: list[RollupRow] = []
    for task in register.led_tasks(unit):
        own = states.get((task.id, unit, "lead"))
        own_label = "待填写" if own is None or own.state == "missing" else f"已报·{own.label}"
        rows.append(RollupRow("lead", task.id, (
            task.id, task.text, unit, "牵头", own_label, moment(own.received_at if own else None),
            *_content_values(own),
        ), own.state if own else "missing"))
        for co in register.co_units(task):
            st = states.get((task.id, co, "co"))
            label = st.label if st else STATE_NAMES["missing"]
            values = list(_content_values(st))
            if st is not None and st.state in ("invalid", "incomplete") and st.problems:
                values[5] = ";".join(p.message for p in st.problems[:2])
            rows.append(RollupRow("co", task.id, (
                "", "", co, "协办", label, moment(st.received_at if st else None), *values,
            ), st.state if st else "missing"))
    return rows


LAYOUT_VERSION = 3  # bump when the rollup's look changes, so every rollup is rendered again (2: signed identity;
#                    3: printed at 9 pt on A4, continued rows)


def rows_digest(round_: Round, unit: str, as_of: datetime, rows: Sequence[RollupRow]) -> str:
    """Digest of everything `render_rollup` draws from `rows`: equal digests give equal bytes (no
    need to render). A pass makes the rows once, for the digest and the drawing."""
    text = repr((LAYOUT_VERSION, round_, unit, as_of.isoformat(), [(r.role, r.task_id, r.values, r.state) for r in rows]))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rows_to_json(rows: Sequence[RollupRow]) -> list[list[Any]]:
    """Rows as JSON, for drawing the rollup in a worker process (`rows_from_json` gives them back equal)."""
    return [[r.role, r.task_id, list(r.values), r.state] for r in rows]


def rows_from_json(items: Sequence[Sequence[Any]]) -> list[RollupRow]:
    return [RollupRow(str(role), int(task_id), tuple(values), str(state)) for role, task_id, values, state in items]


def template_version(register: Register, round_: Round, unit: str) -> str:
    """Digest of what the rollup's locked lead cells were made from (tasks, round, unit)."""
    text = "\x1f".join([round_.id, unit, *(f"{t.id}\x1e{t.text}" for t in register.led_tasks(unit))])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def build_rollup(register: Register, round_: Round, unit: str, states: Mapping[Key, EntryState],
                 as_of: datetime, key: CampaignKey | None = None) -> bytes:
    """The rollup workbook of lead unit `unit` for `round_` as bytes (xlsx).

    `as_of` is the time of the latest data the rollup shows; it goes into the document
    properties and the identity sheet, so the same inputs give the same bytes.
    """
    return render_rollup(register, round_, unit, rollup_rows(register, unit, states), as_of, key)


def render_rollup(register: Register, round_: Round, unit: str, rows: Sequence[RollupRow], as_of: datetime,
                  key: CampaignKey | None = None) -> bytes:
    """`build_rollup` from its rows (drawn in a worker process: the rows travel, not the states)."""
    buffer = BytesIO()
    workbook = new_workbook(buffer)
    workbook.set_properties({"title": f"{round_name(round_)}重点工作牵头汇总表({unit})", "author": "excelflow",
                             "created": as_of})
    formats = standard_formats(workbook)
    sheet = workbook.add_worksheet(SHEET)
    widths = [w for _, w in COLUMNS]
    last_col = len(COLUMNS) - 1

    co_rows = [r for r in rows if r.role == "co"]
    reported = sum(1 for r in co_rows if r.state != "missing")
    sheet.merge_range(0, 0, 0, last_col, f"{round_name(round_)}重点工作牵头汇总表(牵头单位:{unit})", formats.title)
    sheet.set_row(0, 30)
    note = (f"协办单位应于{short_day(round_.co_deadline)}前报送牵头单位;牵头单位综合协办单位情况后,"
            f"于{short_day(round_.lead_deadline)}前报送{register.office.name}。灰色行为协办单位已报内容(只读);"
            "请在每项任务第一行(有序号的行)的白色单元格填写本单位综合情况,保存后原样报送(可直接报送本文件)。")
    sheet.merge_range(1, 0, 1, last_col, note, formats.note)
    sheet.set_row(1, row_height([(note, sum(widths))], font_size=10))
    status_line = (f"截至{moment(as_of)}:协办条目共 {len(co_rows)} 条,已报 {reported} 条,"
                   f"{STATE_NAMES['missing']} {len(co_rows) - reported} 条。")
    # `填报单位:<unit>` in a cell of its own: intake's fallback identification (no identity sheet)
    # reads exactly this label.
    sheet.merge_range(2, 0, 2, 2, f"填报单位:{unit}", formats.subtitle)
    sheet.merge_range(2, 3, 2, last_col, status_line, formats.subtitle)
    for c, (header, _) in enumerate(COLUMNS):
        sheet.write_string(HEADER_ROW, c, header, formats.header)
    sheet.set_row(HEADER_ROW, 30)

    fills = {state: workbook.add_format({**_locked_props(), "bg_color": color, "align": "center"})
             for state, color in STATE_FILLS.items()}
    # The lead's own row stands out from its co-units' rows (it is the one to fill in).
    fills["lead"] = workbook.add_format({**_locked_props(), "bg_color": LEAD_FILL, "bold": True})
    fills["lead_center"] = workbook.add_format({**_locked_props(), "bg_color": LEAD_FILL, "bold": True,
                                                "align": "center"})
    lists: dict[tuple[str, ...], str] = {}
    entry_rows: list[EntryRow] = []
    # Co-unit rows leave 序号 empty (intake reads a row as an entry by its 序号). A co row that
    # starts a printed page says which task it continues, in 序号 and 任务内容: `3(续)` is no task
    # id, so intake still skips it. Heights allow for that text on every co row, so the page
    # breaks computed from them hold; they are set by hand (Excel ignores manual breaks when
    # fitting to a page, hence a fixed scale).
    heights = [row_height([(row.values[c], widths[c]) for c in range(len(COLUMNS))], font_size=FONT_SIZE,
                          min_lines=1 if row.role == "lead" else 2) for row in rows]
    above = 30 + sum(row_height([(t, sum(widths))], font_size=FONT_SIZE) for t in (note, status_line))
    starts = set(page_starts(heights, True, repeated=30, before=above, scale=PRINT_SCALE / 100))
    texts = {t.id: t.text for t in register.led_tasks(unit)}
    input_rows: list[int] = []
    r = HEADER_ROW + 1
    for i, row in enumerate(rows):
        lead = row.role == "lead"
        if lead:
            # The same digest a reporting workbook's row carries: of the pre-filled columns intake
            # knows (序号, 任务内容), so an edited task text is caught the same way.
            entry_rows.append(EntryRow(SHEET, 0, "lead", r + 1, row.task_id,
                                       entry_fingerprint({"序号": row.values[0], "任务内容": row.values[1]})))
            input_rows.append(r)
        elif i in starts:
            text = texts.get(row.task_id, "")
            row = RollupRow(row.role, row.task_id, (f"{row.task_id}{CONTINUED}", f"{CONTINUED}第{row.task_id}项 "
                                                    f"{text[:CONTINUED_CHARS]}…", *row.values[2:]), row.state)
        _write_row(sheet, r, row, formats, fills)
        # Co-unit rows are grouped under their task's lead row (outline level 1, shown), so a
        # lead unit can fold them away and see only its own input rows.
        sheet.set_row(r, heights[i], None, {} if lead else {"level": 1})
        if lead:
            sheet.data_validation(r, FIRST_INPUT_COLUMN, r, FIRST_INPUT_COLUMN, {
                "validate": "list", "source": list_source(workbook, statuses.CHOICES, lists),
                "input_title": "完成状态", "input_message": "请从下拉列表选择",
                "error_title": "完成状态", "error_message": "请选择:" + "、".join(statuses.CHOICES),
            })
            sheet.data_validation(r, FIRST_INPUT_COLUMN + 1, r, FIRST_INPUT_COLUMN + 1, {
                "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                "error_title": "完成进度", "error_message": "请填写 0 到 100 之间的数字",
            })
        r += 1
    fit_widths(sheet, [[h for h, _ in COLUMNS]], fixed=dict(enumerate(widths)))
    sheet.freeze_panes(HEADER_ROW + 1, 3)
    sheet.autofilter(HEADER_ROW, 0, max(r - 1, HEADER_ROW), last_col)
    setup_print(sheet, landscape=True, repeat_rows=(HEADER_ROW, HEADER_ROW),
                footer_left=f"{unit} {round_name(round_)}牵头汇总", fit_width=False)
    sheet.set_print_scale(PRINT_SCALE)
    sheet.set_h_pagebreaks([HEADER_ROW + 1 + i for i in sorted(starts)])
    protect(sheet)
    sheet.activate()
    write_identity(workbook, Identity(
        kind="rollup", unit=unit, round_id=round_.id,
        template_version=template_version(register, round_, unit),
        generated_at=as_of.isoformat(timespec="seconds"), rows=tuple(entry_rows),
    ), key)
    # The lead's own rows are where it types: rows Excel and WPS grow as the text gets longer.
    return close_with_growing_rows(workbook, buffer, {1: input_rows})


CONTINUED_CHARS = 12  # the start of a task's text on a row that continues it on a new page


def _locked_props() -> dict[str, object]:
    return {"font_name": "宋体", "font_size": FONT_SIZE, "border": 1, "text_wrap": True,
            "valign": "vcenter", "locked": True, "font_charset": 134}


def _write_row(sheet: Any, r: int, row: RollupRow, formats: Any, fills: Mapping[str, Any]) -> None:
    lead = row.role == "lead"
    cells = []
    for c, value in enumerate(row.values):
        if c >= FIRST_INPUT_COLUMN and lead:
            fmt = formats.input_center if c in (FIRST_INPUT_COLUMN, FIRST_INPUT_COLUMN + 1) else formats.input
        elif c == 4 and not lead:
            fmt = fills.get(row.state, formats.locked_center)
        elif lead:
            fmt = fills["lead_center"] if c in (0, 3, 4, 5) else fills["lead"]
        elif c in (0, 3, 4, 5, FIRST_INPUT_COLUMN, FIRST_INPUT_COLUMN + 1):
            fmt = formats.locked_center
        else:
            fmt = formats.locked
        cells.append((None if value == "" else value, fmt))  # an empty value is a blank cell
    write_cells(sheet, r, 0, cells)
