"""The figures of the comparison (对比式通报): per link of the chain, per task, per unit, chase list.

Pure: takes the register, the entry states of a round (from `ledger.compute_states`) and the
previous round's reported content, and returns frozen records. No file is read or written here;
`comparison_workbook`, `reminders` and `notification` render these records. The rules below are
the ones `docs/compare.md` explains to the clerk and the sheets state; keep the three in step.

Three things are counted, and every label says which:

- **entries** (条): what one unit owes on one task in one role. Received = every state but
  `missing` (an invalid or incomplete return still arrived); reporting rate = received ÷
  expected; on-time rate = on time ÷ expected; a *valid report* is `on_time` or `late`.
- **tasks** (项): the notice's numbered tasks, every one of them (a task without a lead unit
  included, in its own bucket). A task's status is its lead unit's: the reported status of a
  valid report, else the state's name (不完整 / 无效 / 未报). With several lead units it is the
  least favourable of theirs, in the order of `TASK_STATUS_ORDER` (a task is only as far along as
  its slowest lead, and an unknown is not counted as progress); each lead's own status stays
  visible in the task's row.
- **units** (个): a unit is counted once however many entries and roles it has.

Plan classes, where the register's plan (milestone) has one for the task and round: 已完成 is
超进度 if the plan's completion date is after the round's lead deadline (finished early), else
达进度; 序时推进 is 达进度 unless the plan said it should be finished by the round's lead deadline
(then 欠进度); 滞后 and 未启动 are 欠进度; without a valid report there is no class.

Units are compared within their group (the register's groups: e.g. 乡镇(街道) apart from the
departments and other units, which have far fewer entries each). Within a group they are listed
worst first by `attention_key`: mark (红, 黄, 待报, 绿), then on-time rate (low first), reporting
rate (low first), total days late (more first), then the time the unit's last report arrived
(later first). Units equal on all of these share a rank. The rank counts from the best (1 = best
of the group), so colours and ranks agree: every 红 ranks below every 黄 of its group, and so on.

Unit mark: 红 when an entry is missing past its deadline or invalid; 黄 when one is late or
incomplete; 待报 when the only gaps are missing entries not yet due; else 绿.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

from excelflow.errors import RoundError
from excelflow.intake.records import EntryReport
from excelflow.register.model import Milestone, Register, Role, Round, Task, Unit
from excelflow.register.statuses import BEHIND, CHOICES, DONE, NOT_STARTED, ON_SCHEDULE
from excelflow.reports.ledger import EntryState, Key, days_late
from excelflow.wording import STATE_NAMES, round_name, state_phrase

# Labels of the non-valid states where a status would stand (buckets of the distribution).
INCOMPLETE_LABEL = STATE_NAMES["incomplete"]
INVALID_LABEL = STATE_NAMES["invalid"]
MISSING_LABEL = STATE_NAMES["missing"]
NO_LEAD_LABEL = "无牵头单位"
STATUS_BUCKETS: tuple[str, ...] = (*CHOICES, INCOMPLETE_LABEL, INVALID_LABEL, MISSING_LABEL)
TASK_BUCKETS: tuple[str, ...] = (*STATUS_BUCKETS, NO_LEAD_LABEL)
# A task's status when its lead units report differently: the first of these any of them has.
TASK_STATUS_ORDER: tuple[str, ...] = (MISSING_LABEL, INVALID_LABEL, INCOMPLETE_LABEL, BEHIND, NOT_STARTED,
                                      ON_SCHEDULE, DONE)
TASK_STATUS_RULE = ("一项任务有多个牵头单位的，任务状态取其中最不利的一个，依次为："
                    + "、".join(TASK_STATUS_ORDER) + "；各牵头单位的状态在该任务一行内分别列出。")
_STATE_LABELS = {"incomplete": INCOMPLETE_LABEL, "invalid": INVALID_LABEL, "missing": MISSING_LABEL}

PlanClass = Literal["欠进度", "达进度", "超进度"]
_PLAN_ORDER: tuple[PlanClass, ...] = ("欠进度", "达进度", "超进度")
Mark = Literal["红", "黄", "待报", "绿"]
MARK_ORDER: tuple[Mark, ...] = ("红", "黄", "待报", "绿")
MARK_MEANINGS: Mapping[str, str] = {
    "红": "有逾期未报或无效的条目",
    "黄": "有逾期报送或内容不完整的条目",
    "待报": "仅有未到截止日的条目未报",
    "绿": "全部按时",
}
LinkKey = Literal["co", "lead", "all"]
LINK_LABELS: Mapping[str, str] = {
    "co": "协办单位→牵头单位",
    "lead": "牵头单位→督查室",
    "all": "两个环节合计",
}
# Units that belong to no group of the register are compared with each other.
OTHER_GROUP = "部门及其他单位"
RANK_RULE = ("各组内按以下顺序从最需关注到最好排列：标识（红、黄、待报、绿），按时率（低者在前），报送率（低者在前），"
             "逾期天数合计（多者在前），最后一次收到报送的时间（晚者在前）；以上全部相同的并列。"
             "名次从好到差计，第1名最好。")
# A flag names this many co-units at most (`协办:A逾期3天未报、B报送无效等24个`); the chase list has them all.
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

    def count(self, state: str) -> int:
        return int(getattr(self, state))

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
    units_expected: int  # units with at least one entry in this link (each counted once)
    units_all_received: int  # every entry of the unit in this link arrived
    units_all_on_time: int  # every entry on time
    units_silent: int  # not one entry arrived


@dataclass(frozen=True)
class LeadReport:
    """One lead unit's entry on a task: what it reported, beside its previous report and the plan."""

    unit: str
    state: EntryState
    status_label: str  # a status choice, or 不完整 / 无效 / 未报
    previous_label: str | None  # None when the round has no previous round
    previous: EntryReport | None
    plan_class: PlanClass | None

    @property
    def content(self) -> EntryReport | None:
        return self.state.content


@dataclass(frozen=True)
class CoGap:
    """A co-unit of a task without a valid report, and what happened (its true state)."""

    unit: str
    state: str
    phrase: str  # `逾期3天未报`, `报送无效`, `内容不完整`, `未报(未到截止日)`
    due: bool = True  # False: missing, but its deadline has not passed


@dataclass(frozen=True)
class TaskRow:
    """One task of the notice: its status (the rule in the module doc) and each lead's report."""

    task: Task
    leads: tuple[LeadReport, ...]  # empty: the notice names no lead unit
    status_label: str  # one of TASK_BUCKETS
    previous_label: str | None
    plan_class: PlanClass | None
    co_expected: int
    co_valid: int
    co_gaps: tuple[CoGap, ...]  # co-units without a valid report, register order
    milestone: Milestone | None
    flags: tuple[str, ...]

    @property
    def lead_names(self) -> str:
        return "、".join(r.unit for r in self.leads) or NO_LEAD_LABEL

    @property
    def leads_differ(self) -> bool:
        return len({r.status_label for r in self.leads}) > 1

    @property
    def problems_text(self) -> str:
        """The leads' 存在问题 (with the unit's name when several leads wrote one)."""
        texts = [(r.unit, r.content.problems.strip()) for r in self.leads if r.content and r.content.problems.strip()]
        if len(self.leads) == 1 or len(texts) <= 1:
            return "\n".join(t for _, t in texts)
        return "\n".join(f"{u}：{t}" for u, t in texts)


@dataclass(frozen=True)
class UnitRow:
    unit: str
    group: str
    tasks_led: int  # tasks (项) the unit leads
    tasks_co: int  # tasks (项) it co-hosts
    tally: Tally  # its entries (条)
    done: int  # valid reports whose status is 已完成 (条)
    days_late: int  # total days late over its late entries
    overdue: int  # entries missing past their deadline
    last_received: datetime | None  # when its latest first-good report arrived
    rank: int  # within its group, 1 = best
    group_size: int
    mark: Mark
    reasons: tuple[str, ...]  # what needs attention, worst first (`52条逾期3天未报`, `1条无效`)
    note: str  # the lead-late-with-co-units-late remark, or ""

    @property
    def completion_rate(self) -> float | None:
        return self.done / self.tally.expected if self.tally.expected else None

    @property
    def reason(self) -> str:
        return "、".join(self.reasons)


Situation = Literal["逾期未报", "未到截止日", "内容不完整", "无效需重报"]
SITUATION_NAMES: Mapping[str, str] = {
    "逾期未报": "逾期未报", "未到截止日": "未报（未到截止日）", "内容不完整": "内容不完整", "无效需重报": "无效，需改正重报",
}


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
    period: str  # the round as people say it, e.g. 2021年上半年
    previous_period: str | None
    as_of: date
    links: tuple[LinkFigures, ...]  # co, lead, all
    chapters: tuple[str, ...]
    by_chapter: Mapping[str, Mapping[str, int]]  # chapter → task bucket → tasks
    status_totals: Mapping[str, int]  # task bucket → tasks
    tasks: tuple[TaskRow, ...]  # every task of the register, in order
    groups: tuple[str, ...]  # unit groups, in the order of their first unit in the register
    units: tuple[UnitRow, ...]  # per group (in `groups` order), worst first
    chase: tuple[ChaseRow, ...]
    has_milestones: bool

    def link(self, key: LinkKey) -> LinkFigures:
        return next(link for link in self.links if link.key == key)

    def group_units(self, group: str) -> tuple[UnitRow, ...]:
        return tuple(u for u in self.units if u.group == group)

    @property
    def attention_units(self) -> tuple[UnitRow, ...]:
        """Units marked 红 or 黄, worst first across groups."""
        bad = [u for u in self.units if u.mark in ("红", "黄")]
        return tuple(sorted(bad, key=attention_key))

    @property
    def attention_tasks(self) -> tuple[TaskRow, ...]:
        """Tasks that need a leader's attention (see `task_attention`), 红 before 黄, task order."""
        marked = [(task_attention(t, self.as_of), t) for t in self.tasks]
        return tuple(t for (mark, _), t in sorted(
            ((m, t) for m, t in marked if m is not None), key=lambda x: (MARK_ORDER.index(x[0][0]), x[1].task.id)))


def status_label(state: EntryState) -> str:
    """What stands in the status column: the reported status for a valid report, else the state."""
    if state.state in ("on_time", "late") and state.content is not None and state.content.status:
        return state.content.status
    if state.state in ("on_time", "late"):
        return INCOMPLETE_LABEL  # defensive: a valid report always has a status
    return _STATE_LABELS[state.state]


def task_status(labels: Sequence[str]) -> str:
    """The task's status from its leads' (the least favourable); 无牵头单位 without any lead."""
    if not labels:
        return NO_LEAD_LABEL
    return min(labels, key=lambda label: TASK_STATUS_ORDER.index(label) if label in TASK_STATUS_ORDER
               else len(TASK_STATUS_ORDER))


def plan_class(status: str | None, milestone: Milestone | None, rnd: Round) -> PlanClass | None:
    """欠进度 / 达进度 / 超进度 against the plan (rule in the module docstring)."""
    if milestone is None or status not in _STATUS_RANK:
        return None
    if status == DONE:
        return "超进度" if milestone.due is not None and milestone.due > rnd.lead_deadline else "达进度"
    if status == ON_SCHEDULE:
        return "欠进度" if milestone.due is not None and milestone.due <= rnd.lead_deadline else "达进度"
    return "欠进度"


def task_attention(t: TaskRow, as_of: date) -> tuple[Mark, str] | None:
    """(红 or 黄, reason) when a task needs attention, else None.

    红: 滞后, 欠进度 against the plan, a lead report invalid or missing past its deadline, or no
    lead unit at all; 黄: 未启动 or a lead report incomplete. A report not due yet is no concern.
    """
    reasons: list[tuple[Mark, str]] = []
    if not t.leads:
        reasons.append(("红", "通知未明确牵头单位"))
    for r in t.leads:
        who = f"{r.unit}" if len(t.leads) > 1 else ""
        if r.state.state == "missing":
            if as_of > r.state.deadline:  # before its deadline a missing report is not a concern yet
                reasons.append(("红", f"{who}牵头{state_phrase('missing', days_late(as_of, r.state.deadline))}"))
        elif r.state.state == "invalid":
            reasons.append(("红", f"{who}牵头报送无效"))
        elif r.state.state == "incomplete":
            reasons.append(("黄", f"{who}牵头报送内容不完整"))
        elif r.status_label == BEHIND:
            reasons.append(("红", f"{who}报告滞后"))
        elif r.status_label == NOT_STARTED:
            reasons.append(("黄", f"{who}报告未启动"))
        if r.plan_class == "欠进度" and r.status_label not in (BEHIND, NOT_STARTED):
            reasons.append(("红", f"{who}未达落实方案进度（欠进度）"))
    if not reasons:
        return None
    mark = min((m for m, _ in reasons), key=MARK_ORDER.index)
    return mark, "、".join(dict.fromkeys(text for _, text in reasons))


def short_chapter(chapter: str) -> str:
    """`一、持之以恒主攻工业,不断做强发展支柱(13项)` → `一、持之以恒主攻工业,不断做强发展支柱`."""
    return re.sub(r"[（(]\s*\d+\s*项\s*[)）]\s*$", "", chapter.strip())


def unit_group(unit: Unit | None) -> str:
    """The group a unit is compared within: its first register group, else `OTHER_GROUP`."""
    return unit.groups[0] if unit is not None and unit.groups else OTHER_GROUP


@dataclass(frozen=True)
class _Index:
    """The round's entries by task, built once per comparison (tasks, units and milestones the
    register looks up itself)."""

    register: Register
    round_id: str
    leads: Mapping[int, list[EntryState]]  # task → its lead entries, register order
    cos: Mapping[int, list[EntryState]]  # task → its co entries, register order

    @staticmethod
    def of(register: Register, round_id: str, states: Sequence[EntryState]) -> _Index:
        leads: dict[int, list[EntryState]] = {}
        cos: dict[int, list[EntryState]] = {}
        for s in states:
            (leads if s.role == "lead" else cos).setdefault(s.task_id, []).append(s)
        return _Index(register, round_id, leads, cos)


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
    # (an empty mapping means loaded and nothing reported: every task shows 未报).
    prev_round = register.previous_round(round_id) if previous is not None else None
    index = _Index.of(register, round_id, states)

    task_rows = tuple(_task_rows(index, rnd, register.tasks, previous, prev_round, as_of))
    chapters = tuple(dict.fromkeys(t.chapter for t in register.tasks))
    by_chapter: dict[str, dict[str, int]] = {c: dict.fromkeys(TASK_BUCKETS, 0) for c in chapters}
    for row in task_rows:
        by_chapter[row.task.chapter][row.status_label] += 1
    totals = {b: sum(by_chapter[c][b] for c in chapters) for b in TASK_BUCKETS}
    units = _unit_rows(index, states, as_of)

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
        groups=tuple(dict.fromkeys(u.group for u in units)),
        units=units,
        chase=_chase_rows(index, states, as_of),
        has_milestones=any(m.round_id == round_id for m in register.milestones),
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


def _co_gap(s: EntryState, as_of: date) -> CoGap:
    days = s.days_late if s.state == "late" else days_late(as_of, s.deadline)
    return CoGap(s.unit, s.state, state_phrase(s.state, days), due=not (s.state == "missing" and as_of <= s.deadline))


def _task_rows(index: _Index, rnd: Round, tasks: Sequence[Task],
               previous: Mapping[Key, EntryReport] | None, prev_round: Round | None,
               as_of: date) -> Iterable[TaskRow]:
    for task in tasks:
        co_states = index.cos.get(task.id, [])
        gaps = tuple(_co_gap(s, as_of) for s in co_states if s.state not in ("on_time", "late"))
        milestone = index.register.milestone(task.id, index.round_id)
        leads: list[LeadReport] = []
        for state in index.leads.get(task.id, []):
            label = status_label(state)
            valid = state.state in ("on_time", "late")
            before = previous.get((task.id, state.unit, "lead")) if previous is not None else None
            if prev_round is None:
                prev_label: str | None = None
            elif before is not None and before.status:
                prev_label = before.status
            else:
                prev_label = MISSING_LABEL
            leads.append(LeadReport(state.unit, state, label, prev_label, before,
                                    plan_class(label if valid else None, milestone, rnd)))
        classes = [r.plan_class for r in leads if r.plan_class is not None]
        row = TaskRow(
            task=task, leads=tuple(leads), status_label=task_status([r.status_label for r in leads]),
            previous_label=(task_status([r.previous_label for r in leads if r.previous_label is not None])
                            if prev_round is not None and leads else None),
            plan_class=min(classes, key=_PLAN_ORDER.index) if classes else None,
            co_expected=len(co_states), co_valid=len(co_states) - len(gaps), co_gaps=gaps,
            milestone=milestone, flags=(),
        )
        yield replace(row, flags=_flags(row, as_of))


def _flags(t: TaskRow, as_of: date) -> tuple[str, ...]:
    """The 提示 of a task row: each lead's reporting, its own warnings, then the co-units' gaps."""
    flags: list[str] = []
    if not t.leads:
        flags.append("通知未明确牵头单位，本任务无人报送进展；请在登记表「任务」表补填牵头单位")
    several = len(t.leads) > 1
    for r in t.leads:
        who = r.unit if several else "牵头单位"
        s = r.state
        if s.state == "late":
            flags.append(f"{who}{state_phrase('late', s.days_late)}")
        elif s.state == "missing" and as_of > s.deadline:  # not due yet: nothing to flag
            flags.append(f"{who}{state_phrase('missing', days_late(as_of, s.deadline))}")
        elif s.state in ("incomplete", "invalid"):
            flags.append(f"{who}{state_phrase(s.state)}")
        if r.status_label == BEHIND and r.content is not None and not r.content.problems.strip():
            flags.append(f"{r.unit + '报' if several else ''}滞后但未说明问题")
        prev = r.previous_label
        if prev in _STATUS_RANK and r.status_label in _STATUS_RANK and _STATUS_RANK[r.status_label] > _STATUS_RANK[prev]:
            flags.append(f"{r.unit if several else ''}较上轮退步（{prev}→{r.status_label}）")
        if prev == BEHIND and r.status_label == BEHIND:
            flags.append(f"{r.unit if several else ''}连续两轮滞后")
        if r.plan_class == "欠进度":
            flags.append(f"{r.unit if several else ''}未达计划进度")
    if t.leads_differ:
        flags.append("牵头单位报送的状态不一致，任务状态按最不利者计")
    due = [g for g in t.co_gaps if g.due]  # a co-unit whose deadline has not passed owes nothing yet
    if due:
        shown = "、".join(f"{g.unit}{g.phrase}" for g in due[:MAX_NAMED_CO])
        more = f"等{len(due)}个" if len(due) > MAX_NAMED_CO else ""
        flags.append(f"协办：{shown}{more}")
    return tuple(flags)


def attention_key(u: UnitRow) -> tuple[int, float, float, int, float]:
    """Worst first (the rule in `RANK_RULE`)."""
    t = u.tally
    last = -u.last_received.timestamp() if u.last_received is not None else float("-inf")
    return (MARK_ORDER.index(u.mark), t.on_time_rate or 0.0, t.reporting_rate or 0.0, -u.days_late, last)


def _unit_rows(index: _Index, states: Sequence[EntryState], as_of: date) -> tuple[UnitRow, ...]:
    per_unit: dict[str, list[EntryState]] = {}
    for s in states:
        per_unit.setdefault(s.unit, []).append(s)
    drafts: list[UnitRow] = []
    for unit, ss in per_unit.items():
        tally = Tally.of(ss)
        received = [s.received_at for s in ss if s.state in ("on_time", "late") and s.received_at is not None]
        drafts.append(UnitRow(
            unit=unit, group=unit_group(index.register.unit(unit)),
            tasks_led=len({s.task_id for s in ss if s.role == "lead"}),
            tasks_co=len({s.task_id for s in ss if s.role == "co"}),
            tally=tally,
            done=sum(1 for s in ss if s.state in ("on_time", "late") and s.content is not None
                     and s.content.status == DONE),
            days_late=sum(s.days_late for s in ss if s.state == "late"),
            overdue=sum(1 for s in ss if s.state == "missing" and as_of > s.deadline),
            last_received=max(received) if received else None,
            rank=0, group_size=0, mark=_mark(ss, as_of), reasons=_reasons(ss, as_of),
            note=_lead_late_note(index, ss, as_of),
        ))
    groups = list(dict.fromkeys(unit_group(u) for u in index.register.units if u.name in per_unit))
    groups += [d.group for d in drafts if d.group not in groups]
    rows: list[UnitRow] = []
    for group in groups:
        members = sorted((d for d in drafts if d.group == group), key=attention_key)  # stable: register order
        keys = [attention_key(d) for d in members]
        for d, key in zip(members, keys):
            # 1 + the members strictly better (after it in worst-first order): equal keys share a
            # rank (1, 2, 2, 4 from the best).
            rank = 1 + len(keys) - bisect_right(keys, key)
            rows.append(replace(d, rank=rank, group_size=len(members)))
    return tuple(rows)


def _mark(states: Sequence[EntryState], as_of: date) -> Mark:
    if any(s.state == "invalid" or (s.state == "missing" and as_of > s.deadline) for s in states):
        return "红"
    if any(s.state in ("late", "incomplete") for s in states):
        return "黄"
    if any(s.state == "missing" for s in states):
        return "待报"
    return "绿"


def _reasons(states: Sequence[EntryState], as_of: date) -> tuple[str, ...]:
    """What a unit must be told, worst first: `52条逾期3天未报`, `1条无效`, `9条逾期3天报送`."""
    out: list[str] = []
    overdue = [s for s in states if s.state == "missing" and as_of > s.deadline]
    if overdue:
        days = max(days_late(as_of, s.deadline) for s in overdue)
        out.append(f"{len(overdue)}条逾期未报（最长{days}天）" if len(overdue) > 1 and
                   len({s.deadline for s in overdue}) > 1 else f"{len(overdue)}条{state_phrase('missing', days)}")
    for state in ("invalid", "incomplete"):
        n = sum(1 for s in states if s.state == state)
        if n:
            out.append(f"{n}条{STATE_NAMES[state]}")
    late = [s for s in states if s.state == "late"]
    if late:
        spans = sorted({s.days_late for s in late})
        out.append(f"{len(late)}条{state_phrase('late', spans[0])}" if len(spans) == 1
                   else f"{len(late)}条逾期报送（{spans[0]}至{spans[-1]}天，共{sum(s.days_late for s in late)}天）")
    waiting = sum(1 for s in states if s.state == "missing" and as_of <= s.deadline)
    if waiting:
        out.append(f"{waiting}条未到截止日")
    return tuple(out)


def _lead_late_note(index: _Index, states: Sequence[EntryState], as_of: date) -> str:
    """Tasks the unit leads that are late (or overdue), whose co-units were late or silent too.

    Worded from the true states (`第39项牵头逾期3天报送,其协办单位区市政集团逾期3天报送、横山镇
    逾期13天未报`); tasks with the same wording are said together. It says what happened, not
    whose fault the delay was.
    """
    grouped: dict[tuple[str, str], list[int]] = {}
    for s in states:
        if s.role != "lead":
            continue
        if s.state == "late":
            lead = state_phrase("late", s.days_late)
        elif s.state == "missing" and as_of > s.deadline:
            lead = state_phrase("missing", days_late(as_of, s.deadline))
        else:
            continue
        causes: list[str] = []
        for co in index.cos.get(s.task_id, []):
            if co.state == "late" or co.state == "invalid" or (co.state == "missing" and as_of > co.deadline):
                causes.append(co.unit + _co_gap(co, as_of).phrase)
        if causes:
            grouped.setdefault((lead, "、".join(causes)), []).append(s.task_id)
    return "；".join(f"第{'、'.join(map(str, ids))}项牵头{lead}，其协办单位{causes}"
                    for (lead, causes), ids in grouped.items())


def _chase_rows(index: _Index, states: Sequence[EntryState],
                as_of: date) -> tuple[ChaseRow, ...]:
    rows: list[ChaseRow] = []
    for s in states:
        if s.state in ("on_time", "late"):
            continue
        task = index.register.task(s.task_id)
        if task is None:
            continue
        unit = index.register.unit(s.unit)
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
    order = {u.name: i for i, u in enumerate(index.register.units)}
    worst: dict[str, int] = {}
    for r in rows:
        worst[r.unit] = max(worst.get(r.unit, 0), r.days_overdue)
    rows.sort(key=lambda r: (-worst[r.unit], order.get(r.unit, len(order)), r.unit,
                             r.role != "lead", r.task.id))
    return tuple(rows)


def _send_to(index: _Index, task: Task, role: Role) -> str:
    """Whom an entry goes to: co-units report to the task's lead units (copying 督查室); a task
    without a lead unit has its co-units report to 督查室 directly."""
    if role == "lead":
        return index.register.office.name
    return "、".join(s.unit for s in index.leads.get(task.id, [])) or index.register.office.name
