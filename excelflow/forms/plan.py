"""What each unit's reporting workbook shows, decided as data (`plan_unit`): rendering it is
`render.py`'s job, writing the round's files is `generate.py`'s.

A unit receives `outbox/<round>/templates/<unit>.xlsx` holding only its own entries: the tasks it
leads on sheet `牵头任务`, those it co-hosts on `协办任务` (each only when non-empty), a `填报说明`
sheet, and the very-hidden identity sheet (`identity.py`). Each data sheet has the title, a header
block (填报单位 pre-filled; 填报人, 联系电话, 分管领导, 填报日期 to fill, each input cell right of
its label), one header row, then one row per task with 序号 = task id.

The plan is pure data, easy to test and to hash: its digest is the template version, so a
regenerated workbook is "unchanged" exactly when nothing a unit would see has changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from excelflow.forms import identity as ident
from excelflow.forms.headers import (
    CONDITIONAL_HEADERS,
    COS_HEADER,
    DEADLINE_HEADER,
    ID_HEADER,
    LEADS_HEADER,
    MILESTONE_HEADER,
    PREFILLED_HEADERS,
    PREV_PROGRESS_HEADER,
    PREV_STATUS_HEADER,
    STATUS_HEADER,
    TASK_HEADER,
)
from excelflow.forms.template_style import TemplateStyle
from excelflow.notice.units import RELEVANT_PREFIX
from excelflow.register.model import Milestone, Register, Role, Round, Task
from excelflow.wording import STATE_NAMES, cell_day, day, role_name, round_parts

GENERATOR_VERSION = 2  # bump when the layout changes, so regenerated workbooks count as changed
SHEET_NAMES: Mapping[Role, str] = {"lead": "牵头任务", "co": "协办任务"}
NOT_REPORTED = STATE_NAMES["missing"]
SHIPPED_GOVERNMENT_WORDS = "区政府工作报告"  # in the shipped template's title

class ReportedEntry(Protocol):
    """What the read-only 上轮 columns show of a unit's previous report (an `EntryReport`)."""

    @property
    def status(self) -> str | None: ...
    @property
    def status_raw(self) -> str: ...
    @property
    def progress_text(self) -> str: ...


PreviousReports = Mapping[tuple[int, str, str], ReportedEntry]



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


def entry_fingerprint(values: Mapping[str, Any]) -> str:
    """Fingerprint of one entry row's pre-filled (locked) cells, given header → value.

    Values are taken in `PREFILLED_HEADERS` order, skipping headers the sheet does not have, so a
    return whose columns were moved still matches; collection reads the same headers back and
    calls this to tell edited task text or a stale template.
    """
    return ident.fingerprint(values[h] for h in PREFILLED_HEADERS if h in values)


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


def plan_unit(register: Register, rnd: Round, unit: str, entries: Sequence[tuple[int, Role]],
              style: TemplateStyle, previous: PreviousReports | None, has_previous_round: bool) -> UnitPlan:
    """Everything the unit's workbook shows, as data (`entries`: the unit's expected entries, from
    the register: each names one of its tasks)."""
    year, label = round_parts(rnd)
    office, contact = register.office.name, register.office.contact_line()
    sheets = []
    for role in ("lead", "co"):
        ids = [task_id for task_id, r in entries if r == role]
        if not ids:
            continue
        deadline = day(rnd.deadline(role))
        milestones = {i: register.milestone(i, rnd.id) for i in ids}
        headers = _sheet_headers(style, role, milestones=any(milestones.values()), previous=has_previous_round)
        rows = []
        for task_id in ids:
            task = register.task(task_id)
            if task is None:
                raise KeyError(f"task {task_id} is not in the register")
            others = [u for u in register.lead_units(task) if u != unit]
            values: dict[str, str | int] = {
                ID_HEADER: task_id,
                TASK_HEADER: register.text_for(task, unit),  # a task of clauses: with the unit's own
                LEADS_HEADER: _names(register, task.lead, task.relevant),
                COS_HEADER: _names(register, task.co, task.relevant),
                DEADLINE_HEADER: cell_day(rnd.deadline(role)),
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
        title = style.render_title({"单位": unit, "年度": year, "轮次": label, "角色": role_name(role),
                                    "截止日期": deadline, "政府": register.office.government or "政府"})
        # The example's template says 区政府工作报告 (a district's words): another office's workbooks
        # name their own government, whichever template the clerk's folder holds.
        title = title.replace(SHIPPED_GOVERNMENT_WORDS, f"{register.office.government}工作报告")
        sheets.append(SheetPlan(SHEET_NAMES[role], role, title, deadline, send_to, headers, tuple(rows)))
    return UnitPlan(unit, rnd.id, f"{year}年{label}", office, contact, tuple(sheets), style.extra_inputs)


def _milestone_text(milestone: Milestone | None) -> str:
    if milestone is None:
        return ""
    text = milestone.goal
    if milestone.indicator:
        text += f"\n指标:{milestone.indicator}"
    if milestone.due:
        text += f"\n时限:{day(milestone.due)}"
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
