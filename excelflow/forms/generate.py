"""One pre-filled reporting workbook per unit and round (`excelflow generate`).

A unit receives `outbox/<round>/templates/<unit>.xlsx` holding only its own entries: the tasks it
leads on sheet `牵头任务`, those it co-hosts on `协办任务` (each only when non-empty), a `填报说明`
sheet, and the very-hidden identity sheet (`identity.py`). Each data sheet has the title, a header
block (填报单位 pre-filled; 填报人, 联系电话, 分管领导, 填报日期 to fill, each input cell right of
its label), one header row, then one row per task with 序号 = task id.

Work is split in two: `plan_unit` decides every visible text (pure data, easy to test and to
hash), `render_unit` (`workbook_render.py`) draws it with xlsxwriter. The plan's digest is the
template version, so a regenerated workbook is "unchanged" exactly when nothing a unit would see
has changed. `generate_round` writes the round's workbooks and the distribution list
(`distribution_list.py`); the names those modules own are re-exported here.
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

from excelflow.forms import identity as ident
from excelflow.forms.distribution_list import DISTRIBUTION_LIST, write_distribution_list
from excelflow.files import atomic_write_bytes
from excelflow.register.model import RELEVANT_PREFIX, ROLE_NAMES, TOWNSHIP_GROUP, Milestone, Register, Role, Round, Task
from excelflow.forms.template_style import (
    CONDITIONAL_HEADERS, COS_HEADER, DEADLINE_HEADER, ID_HEADER, LEADS_HEADER, MILESTONE_HEADER, PREFILLED_HEADERS,
    PREV_PROGRESS_HEADER, PREV_STATUS_HEADER, STATUS_HEADER, TASK_HEADER, TemplateStyle, load_template_style,
)
from excelflow.forms.render import HEADER_BLOCK_LABELS, render_unit
from excelflow.workspace import Workspace

if TYPE_CHECKING:
    from excelflow.intake.records import EntryReport

GENERATOR_VERSION = 1  # bump when the layout changes, so regenerated workbooks count as changed
SHEET_NAMES: Mapping[Role, str] = {"lead": "牵头任务", "co": "协办任务"}
DEFAULT_OFFICE = "区政府督查室"
NOT_REPORTED = "未报送"

PreviousReports = Mapping[tuple[int, str, str], "EntryReport"]

# Imported from here by other modules, tests and benchmarks (DISTRIBUTION_LIST lives in
# distribution_list.py, HEADER_BLOCK_LABELS and render_unit in workbook_render.py).
__all__ = [
    "DISTRIBUTION_LIST", "HEADER_BLOCK_LABELS", "NOT_REPORTED", "RoundIndex", "entry_fingerprint",
    "generate_round", "plan_unit", "prepare_round", "render_unit", "template_version",
]


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
    from excelflow.forms.default_template import SHIPPED_TEMPLATE

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
    from excelflow.store.archive import Archive
    from excelflow.reports.ledger import load_reported
    from excelflow.forms.plans import archived_milestones, with_plans
    from excelflow.register.load import load_register

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
        dist = write_distribution_list(dist, register, rnd, listing, now) or dist
    except OSError as exc:
        warnings.append(f"无法写入分发清单 {dist}(可能正在被打开):{exc.strerror or exc}")
        dist = None  # type: ignore[assignment]
    return GenerateReport(round_id, tuple(written), tuple(unchanged), tuple(would_change), skipped,
                          tuple(warnings), dist, tuple(order))
