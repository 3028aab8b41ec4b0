"""Drawing a planned unit workbook with xlsxwriter (`render_unit`), for `excelflow generate`.

`plan.plan_unit` decides every visible text; this module only lays it out: the data sheets
(title, header block, the 报送要求 note, header row, entry rows with their validations), the
`填报说明` sheet and the identity sheet (`identity.py`). A layout change here must bump
`plan.GENERATOR_VERSION`, so regenerated workbooks count as changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from io import BytesIO
from typing import Any

from excelflow.forms import identity as ident
from excelflow.forms.campaign_key import CampaignKey
from excelflow.forms.headers import (
    COS_HEADER,
    DEADLINE_HEADER,
    ID_HEADER,
    LEADS_HEADER,
    MILESTONE_HEADER,
    NEXT_HEADER,
    PERCENT_HEADER,
    PREV_PROGRESS_HEADER,
    PREV_STATUS_HEADER,
    PROBLEMS_HEADER,
    PROGRESS_HEADER,
    REMARKS_HEADER,
    STATUS_HEADER,
    TASK_HEADER,
)
from excelflow.forms.plan import SheetPlan, UnitPlan, entry_fingerprint
from excelflow.forms.template_style import TemplateStyle
from excelflow.register import statuses
from excelflow.register.model import Role, government_of
from excelflow.wording import role_name
from excelflow.xlsx import close_with_growing_rows, fit_page_width, new_workbook, protect, row_height, setup_print, standard_formats

INSTRUCTIONS_SHEET = "填报说明"
HEADER_BLOCK_LABELS: tuple[str, ...] = ("填报单位", "填报人", "联系电话", "分管领导", "填报日期")
_CENTERED = {ID_HEADER, DEADLINE_HEADER, PREV_STATUS_HEADER}
_DEFAULT_WIDTHS = {MILESTONE_HEADER: 18.0, PREV_STATUS_HEADER: 10.0, PREV_PROGRESS_HEADER: 24.0}
MIN_ENTRY_LINES = 3  # room to write in, even when the task text is short


def render_unit(plan: UnitPlan, style: TemplateStyle, version: str, generated_at: str,
                key: CampaignKey | None = None) -> tuple[bytes, ident.Identity]:
    """The workbook's bytes and the identity written into it."""
    buffer = BytesIO()
    workbook = new_workbook(buffer, in_memory=True)
    workbook.set_properties({"title": f"{plan.unit} {plan.round_label} 重点工作进展情况填报表",
                             "company": plan.office, "created": datetime(2000, 1, 1)})
    fmt = standard_formats(workbook, style.fonts)
    extra = {
        "block_input": workbook.add_format({**style.fonts.input.properties(), "bottom": 1,
                                            "locked": False, "valign": "vcenter"}),
        # A typed date (2021-6-20, 6月20日) shows the way Chinese forms write it.
        "block_date": workbook.add_format({**style.fonts.input.properties(), "bottom": 1, "locked": False,
                                           "valign": "vcenter", "align": "left",
                                           "num_format": 'yyyy"年"m"月"d"日"'}),
        "block_unit": workbook.add_format({**style.fonts.input.properties(), "bottom": 1,
                                           "locked": True, "valign": "vcenter", "bold": True}),
    }
    entry_rows: list[tuple[str, Role, int, int, str]] = []
    for sheet_plan in plan.sheets:
        entry_rows.extend(_render_data_sheet(workbook, sheet_plan, plan, style, fmt, extra))
    _render_instructions(workbook, plan, fmt, style)
    names = [s.get_name() for s in workbook.worksheets()]
    identity = ident.Identity(
        kind="report", unit=plan.unit, round_id=plan.round_id, template_version=version,
        generated_at=generated_at,
        rows=tuple(ident.EntryRow(sheet, names.index(sheet), role, row, task_id, fp)
                   for sheet, role, row, task_id, fp in entry_rows),
    )
    identity = ident.write_identity(workbook, identity, key)  # signed with the campaign's key
    workbook.worksheets()[0].activate()
    # Entry rows keep the height computed for their pre-filled text but are automatic rows for
    # Excel and WPS, which make them taller as the unit types a long answer (printed in full).
    sheet_number = {name: i for i, name in enumerate(names, start=1)}
    grow: dict[int, list[int]] = {}
    for sheet, _, row, _, _ in entry_rows:
        grow.setdefault(sheet_number[sheet], []).append(row - 1)
    return close_with_growing_rows(workbook, buffer, grow), identity


def _block_layout(widths: Sequence[float], needs: Sequence[float]) -> list[tuple[int, int, int, int]]:
    """Place label/input pairs of the header block: (row offset, label col, first, last input col).

    A label goes in the next column wide enough for four Chinese characters (right-aligned, so it
    sits next to its input); its input spans the columns right of it until wide enough.
    """
    placed: list[tuple[int, int, int, int]] = []
    row, col, n = 0, 0, len(widths)
    for need in needs:
        for attempt in range(2):
            label = next((j for j in range(col, n - 1) if widths[j] >= 8), None)
            if label is not None:
                break
            row, col = (row + 1, 0) if attempt == 0 else (row, col)
        if label is None:  # no fitting column at all: fall back to the first one
            label = 0
        last = label + 1
        while last < n - 1 and sum(widths[label + 1:last + 1]) < need:
            last += 1
        placed.append((row, label, label + 1, last))
        col = last + 1
        if col >= n - 1:
            row, col = row + 1, 0
    return placed


# Columns that wrap long text, and so give way when a sheet would print below 9 pt on A4.
_WRAPPING = {TASK_HEADER, LEADS_HEADER, COS_HEADER, MILESTONE_HEADER, PREV_PROGRESS_HEADER, PROGRESS_HEADER,
             PROBLEMS_HEADER, NEXT_HEADER, REMARKS_HEADER}


def sheet_widths(sp: SheetPlan, style: TemplateStyle) -> list[float]:
    """The template's widths for the sheet's columns, narrowed where needed to print at 9 pt or more
    (one A4 landscape page wide; the wrapping columns give way, see `xlsx.fit_page_width`)."""
    widths = [style.width(h, _DEFAULT_WIDTHS.get(h, 9.0)) for h in sp.headers]
    smallest = min(style.fonts.body.size, style.fonts.input.size, style.fonts.header.size)
    flexible = [i for i, h in enumerate(sp.headers) if h in _WRAPPING or h in style.extra_inputs]
    return fit_page_width(widths, True, smallest, flexible)


def _render_data_sheet(workbook: Any, sp: SheetPlan, plan: UnitPlan, style: TemplateStyle,
                       fmt: Any, extra: Mapping[str, Any]) -> list[tuple[str, Role, int, int, str]]:
    sheet = workbook.add_worksheet(sp.name)
    widths = sheet_widths(sp, style)
    for c, width in enumerate(widths):
        sheet.set_column(c, c, width)
    last_col = len(sp.headers) - 1
    title_font = style.fonts.title.size
    sheet.set_row(0, max(28.0, title_font * 2))
    sheet.merge_range(0, 0, 0, last_col, sp.title, fmt.title)

    # Header block: labels in cells, the input cell right of each label (collection looks there).
    needs = [18.0, 14.0, 16.0, 14.0, 14.0]
    layout = _block_layout(widths, needs)
    block_rows = max(r for r, *_ in layout) + 1
    for r in range(block_rows):
        sheet.set_row(1 + r, 24)
    for label, (r, lc, first, last) in zip(HEADER_BLOCK_LABELS, layout):
        sheet.write_string(1 + r, lc, label, fmt.label)
        value, cell_fmt = ((plan.unit, extra["block_unit"]) if label == "填报单位"
                           else ("", extra["block_date" if label == "填报日期" else "block_input"]))
        if last > first:
            sheet.merge_range(1 + r, first, 1 + r, last, value, cell_fmt)
        elif value:
            sheet.write_string(1 + r, first, value, cell_fmt)
        else:
            sheet.write_blank(1 + r, first, None, cell_fmt)
    note_row = 1 + block_rows
    note = (f"报送要求:请于{sp.deadline}前{sp.send_to}。灰色为预填内容(已锁定),请在白色单元格中填报;"
            f"「{PROGRESS_HEADER}」必填。各列填法见「{INSTRUCTIONS_SHEET}」工作表。")
    sheet.set_row(note_row, row_height([(note, sum(widths))], font_size=style.fonts.body.size))
    sheet.merge_range(note_row, 0, note_row, last_col, note, fmt.note)

    header_row = note_row + 1
    header_height = row_height(list(zip(sp.headers, widths)), font_size=style.fonts.header.size)
    sheet.set_row(header_row, max(header_height, 30))
    for c, header in enumerate(sp.headers):
        sheet.write_string(header_row, c, header, fmt.header)

    entries: list[tuple[str, Role, int, int, str]] = []
    first_entry = header_row + 1
    for i, row in enumerate(sp.rows):
        r = first_entry + i
        values = dict(row.prefilled)
        texts = []
        for c, header in enumerate(sp.headers):
            if header == ID_HEADER:
                sheet.write_number(r, c, row.task_id, fmt.locked_center)
            elif header in values:
                text = str(values[header])
                sheet.write_string(r, c, text, fmt.locked_center if header in _CENTERED else fmt.locked)
                texts.append((text, widths[c]))
            elif header == STATUS_HEADER:
                sheet.write_blank(r, c, None, fmt.input_center)
            elif header == PERCENT_HEADER:
                sheet.write_blank(r, c, None, fmt.input_number)
            else:
                sheet.write_blank(r, c, None, fmt.input)
        sheet.set_row(r, row_height(texts, font_size=style.fonts.body.size, min_lines=MIN_ENTRY_LINES))
        entries.append((sp.name, sp.role, r + 1, row.task_id, entry_fingerprint(values)))

    last_entry = first_entry + len(sp.rows) - 1
    _validations(sheet, sp.headers, first_entry, last_entry)
    sheet.freeze_panes(first_entry, 0)
    setup_print(sheet, repeat_rows=(header_row, header_row),
                footer_left=f"{plan.unit} {plan.round_label} {role_name(sp.role)}任务")
    protect(sheet)
    return entries


def _validations(sheet: Any, headers: Sequence[str], first: int, last: int) -> None:
    """Dropdown, range and hint validations on whole input columns (one rule per column)."""
    meanings = ";".join(f"{k}:{v}" for k, v in statuses.MEANINGS.items())
    rules: dict[str, dict[str, Any]] = {
        STATUS_HEADER: {
            "validate": "list", "source": list(statuses.CHOICES),
            "input_title": "完成状态", "input_message": "请从下拉列表选择:" + "、".join(statuses.CHOICES),
            "error_title": "完成状态无效", "error_type": "stop",
            "error_message": f"只能从下拉列表选择:{'、'.join(statuses.CHOICES)}。{meanings}"[:255],
        },
        PERCENT_HEADER: {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
            "input_title": "完成进度(%)", "input_message": "填 0 到 100 之间的数字,如 80(不加 % 号)。",
            "error_title": "完成进度无效", "error_type": "stop",
            "error_message": "完成进度须为 0 到 100 之间的数字,如 80,不要加 % 号或文字。",
        },
        PROGRESS_HEADER: {
            "validate": "any", "input_title": "进展情况(必填)",
            "input_message": "写明本轮已开展的工作和取得的成效,尽量列出数据。",
        },
        PROBLEMS_HEADER: {
            "validate": "any", "input_title": "存在问题",
            "input_message": "如有困难或问题请写明;完成状态为「滞后」时必须说明原因。",
        },
        NEXT_HEADER: {"validate": "any", "input_title": "下步打算", "input_message": "写明下一步的措施和时间安排。"},
    }
    for c, header in enumerate(headers):
        if header in rules:
            sheet.data_validation(first, c, last, c, rules[header])


def _render_instructions(workbook: Any, plan: UnitPlan, fmt: Any, style: TemplateStyle) -> None:
    sheet = workbook.add_worksheet(INSTRUCTIONS_SHEET)
    widths = fit_page_width((13.0, 70.0), False, min(style.fonts.body.size, style.fonts.header.size), (1,))
    sheet.set_column(0, 0, widths[0])
    sheet.set_column(1, 1, widths[1])
    sheet.set_row(0, 34)
    sheet.merge_range(0, 0, 0, 1, f"{plan.unit}{plan.round_label}重点工作进展情况填报说明", fmt.title)
    rows: list[tuple[str, str] | str] = [
        ("填报单位", plan.unit),
        ("填报轮次", f"{plan.round_label}({plan.round_id})"),
    ]
    for sp in plan.sheets:
        rows.append((f"{role_name(sp.role)}任务",
                     f"共 {len(sp.rows)} 项,见「{sp.name}」工作表。请于{sp.deadline}前{sp.send_to}。"))
    rows.append(("报送方式", "在本文件中直接填写后原样发回;文件名可以修改,也可另存为 .xls 或 .ods。"
                            "请勿删除或重命名工作表,勿插入、删除任务行,勿修改序号和任务内容。"))
    rows.append("各列填法")
    government = government_of(plan.office)
    explanations = {
        # The government of this campaign's office (`区政府`, `成都市人民政府`), never another's.
        ID_HEADER: f"任务编号(与{government}通知一致),预填,请勿修改。",
        TASK_HEADER: f"{government + '工作报告' if government else '通知'}所列任务内容,预填,请勿修改。",
        LEADS_HEADER: "本任务的牵头单位:协办任务的情况请报送给牵头单位。",
        COS_HEADER: "本任务的协办单位:牵头单位汇总时须综合其情况。",
        DEADLINE_HEADER: "本表的报送截止日期。",
        MILESTONE_HEADER: "落实方案中本轮应达到的阶段目标,供对照填报。",
        PREV_STATUS_HEADER: "本单位上一轮填报的完成状态,供对照。",
        PREV_PROGRESS_HEADER: "本单位上一轮填报的进展情况,供对照;本轮请填写新的进展。",
        STATUS_HEADER: "从下拉列表选择:" + "、".join(statuses.CHOICES) + "(含义见下)。",
        PERCENT_HEADER: "填 0 到 100 之间的数字,如 80,不加 % 号。",
        PROGRESS_HEADER: "必填。写明本轮已开展的工作、取得的成效,尽量列出数据。",
        PROBLEMS_HEADER: "如有困难或问题请写明;完成状态为「滞后」时必须说明原因。",
        NEXT_HEADER: "写明下一步的措施和时间安排。",
        REMARKS_HEADER: "其他需要说明的事项。",
    }
    shown = [h for sp in plan.sheets for h in sp.headers]
    for header in dict.fromkeys(shown):
        rows.append((header, explanations.get(header, "按督查室要求填写。")))
    rows.append("完成状态的含义")
    rows.extend((k, v) for k, v in statuses.MEANINGS.items())
    rows.append("其他")
    rows.append(("表格保护", "灰色为预填内容,已锁定以防误改;白色为填报区域,可直接填写。工作表保护没有密码:"
                            "如确需调整,可在「审阅」选项卡点「撤销工作表保护」,无需输入密码。"))
    rows.append(("行高", "文字较多显示不全时,可拖动或双击行号下边线调整行高,打印前请检查。"))
    if plan.contact:  # without the office's own contact, no line: never someone else's
        rows.append(("联系方式", f"{plan.office}:{plan.contact}"))
    r = 1
    for item in rows:
        if isinstance(item, str):
            sheet.set_row(r, 26)
            sheet.merge_range(r, 0, r, 1, item, fmt.header)
        else:
            key, text = item
            sheet.set_row(r, row_height([(text, widths[1]), (key, widths[0])], font_size=style.fonts.body.size,
                                        min_lines=1))
            sheet.write_string(r, 0, key, fmt.locked_center)
            sheet.write_string(r, 1, text, fmt.locked)
        r += 1
    setup_print(sheet, landscape=False, footer_left=f"{plan.unit} 填报说明")
    protect(sheet)
