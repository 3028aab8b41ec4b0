"""One pre-filled reporting workbook per unit and round (`excelflow generate`).

A unit receives `outbox/<round>/templates/<unit>.xlsx` holding only its own entries: the tasks it
leads on sheet `牵头任务`, those it co-hosts on `协办任务` (each only when non-empty), a `填报说明`
sheet, and the very-hidden identity sheet (`identity.py`). Each data sheet has the title, a header
block (填报单位 pre-filled; 填报人, 联系电话, 分管领导, 填报日期 to fill, each input cell right of
its label), one header row, then one row per task with 序号 = task id.

Work is split in two: `plan_unit` decides every visible text (pure data, easy to test and to
hash), `render_unit` draws it with xlsxwriter. The plan's digest is the template version, so a
regenerated workbook is "unchanged" exactly when nothing a unit would see has changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import identity as ident
from . import statuses
from .files import atomic_write_bytes
from .model import RELEVANT_PREFIX, ROLE_NAMES, TOWNSHIP_GROUP, Milestone, Register, Role, Round, Task
from .template_style import (
    CONDITIONAL_HEADERS, COS_HEADER, DEADLINE_HEADER, ID_HEADER, LEADS_HEADER,
    MILESTONE_HEADER, NEXT_HEADER, PERCENT_HEADER, PREFILLED_HEADERS, PREV_PROGRESS_HEADER,
    PREV_STATUS_HEADER, PROBLEMS_HEADER, PROGRESS_HEADER, REMARKS_HEADER, STATUS_HEADER,
    TASK_HEADER, TemplateStyle, load_template_style,
)
from .workspace import Workspace

if TYPE_CHECKING:
    from .submission import EntryReport

GENERATOR_VERSION = 1  # bump when the layout changes, so regenerated workbooks count as changed
SHEET_NAMES: Mapping[Role, str] = {"lead": "牵头任务", "co": "协办任务"}
INSTRUCTIONS_SHEET = "填报说明"
HEADER_BLOCK_LABELS: tuple[str, ...] = ("填报单位", "填报人", "联系电话", "分管领导", "填报日期")
DISTRIBUTION_LIST = "分发清单.xlsx"
DEFAULT_OFFICE = "区政府督查室"
NOT_REPORTED = "未报送"
_CENTERED = {ID_HEADER, DEADLINE_HEADER, PREV_STATUS_HEADER}
_DEFAULT_WIDTHS = {MILESTONE_HEADER: 18.0, PREV_STATUS_HEADER: 10.0, PREV_PROGRESS_HEADER: 24.0}
MIN_ENTRY_LINES = 3  # room to write in, even when the task text is short

PreviousReports = Mapping[tuple[int, str, str], "EntryReport"]


# -- plan ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowPlan:
    task_id: int
    prefilled: tuple[tuple[str, str | int], ...]  # (header, value) for the sheet's locked columns

    def value(self, header: str) -> str | int:
        return dict(self.prefilled).get(header, "")


@dataclass(frozen=True)
class SheetPlan:
    name: str
    role: Role
    title: str
    deadline: str
    send_to: str
    headers: tuple[str, ...]
    rows: tuple[RowPlan, ...]


@dataclass(frozen=True)
class UnitPlan:
    unit: str
    round_id: str
    round_label: str
    office: str
    contact: str
    sheets: tuple[SheetPlan, ...]
    extra_inputs: tuple[str, ...] = ()

    def entry_count(self, role: Role) -> int:
        return sum(len(s.rows) for s in self.sheets if s.role == role)


@dataclass(frozen=True)
class GenerateReport:
    """What a generate run did. Paths are the workbooks; `skipped` names units with no entry."""

    round_id: str
    written: tuple[Path, ...] = ()
    unchanged: tuple[Path, ...] = ()
    would_change: tuple[Path, ...] = ()
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    distribution_list: Path | None = None
    units: tuple[str, ...] = field(default=())


def entry_fingerprint(values: Mapping[str, Any]) -> str:
    """Fingerprint of one entry row's pre-filled (locked) cells, given header → value.

    Values are taken in `PREFILLED_HEADERS` order, skipping headers the sheet does not have, so a
    return whose columns were moved still matches; collection reads the same headers back and
    calls this to tell edited task text or a stale template.
    """
    return ident.fingerprint(values[h] for h in PREFILLED_HEADERS if h in values)


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def cell_date(day: date) -> str:
    """A date for a narrow cell: the break falls after the year, not inside the day."""
    return f"{day.year}年\n{day.month}月{day.day}日"


def round_labels(rnd: Round) -> tuple[str, str]:
    """(year, round name without the year) for titles: `2021`, `半年`."""
    match = re.match(r"\s*(\d{4})", rnd.id) or re.match(r"\s*(\d{4})", rnd.name)
    year = match.group(1) if match else str(rnd.lead_deadline.year)
    name = re.sub(rf"^\s*{year}\s*年?\s*", "", rnd.name).strip() or rnd.name
    return year, name


def _settings(register: Register) -> tuple[str, str]:
    """The supervision office's name and a contact line, from the register's 设置 sheet."""
    s = register.settings
    office = s.get("督查室") or s.get("督查室名称") or DEFAULT_OFFICE
    # Keys as register.py writes the 设置 sheet (督查室联系人, 电话, 邮箱).
    person = s.get("督查室联系人") or s.get("联系人") or ""
    phone = s.get("电话") or s.get("督查室电话") or s.get("联系电话") or ""
    mail = s.get("邮箱") or s.get("督查室邮箱") or ""
    parts = [p for p in (person, f"电话 {phone}" if phone else "", f"邮箱 {mail}" if mail else "") if p]
    return office, ",".join(parts)


def _names(register: Register, names: Sequence[str], relevant: tuple[str, ...] | None) -> str:
    """Unit and group names as a unit reads them; a chosen `相关…` group lists its choice."""
    out = []
    for name in names:
        if name.startswith(RELEVANT_PREFIX) and relevant:
            out.append(f"{name}({'、'.join(relevant)})")
        else:
            out.append(name)
    return "、".join(out)


def _sheet_headers(style: TemplateStyle, role: Role, *, milestones: bool, previous: bool) -> tuple[str, ...]:
    headers = [h for h in style.headers if h != (LEADS_HEADER if role == "lead" else COS_HEADER)]
    wanted = {MILESTONE_HEADER: milestones, PREV_STATUS_HEADER: previous, PREV_PROGRESS_HEADER: previous}
    headers = [h for h in headers if wanted.get(h, True)]
    insert_at = headers.index(STATUS_HEADER)
    for h in CONDITIONAL_HEADERS:
        if wanted[h] and h not in headers:
            headers.insert(insert_at, h)
            insert_at += 1
    return tuple(headers)


@dataclass(frozen=True)
class RoundIndex:
    """Look-ups built once per round: the register's own are linear scans."""

    tasks: Mapping[int, Task]
    milestones: Mapping[int, Milestone]

    @classmethod
    def of(cls, register: Register, rnd: Round) -> RoundIndex:
        return cls({t.id: t for t in register.tasks},
                   {m.task_id: m for m in register.milestones if m.round_id == rnd.id})


def plan_unit(register: Register, rnd: Round, unit: str, entries: Sequence[tuple[int, Role]],
              style: TemplateStyle, previous: PreviousReports | None, has_previous_round: bool,
              index: RoundIndex | None = None) -> UnitPlan:
    """Everything the unit's workbook shows, as data. Pass an `index` when planning many units."""
    index = index or RoundIndex.of(register, rnd)
    tasks = index.tasks
    year, label = round_labels(rnd)
    office, contact = _settings(register)
    sheets = []
    for role in ("lead", "co"):
        ids = [task_id for task_id, r in entries if r == role]
        if not ids:
            continue
        deadline = cn_date(rnd.deadline(role))
        milestones = {i: index.milestones.get(i) for i in ids}
        headers = _sheet_headers(style, role, milestones=any(milestones.values()), previous=has_previous_round)
        rows = []
        for task_id in ids:
            task = tasks[task_id]
            others = [u for u in register.lead_units(task) if u != unit]
            values: dict[str, str | int] = {
                ID_HEADER: task_id,
                TASK_HEADER: task.text,
                LEADS_HEADER: _names(register, task.lead, task.relevant),
                COS_HEADER: _names(register, task.co, task.relevant),
                DEADLINE_HEADER: cell_date(rnd.deadline(role)),
            }
            if role == "lead" and others:
                values[COS_HEADER] = f"共同牵头:{'、'.join(others)}\n" + str(values[COS_HEADER])
            if MILESTONE_HEADER in headers:
                values[MILESTONE_HEADER] = _milestone_text(milestones[task_id])
            if has_previous_round:
                values[PREV_STATUS_HEADER], values[PREV_PROGRESS_HEADER] = _previous_text(
                    previous, task_id, unit, role)
            rows.append(RowPlan(task_id, tuple((h, values[h]) for h in headers if h in values)))
        send_to = (f"报{office}(须综合各协办单位情况)" if role == "lead"
                   else f"报送各任务的牵头单位(见「{LEADS_HEADER}」列),并抄送{office}")
        title = style.render_title({"单位": unit, "年度": year, "轮次": label,
                                    "角色": ROLE_NAMES[role], "截止日期": deadline})
        sheets.append(SheetPlan(SHEET_NAMES[role], role, title, deadline, send_to, headers, tuple(rows)))
    return UnitPlan(unit, rnd.id, f"{year}年{label}", office, contact, tuple(sheets), style.extra_inputs)


def _milestone_text(milestone: Milestone | None) -> str:
    if milestone is None:
        return ""
    text = milestone.goal
    if milestone.indicator:
        text += f"\n指标:{milestone.indicator}"
    if milestone.due:
        text += f"\n时限:{cn_date(milestone.due)}"
    return text


def _previous_text(previous: PreviousReports | None, task_id: int, unit: str, role: Role) -> tuple[str, str]:
    if previous is None:
        return "", ""
    report = previous.get((task_id, unit, role))
    if report is None:
        return NOT_REPORTED, ""
    return (report.status or report.status_raw or ""), report.progress_text


def template_version(plan: UnitPlan, style_digest: str) -> str:
    """Digest of everything the unit sees: the generator's layout, the template's style, the plan.

    `repr` of the frozen plan is deterministic (tuples, strings and ints only) and much cheaper
    than serialising it.
    """
    payload = repr((GENERATOR_VERSION, style_digest, plan))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


# -- render --------------------------------------------------------------------------------------
def render_unit(plan: UnitPlan, style: TemplateStyle, version: str, generated_at: str) -> tuple[bytes, ident.Identity]:
    """The workbook's bytes and the identity written into it."""
    from .xlsx import new_workbook, standard_formats

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
    _render_instructions(workbook, plan, fmt)
    names = [s.get_name() for s in workbook.worksheets()]
    identity = ident.Identity(
        kind="report", unit=plan.unit, round_id=plan.round_id, template_version=version,
        generated_at=generated_at,
        rows=tuple(ident.EntryRow(sheet, names.index(sheet), role, row, task_id, fp)
                   for sheet, role, row, task_id, fp in entry_rows),
    )
    ident.write_identity(workbook, identity)
    workbook.worksheets()[0].activate()
    workbook.close()
    return buffer.getvalue(), identity


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


def _render_data_sheet(workbook: Any, sp: SheetPlan, plan: UnitPlan, style: TemplateStyle,
                       fmt: Any, extra: Mapping[str, Any]) -> list[tuple[str, Role, int, int, str]]:
    from .xlsx import protect, row_height, setup_print

    sheet = workbook.add_worksheet(sp.name)
    widths = [style.width(h, _DEFAULT_WIDTHS.get(h, 9.0)) for h in sp.headers]
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
    sheet.set_row(note_row, row_height([(note, sum(widths))], font_size=style.fonts.body.size - 1.5))
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
                footer_left=f"{plan.unit} {plan.round_label} {ROLE_NAMES[sp.role]}任务")
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


def _render_instructions(workbook: Any, plan: UnitPlan, fmt: Any) -> None:
    from .xlsx import protect, row_height, setup_print

    sheet = workbook.add_worksheet(INSTRUCTIONS_SHEET)
    widths = (16.0, 96.0)
    sheet.set_column(0, 0, widths[0])
    sheet.set_column(1, 1, widths[1])
    sheet.set_row(0, 34)
    sheet.merge_range(0, 0, 0, 1, f"{plan.unit}{plan.round_label}重点工作进展情况填报说明", fmt.title)
    rows: list[tuple[str, str] | str] = [
        ("填报单位", plan.unit),
        ("填报轮次", f"{plan.round_label}({plan.round_id})"),
    ]
    for sp in plan.sheets:
        rows.append((f"{ROLE_NAMES[sp.role]}任务",
                     f"共 {len(sp.rows)} 项,见「{sp.name}」工作表。请于{sp.deadline}前{sp.send_to}。"))
    rows.append(("报送方式", "在本文件中直接填写后原样发回;文件名可以修改,也可另存为 .xls 或 .ods。"
                            "请勿删除或重命名工作表,勿插入、删除任务行,勿修改序号和任务内容。"))
    rows.append("各列填法")
    explanations = {
        ID_HEADER: "任务编号(与区政府通知一致),预填,请勿修改。",
        TASK_HEADER: "区政府工作报告所列任务内容,预填,请勿修改。",
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
    rows.append(("联系方式", f"{plan.office}" + (f":{plan.contact}" if plan.contact else "")))
    r = 1
    for item in rows:
        if isinstance(item, str):
            sheet.set_row(r, 26)
            sheet.merge_range(r, 0, r, 1, item, fmt.header)
        else:
            key, text = item
            sheet.set_row(r, row_height([(text, widths[1])], font_size=11, min_lines=1))
            sheet.write_string(r, 0, key, fmt.locked_center)
            sheet.write_string(r, 1, text, fmt.locked)
        r += 1
    setup_print(sheet, landscape=False, footer_left=f"{plan.unit} 填报说明")
    protect(sheet)


# -- the round -----------------------------------------------------------------------------------
def existing_identity(path: Path) -> ident.Identity | None:
    """The identity of a workbook already on disk, or None when it has none or cannot be read."""
    from python_calamine import CalamineWorkbook

    try:
        data = path.read_bytes()
        book = CalamineWorkbook.from_filelike(BytesIO(data))
        if ident.IDENTITY_SHEET not in book.sheet_names:
            return None
        return ident.read_identity(book.get_sheet_by_name(ident.IDENTITY_SHEET).to_python())
    except Exception:  # a damaged or foreign file: treat as "not ours", never overwrite silently
        return None


def load_style(ws: Workspace) -> tuple[TemplateStyle, list[str]]:
    """The clerk's template, or the shipped one (with a warning) when the working folder has none."""
    from .default_template import SHIPPED_TEMPLATE

    if ws.template_path.is_file():
        return load_template_style(ws.template_path), []
    style = load_template_style(SHIPPED_TEMPLATE)
    return style, [f"工作文件夹中没有模板 {ws.template_path},已使用默认模板(可运行 `excelflow init` 放入后修改样式)。"]


def unchosen_warnings(register: Register) -> list[str]:
    warnings = []
    for task in register.unchosen_relevant():
        groups = "、".join(n for n in (*task.lead, *task.co) if n.startswith(RELEVANT_PREFIX))
        warnings.append(
            f"任务 {task.id} 的「{groups}」尚未选定具体单位,这些单位的填报项未生成。"
            f"请在任务登记表「任务」工作表序号为 {task.id} 的行的「{RELEVANT_PREFIX}{TOWNSHIP_GROUP}」列"
            "填写具体的乡镇(街道)(没有则填「无」),然后重新生成。"
        )
    return warnings


def prepare_round(ws: Workspace, round_id: str) -> tuple[Register, PreviousReports | None]:
    """The register as `generate` uses it, and the unit reports of the previous round.

    Milestones from returned plans (落实方案) are added where the register's own 计划 sheet has
    none, so templates show them read-only; the previous round's latest usable reports fill the
    read-only 上轮 columns. Both come from the archive, read once (this round's parses only).
    """
    from .archive import Archive
    from .ledger import load_reported
    from .plans import archived_milestones, with_plans
    from .register import load_register

    register = load_register(ws.require_register())
    register.require_round(round_id)
    archive = Archive(ws)
    register = with_plans(register, archived_milestones(ws, register, archive=archive))
    previous_round = register.previous_round(round_id)
    previous = load_reported(ws, previous_round.id, archive=archive) if previous_round is not None else None
    return register, previous


def generate_round(ws: Workspace, register: Register, round_id: str, *, force: bool = False,
                   previous: PreviousReports | None = None, now: datetime,
                   progress: Callable[[int, int], None] | None = None,
                   style: TemplateStyle | None = None) -> GenerateReport:
    """Write every unit's reporting workbook for `round_id` and the distribution list.

    A workbook already on disk is left alone when its content is unchanged, and also when it would
    change but `force` is False (it may have been sent already): those are reported, not written.
    """
    rnd = register.require_round(round_id)
    warnings: list[str] = []
    if style is None:
        style, style_warnings = load_style(ws)
        warnings.extend(style_warnings)
    warnings.extend(unchosen_warnings(register))
    has_previous = register.previous_round(round_id) is not None
    if has_previous and previous is None:
        warnings.append("未能读取上一轮的填报情况,「上轮完成状态」「上轮进展情况」列留空。")

    by_unit: dict[str, list[tuple[int, Role]]] = {}
    for entry in register.expected_entries():
        by_unit.setdefault(entry.unit, []).append((entry.task_id, entry.role))
    known_units = [u.name for u in register.units]
    order = [u for u in known_units if u in by_unit] + [u for u in by_unit if u not in known_units]
    for name in order:
        if name not in known_units:
            warnings.append(f"单位「{name}」不在任务登记表的「单位」工作表中,仍为其生成了填报表;请核对单位名称。")
    skipped = tuple(u for u in known_units if u not in by_unit)

    index = RoundIndex.of(register, rnd)
    style_digest = style.digest()
    generated_at = now.isoformat(timespec="seconds")
    written: list[Path] = []
    unchanged: list[Path] = []
    would_change: list[Path] = []
    listing: list[tuple[str, Path, UnitPlan, str]] = []
    claimed: dict[Path, str] = {}
    total = len(order)
    for done, unit in enumerate(order, start=1):
        plan = plan_unit(register, rnd, unit, by_unit[unit], style, previous, has_previous, index)
        version = template_version(plan, style_digest)
        target = ws.template_file(round_id, unit)
        if target in claimed:
            # Two names that only differ in characters a file name cannot hold (`/`, `:` …).
            warnings.append(f"单位「{unit}」与「{claimed[target]}」的文件名相同({target.name}),"
                            f"未为「{unit}」生成填报表。请在任务登记表中修改其中一个单位名称。")
            if progress is not None:
                progress(done, total)
            continue
        claimed[target] = unit
        # The version digests everything the unit would see, so an equal version on disk means
        # an identical workbook: no need to render it again.
        old = existing_identity(target) if target.exists() else None
        if old is not None and (old.kind, old.unit, old.round_id, old.template_version) == \
                ("report", unit, round_id, version):
            unchanged.append(target)
            state = "未变化"
        elif target.exists() and not force:
            would_change.append(target)
            state = "内容有变化,未覆盖"
        else:
            existed = target.exists()
            data, _ = render_unit(plan, style, version, generated_at)
            try:
                atomic_write_bytes(target, data)
                written.append(target)
                state = "已覆盖重新生成" if existed else "新生成"
            except OSError as exc:
                warnings.append(f"无法写入 {target}(可能正在被 Excel 或 WPS 打开):{exc.strerror or exc}")
                state = "写入失败"
        listing.append((unit, target, plan, state))
        if progress is not None:
            progress(done, total)

    dist = ws.round_dir(round_id) / DISTRIBUTION_LIST
    try:
        write_distribution_list(dist, register, rnd, listing)
    except OSError as exc:
        warnings.append(f"无法写入分发清单 {dist}(可能正在被打开):{exc.strerror or exc}")
        dist = None  # type: ignore[assignment]
    return GenerateReport(round_id, tuple(written), tuple(unchanged), tuple(would_change), skipped,
                          tuple(warnings), dist, tuple(order))


def write_distribution_list(path: Path, register: Register, rnd: Round,
                            listing: Sequence[tuple[str, Path, UnitPlan, str]]) -> None:
    """`outbox/<round>/分发清单.xlsx`: which file goes to which unit, with its contact."""
    from .xlsx import fit_widths, new_workbook, setup_print, standard_formats

    buffer = BytesIO()
    workbook = new_workbook(buffer)
    fmt = standard_formats(workbook)
    sheet = workbook.add_worksheet("分发清单")
    headers = ["序号", "单位", "文件", "牵头任务数", "协办任务数", "联系人", "联系电话", "生成情况", "发送情况"]
    rows: list[list[Any]] = []
    units = {u.name: u for u in register.units}
    for i, (unit, target, plan, state) in enumerate(listing, start=1):
        info = units.get(unit)
        rel = target.relative_to(path.parent).as_posix() if target.is_relative_to(path.parent) else str(target)
        rows.append([i, unit, rel, plan.entry_count("lead"), plan.entry_count("co"),
                     info.contact if info else "", info.phone if info else "", state, ""])
    year, label = round_labels(rnd)
    title = f"{year}年{label}重点工作填报表分发清单(共 {len(rows)} 个单位)"
    sheet.merge_range(0, 0, 0, len(headers) - 1, title, fmt.title)
    sheet.set_row(0, 30)
    sheet.write_row(1, 0, headers, fmt.header)
    for r, row in enumerate(rows, start=2):
        sheet.set_row(r, 20)
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value, fmt.locked_center)
            else:
                sheet.write_string(r, c, value, fmt.input if c == len(headers) - 1 else fmt.locked)
    fit_widths(sheet, [headers, *rows], minimum=8, maximum=40)
    sheet.freeze_panes(2, 0)
    setup_print(sheet, repeat_rows=(1, 1), footer_left=title)
    workbook.close()
    atomic_write_bytes(path, buffer.getvalue())
