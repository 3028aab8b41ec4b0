"""The figures of the comparison (对比式通报): per link of the chain, per task, per unit, chase list.

Pure: takes the register, the entry states of a round (from `ledger.compute_states`) and the
previous round's reported content, and returns frozen records. No file is read or written here;
`comparison_workbook`, `reminders` and `notification` render these records. The rules below are
the ones `docs/compare.md` explains to the clerk; keep the two in step.

- Received = every state but `missing` (DHIS2: an invalid or incomplete return still arrived);
  reporting rate = received ÷ expected; on-time rate = on time ÷ expected; a *valid report* is
  an `on_time` or `late` entry (usable and complete).
- Status of an entry (the distribution and the 任务进展 sheet): the reported status for valid
  reports; otherwise the state's name (不完整 / 无效 / 未报送), so every expected lead entry
  falls in exactly one bucket.
- Plan classes, where the lead's plan (milestone) has one for the round: 已完成 is 超进度 if
  the plan's completion date is after the round's lead deadline (finished early), else 达进度;
  序时推进 is 达进度 unless the plan said it should be finished by the round's lead deadline
  (then 欠进度); 滞后 and 未启动 are 欠进度; without a valid report there is no class.
- Unit mark: 红 when an entry is missing past its deadline or invalid; 黄 when one is late or
  incomplete; 待报 when the only gaps are missing entries not yet due; else 绿.
- Rank: on-time rate (high first), then reporting rate (high first), then total days late
  (fewer first); equal keys share a rank (1, 2, 2, 4).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from excelflow.errors import RoundError
from excelflow.intake.records import EntryReport
from excelflow.register.model import Milestone, Register, Role, Round, Task, Unit
from excelflow.register.statuses import BEHIND, CHOICES, DONE, NOT_STARTED, ON_SCHEDULE
from excelflow.reports.ledger import EntryState, Key, days_late
from excelflow.wording import late_text, round_name

# Labels of the non-valid states where a status would stand (buckets of the distribution).
INCOMPLETE_LABEL = "不完整"
INVALID_LABEL = "无效"
MISSING_LABEL = "未报送"
STATUS_BUCKETS: tuple[str, ...] = (*CHOICES, INCOMPLETE_LABEL, INVALID_LABEL, MISSING_LABEL)
_STATE_LABELS = {"incomplete": INCOMPLETE_LABEL, "invalid": INVALID_LABEL, "missing": MISSING_LABEL}

PlanClass = Literal["欠进度", "达进度", "超进度"]
Mark = Literal["红", "黄", "绿", "待报"]
LinkKey = Literal["co", "lead", "all"]
LINK_LABELS: Mapping[str, str] = {
    "co": "协办单位→牵头单位",
    "lead": "牵头单位→督查室",
    "all": "合计",
}
# A flag names this many co-units at most (`协办未报：A、B、C、D等24个`); the chase list has them all.
MAX_NAMED_CO = 4
# Status order from best to worst, to tell a task that slipped since the previous round.
_STATUS_RANK = {DONE: 0, ON_SCHEDULE: 1, NOT_STARTED: 2, BEHIND: 3}


@dataclass(frozen=True)
class Tally:
    """Entry counts of some set of expected entries (states are exclusive; they sum to expected)."""

    expected: int = 0
    on_time: int = 0
    late: int = 0
    incomplete: int = 0
    invalid: int = 0
    missing: int = 0

    @property
    def received(self) -> int:
        return self.expected - self.missing

    @property
    def valid(self) -> int:
        """Valid reports: usable and complete (on time or late)."""
        return self.on_time + self.late

    @property
    def reporting_rate(self) -> float | None:
        return self.received / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None

    @staticmethod
    def of(states: Iterable[EntryState]) -> Tally:
        counts = {"on_time": 0, "late": 0, "incomplete": 0, "invalid": 0, "missing": 0}
        for s in states:
            counts[s.state] += 1
        return Tally(expected=sum(counts.values()), **counts)


@dataclass(frozen=True)
class LinkFigures:
    """One link of the reporting chain (co → lead, lead → 督查室) or both together."""

    key: LinkKey
    label: str
    deadline: date | None
    entries: Tally
    units_expected: int
    units_all_received: int  # every entry of the unit in this link arrived
    units_all_on_time: int  # every entry on time
    units_silent: int  # not one entry arrived


@dataclass(frozen=True)
class TaskRow:
    """One task as its lead unit reported it (a task with two lead units has two rows)."""

    task: Task
    lead: str
    state: EntryState
    status_label: str  # a status choice, or 不完整 / 无效 / 未报送
    content: EntryReport | None
    previous_label: str | None  # None when the round has no previous round
    previous: EntryReport | None
    co_expected: int
    co_valid: int
    co_not_valid: tuple[str, ...]  # co-units without a valid report, register order
    milestone: Milestone | None
    plan_class: PlanClass | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class UnitRow:
    unit: str
    tasks_led: int
    tasks_co: int
    tally: Tally
    done: int  # valid reports with status 已完成
    days_late: int  # total days late over its late entries
    rank: int
    mark: Mark
    note: str  # the lead-late-with-co-units-late remark, or ""

    @property
    def completion_rate(self) -> float | None:
        return self.done / self.tally.expected if self.tally.expected else None


Situation = Literal["逾期未报", "未到截止日", "内容不完整", "无效需重报"]


@dataclass(frozen=True)
class ChaseRow:
    """An entry someone still owes: missing, incomplete or invalid."""

    unit: str
    contact: str
    phone: str
    task: Task
    role: Role
    deadline: date
    days_overdue: int
    situation: Situation
    send_to: str
    reason: str  # why incomplete or invalid (first problem intake found), else ""


@dataclass(frozen=True)
class Comparison:
    """Everything the comparison workbook, the reminders and the draft notification show."""

    title: str
    office: str
    office_contact: str
    office_phone: str
    round: Round
    previous_round: Round | None
    period: str  # the round's name with its year, e.g. 2021年半年
    previous_period: str | None
    as_of: date
    links: tuple[LinkFigures, ...]  # co, lead, all
    chapters: tuple[str, ...]
    by_chapter: Mapping[str, Mapping[str, int]]  # chapter → status bucket → lead entries
    status_totals: Mapping[str, int]
    tasks: tuple[TaskRow, ...]
    units: tuple[UnitRow, ...]  # in rank order
    chase: tuple[ChaseRow, ...]
    has_milestones: bool

    def link(self, key: LinkKey) -> LinkFigures:
        return next(link for link in self.links if link.key == key)


def status_label(state: EntryState) -> str:
    """What stands in the status column: the reported status for a valid report, else the state."""
    if state.state in ("on_time", "late") and state.content is not None and state.content.status:
        return state.content.status
    if state.state in ("on_time", "late"):
        return INCOMPLETE_LABEL  # defensive: a valid report always has a status
    return _STATE_LABELS[state.state]


def plan_class(status: str | None, milestone: Milestone | None, rnd: Round) -> PlanClass | None:
    """欠进度 / 达进度 / 超进度 against the plan (rule in the module docstring)."""
    if milestone is None or status not in _STATUS_RANK:
        return None
    if status == DONE:
        return "超进度" if milestone.due is not None and milestone.due > rnd.lead_deadline else "达进度"
    if status == ON_SCHEDULE:
        return "欠进度" if milestone.due is not None and milestone.due <= rnd.lead_deadline else "达进度"
    return "欠进度"


def short_chapter(chapter: str) -> str:
    """`一、持之以恒主攻工业,不断做强发展支柱(13项)` → `一、持之以恒主攻工业,不断做强发展支柱`."""
    return re.sub(r"[（(]\s*\d+\s*项\s*[)）]\s*$", "", chapter.strip())


@dataclass(frozen=True)
class _Index:
    """Look-ups built once per comparison (the register's own look-ups scan lists)."""

    tasks: Mapping[int, Task]
    units: Mapping[str, Unit]
    leads: Mapping[int, list[EntryState]]  # task → its lead entries, register order
    cos: Mapping[int, list[EntryState]]  # task → its co entries, register order
    milestones: Mapping[int, Milestone]  # task → milestone of the round
    office: str  # the supervision office, where lead units report

    @staticmethod
    def of(register: Register, round_id: str, states: Sequence[EntryState]) -> _Index:
        leads: dict[int, list[EntryState]] = {}
        cos: dict[int, list[EntryState]] = {}
        for s in states:
            (leads if s.role == "lead" else cos).setdefault(s.task_id, []).append(s)
        return _Index(
            tasks={t.id: t for t in register.tasks},
            units={u.name: u for u in register.units},
            leads=leads, cos=cos,
            milestones={m.task_id: m for m in register.milestones if m.round_id == round_id},
            office=register.office.name,
        )


def compare(register: Register, round_id: str, states: Sequence[EntryState],
            previous: Mapping[Key, EntryReport] | None, now: datetime) -> Comparison:
    """All figures of round `round_id` as of `now` (only its date counts: figures are per day).

    `previous` holds the previous round's reported content by (task, unit, role), as
    `ledger.load_reported` gives it, or None when it was not loaded.
    """
    rnd = register.round(round_id)
    if rnd is None:
        raise RoundError(f"任务登记表中没有轮次「{round_id}」")
    as_of = now.date()
    # `previous` None means the previous round's reports were not loaded: show no such columns
    # (an empty mapping means loaded and nothing reported: every task shows 未报送).
    prev_round = register.previous_round(round_id) if previous is not None else None
    index = _Index.of(register, round_id, states)
    tasks = tuple(t for t in register.tasks if t.id in index.leads)

    task_rows = tuple(_task_rows(index, rnd, tasks, previous, prev_round, as_of))
    chapters = tuple(dict.fromkeys(t.chapter for t in tasks))
    by_chapter: dict[str, dict[str, int]] = {c: dict.fromkeys(STATUS_BUCKETS, 0) for c in chapters}
    for row in task_rows:
        by_chapter[row.task.chapter][row.status_label] += 1
    totals = {b: sum(by_chapter[c][b] for c in chapters) for b in STATUS_BUCKETS}

    return Comparison(
        title=register.title,
        office=register.office.name,
        office_contact=register.office.contact,
        office_phone=register.office.phone,
        round=rnd,
        previous_round=prev_round,
        period=round_name(rnd),
        previous_period=round_name(prev_round) if prev_round is not None else None,
        as_of=as_of,
        links=tuple(_link(key, rnd, states) for key in ("co", "lead", "all")),
        chapters=chapters,
        by_chapter=by_chapter,
        status_totals=totals,
        tasks=task_rows,
        units=_unit_rows(index, states, as_of),
        chase=_chase_rows(index, states, as_of),
        has_milestones=bool(index.milestones),
    )


def _link(key: LinkKey, rnd: Round, states: Sequence[EntryState]) -> LinkFigures:
    chosen = [s for s in states if key == "all" or s.role == key]
    per_unit: dict[str, list[EntryState]] = {}
    for s in chosen:
        per_unit.setdefault(s.unit, []).append(s)
    return LinkFigures(
        key=key,
        label=LINK_LABELS[key],
        deadline=None if key == "all" else rnd.deadline(key),
        entries=Tally.of(chosen),
        units_expected=len(per_unit),
        units_all_received=sum(all(s.received for s in ss) for ss in per_unit.values()),
        units_all_on_time=sum(all(s.state == "on_time" for s in ss) for ss in per_unit.values()),
        units_silent=sum(not any(s.received for s in ss) for ss in per_unit.values()),
    )


def _task_rows(index: _Index, rnd: Round, tasks: Sequence[Task],
               previous: Mapping[Key, EntryReport] | None, prev_round: Round | None,
               as_of: date) -> Iterable[TaskRow]:
    for task in tasks:
        co_states = index.cos.get(task.id, [])
        not_valid = tuple(s.unit for s in co_states if s.state not in ("on_time", "late"))
        milestone = index.milestones.get(task.id)
        for state in index.leads[task.id]:
            lead = state.unit
            label = status_label(state)
            valid = state.state in ("on_time", "late")
            before = previous.get((task.id, lead, "lead")) if previous is not None else None
            if prev_round is None:
                prev_label: str | None = None
            elif before is not None and before.status:
                prev_label = before.status
            else:
                prev_label = MISSING_LABEL
            pclass = plan_class(label if valid else None, milestone, rnd)
            yield TaskRow(
                task=task, lead=lead, state=state, status_label=label, content=state.content,
                previous_label=prev_label, previous=before,
                co_expected=len(co_states), co_valid=len(co_states) - len(not_valid),
                co_not_valid=not_valid, milestone=milestone, plan_class=pclass,
                flags=_flags(state, label, prev_label, not_valid, pclass, as_of),
            )


def _flags(state: EntryState, label: str, prev_label: str | None, co_not_valid: Sequence[str],
           pclass: PlanClass | None, as_of: date) -> tuple[str, ...]:
    flags: list[str] = []
    if state.state == "late":
        flags.append(f"{late_text(state.days_late)}报送")
    elif state.state == "missing":
        days = days_late(as_of, state.deadline)
        flags.append(f"{late_text(days)}未报" if days else "尚未报送")
    elif state.state == "incomplete":
        flags.append("内容不完整")
    elif state.state == "invalid":
        flags.append("报送无效")
    if label == BEHIND and state.content is not None and not state.content.problems.strip():
        flags.append("滞后但未说明问题")
    if prev_label in _STATUS_RANK and label in _STATUS_RANK and _STATUS_RANK[label] > _STATUS_RANK[prev_label]:
        flags.append(f"较上轮退步（{prev_label}→{label}）")
    if prev_label == BEHIND and label == BEHIND:
        flags.append("连续两轮滞后")
    if pclass == "欠进度":
        flags.append("未达计划进度")
    if co_not_valid:
        shown = "、".join(co_not_valid[:MAX_NAMED_CO])
        more = f"等{len(co_not_valid)}个" if len(co_not_valid) > MAX_NAMED_CO else ""
        flags.append(f"协办未报：{shown}{more}")
    return tuple(flags)


def _unit_rows(index: _Index, states: Sequence[EntryState], as_of: date) -> tuple[UnitRow, ...]:
    per_unit: dict[str, list[EntryState]] = {}
    for s in states:
        per_unit.setdefault(s.unit, []).append(s)
    drafts: list[tuple[str, list[EntryState], Tally, int, int]] = []
    for unit, ss in per_unit.items():
        tally = Tally.of(ss)
        done = sum(1 for s in ss if s.state in ("on_time", "late") and s.content is not None
                   and s.content.status == DONE)
        days_late = sum(s.days_late for s in ss if s.state == "late")
        drafts.append((unit, ss, tally, done, days_late))

    def key(d: tuple[str, list[EntryState], Tally, int, int]) -> tuple[float, float, int]:
        tally = d[2]
        return (-(tally.on_time_rate or 0.0), -(tally.reporting_rate or 0.0), d[4])

    drafts.sort(key=key)  # stable: equal keys keep register order
    rows: list[UnitRow] = []
    previous_key: tuple[float, float, int] | None = None
    rank = 0
    for position, d in enumerate(drafts, start=1):
        k = key(d)
        if k != previous_key:
            rank, previous_key = position, k
        unit, ss, tally, done, days_late = d
        rows.append(UnitRow(
            unit=unit,
            tasks_led=sum(1 for s in ss if s.role == "lead"),
            tasks_co=sum(1 for s in ss if s.role == "co"),
            tally=tally, done=done, days_late=days_late, rank=rank,
            mark=_mark(ss, as_of), note=_lead_late_note(index, ss, as_of),
        ))
    return tuple(rows)


def _mark(states: Sequence[EntryState], as_of: date) -> Mark:
    if any(s.state == "invalid" or (s.state == "missing" and as_of > s.deadline) for s in states):
        return "红"
    if any(s.state in ("late", "incomplete") for s in states):
        return "黄"
    if any(s.state == "missing" for s in states):
        return "待报"
    return "绿"


def _lead_late_note(index: _Index, states: Sequence[EntryState], as_of: date) -> str:
    """Tasks the unit leads that are late (or overdue), whose co-units were late or silent too.

    Tasks with the same co-units to name are said together (`第70、73项牵头逾期，其协办单位…`).
    """
    grouped: dict[str, list[int]] = {}
    for s in states:
        lead_late = s.state == "late" or (s.state == "missing" and as_of > s.deadline)
        if s.role != "lead" or not lead_late:
            continue
        causes: list[str] = []
        for co in index.cos.get(s.task_id, []):
            unit = co.unit
            if co.state == "late":
                causes.append(f"{unit}{late_text(co.days_late)}")
            elif co.state == "missing" and as_of > co.deadline:
                causes.append(f"{unit}未报")
            elif co.state == "invalid":
                causes.append(f"{unit}报送无效")
        if causes:
            grouped.setdefault("、".join(causes), []).append(s.task_id)
    return "；".join(f"第{'、'.join(map(str, ids))}项牵头逾期，其协办单位{causes}"
                    for causes, ids in grouped.items())


def _chase_rows(index: _Index, states: Sequence[EntryState],
                as_of: date) -> tuple[ChaseRow, ...]:
    rows: list[ChaseRow] = []
    for s in states:
        if s.state in ("on_time", "late"):
            continue
        task = index.tasks.get(s.task_id)
        if task is None:
            continue
        unit = index.units.get(s.unit)
        days = days_late(as_of, s.deadline)
        situation: Situation
        if s.state == "missing":
            situation = "逾期未报" if days else "未到截止日"
        elif s.state == "incomplete":
            situation = "内容不完整"
        else:
            situation = "无效需重报"
        reason = ""
        if s.state in ("incomplete", "invalid") and s.problems:
            errors = [p for p in s.problems if p.level == "error"] or list(s.problems)
            reason = errors[0].message
        rows.append(ChaseRow(
            unit=s.unit, contact=unit.contact if unit else "", phone=unit.phone if unit else "",
            task=task, role=s.role, deadline=s.deadline,
            days_overdue=days if s.state == "missing" else 0, situation=situation,
            send_to=_send_to(index, task, s.role), reason=reason,
        ))
    # Phone-down order: the unit owing the longest first, then register order; tasks within it.
    order = {name: i for i, name in enumerate(index.units)}
    worst: dict[str, int] = {}
    for r in rows:
        worst[r.unit] = max(worst.get(r.unit, 0), r.days_overdue)
    rows.sort(key=lambda r: (-worst[r.unit], order.get(r.unit, len(order)), r.unit,
                             r.role != "lead", r.task.id))
    return tuple(rows)


def _send_to(index: _Index, task: Task, role: Role) -> str:
    """Whom an entry goes to: co-units report to the task's lead units (copying 督查室)."""
    if role == "lead":
        return index.office
    return "、".join(s.unit for s in index.leads.get(task.id, []))


