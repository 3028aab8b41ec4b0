"""The register's records: units, tasks, rounds, plan milestones, and the entries they imply.

Everything later (generate, collect, compare) works from a `Register`. The register workbook
(`register/load.py`) and a notice (`register/campaign.py` from `notice/parse.py`) both produce these records; nothing here reads
files. An *entry* is what one unit owes on one task in one round in one role: entries, not files,
are what is expected, received, late or missing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from excelflow.errors import RoundError
from excelflow.notice.units import group_key, is_group, is_relevant_group, normalize_name
from excelflow.wording import day, round_with_id

if TYPE_CHECKING:
    from excelflow.notice.clauses import Clause

Role = Literal["lead", "co"]
ROLES: tuple[Role, ...] = ("lead", "co")



@dataclass(frozen=True)
class Unit:
    """A reporting unit under its one canonical name."""

    name: str
    aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    contact: str = ""
    phone: str = ""
    code: str = ""
    emails: tuple[str, ...] = ()  # where `excelflow mail` sends this unit's workbooks and reminders


@dataclass(frozen=True)
class Task:
    """A numbered task of the notice.

    `lead` and `co` hold canonical unit names and group names (`各乡镇(街道)`), as in the register.
    `relevant` is the clerk's choice of units for `相关…` groups; None means not chosen yet.
    `due` is the completion date as the notice or the clerk writes it (`2022年12月底`), '' if none.
    """

    id: int
    chapter: str
    section: str | None
    text: str
    lead: tuple[str, ...]
    co: tuple[str, ...] = ()
    relevant: tuple[str, ...] | None = None
    # Not in repr: plan workbooks' versions are digests of the tasks' repr, and a register made
    # before this field existed must give the same versions (no workbook counts as changed).
    due: str = field(default="", repr=False)


@dataclass(frozen=True)
class Round:
    """One reporting occasion: co-units report by `co_deadline`, lead units by `lead_deadline`.

    Deadlines are whole days: anything received on the deadline day is on time.
    """

    id: str
    name: str
    co_deadline: date
    lead_deadline: date

    def deadline(self, role: Role) -> date:
        return self.co_deadline if role == "co" else self.lead_deadline


@dataclass(frozen=True)
class Milestone:
    """A lead unit's plan (落实方案) for one task in one round."""

    task_id: int
    round_id: str
    goal: str
    indicator: str = ""
    due: date | None = None


# What outputs call the office while the register's 设置 sheet names neither the office nor its
# level and place: no place's name, so no other office's.
DEFAULT_OFFICE = "督查室"


@dataclass(frozen=True)
class Office:
    """The supervision office that runs the campaign, as outputs name it, and how to reach it."""

    name: str
    contact: str = ""
    phone: str = ""
    email: str = ""

    @property
    def government(self) -> str:
        """The government the office serves, as outputs name it: `区政府督查室` → `区政府`,
        `成都市人民政府督查室` → `成都市人民政府`; '' for an office named only `督查室`."""
        return government_of(self.name)

    def contact_line(self) -> str:
        """`陈哲琪,电话 18879351014,邮箱 x@y.cn`: the parts known, '' when none."""
        parts = [self.contact, f"电话 {self.phone}" if self.phone else "", f"邮箱 {self.email}" if self.email else ""]
        return ",".join(p for p in parts if p)


def government_of(office: str) -> str:
    """`区政府督查室` → `区政府`; '' when the name says no government (`督查室`)."""
    return office.removesuffix("督查室").removesuffix("办公室").removesuffix("办公厅")


@dataclass(frozen=True)
class ExpectedEntry:
    """One (task, unit, role) that round R expects a report for."""

    task_id: int
    unit: str
    role: Role


@dataclass(frozen=True)
class Register:
    """The whole task register: what every later command loads."""

    title: str
    units: tuple[Unit, ...]
    tasks: tuple[Task, ...]
    rounds: tuple[Round, ...]
    milestones: tuple[Milestone, ...] = ()
    settings: Mapping[str, str] = field(default_factory=dict)

    # -- look-ups -------------------------------------------------------------------------
    @property
    def office(self) -> Office:
        """The office from the 设置 sheet (keys as `register/layout.py` writes them, and the
        variants clerks type). Import fills them from the notice; the clerk corrects them there."""
        # Imported here: the issuer's patterns take ~15 ms to compile, and a pass with nothing new
        # (which must answer within half a second) never asks for the office.
        from excelflow.notice.issuer import office_for

        s = self.settings
        return Office(
            name=(s.get("督查室") or s.get("督查室名称")
                  or office_for(s.get("层级", ""), s.get("地名") or s.get("区名") or "") or DEFAULT_OFFICE),
            contact=s.get("督查室联系人") or s.get("联系人") or "",
            phone=s.get("电话") or s.get("督查室电话") or s.get("联系电话") or "",
            email=s.get("邮箱") or s.get("督查室邮箱") or "",
        )

    # Look-ups built once per register (it is frozen, so they never go stale): a collect pass of a
    # thousand units asks them millions of times, and a scan of every task or unit each time made
    # the pass quadratic in the register's size (issue 13's profile: `lead_units` 6 million calls).
    @cached_property
    def _unit_names(self) -> frozenset[str]:
        return frozenset(u.name for u in self.units)

    @cached_property
    def _members(self) -> Mapping[str, tuple[str, ...]]:
        members: dict[str, list[str]] = {}
        for unit in self.units:
            for group in dict.fromkeys(normalize_name(g) for g in unit.groups):
                members.setdefault(group, []).append(unit.name)
        return {group: tuple(names) for group, names in members.items()}

    @cached_property
    def _units_by_name(self) -> Mapping[str, Unit]:
        out: dict[str, Unit] = {}
        for unit in self.units:
            out.setdefault(unit.name, unit)  # the first of a repeated name, as a scan would find
        return out

    @cached_property
    def _tasks_by_id(self) -> Mapping[int, Task]:
        out: dict[int, Task] = {}
        for task in self.tasks:
            out.setdefault(task.id, task)
        return out

    @cached_property
    def _rounds_by_id(self) -> Mapping[str, Round]:
        out: dict[str, Round] = {}
        for rnd in self.rounds:
            out.setdefault(rnd.id, rnd)
        return out

    @cached_property
    def _milestones_by_key(self) -> Mapping[tuple[int, str], Milestone]:
        out: dict[tuple[int, str], Milestone] = {}
        for m in self.milestones:
            out.setdefault((m.task_id, m.round_id), m)
        return out

    @cached_property
    def _roles_cache(self) -> dict[Task, tuple[tuple[str, ...], tuple[str, ...]]]:
        """Lead and co units per task (by value: a task passed in need not be this register's own)."""
        return {}

    @cached_property
    def _clauses(self) -> dict[str, tuple[Clause, ...]]:
        return {}

    @cached_property
    def _led_by_unit(self) -> Mapping[str, tuple[Task, ...]]:
        led: dict[str, list[Task]] = {}
        for task in self.tasks:
            for unit in self.lead_units(task):
                led.setdefault(unit, []).append(task)
        return {unit: tuple(tasks) for unit, tasks in led.items()}

    @cached_property
    def _expected(self) -> tuple[ExpectedEntry, ...]:
        entries: list[ExpectedEntry] = []
        for task in self.tasks:
            entries.extend(ExpectedEntry(task.id, u, "lead") for u in self.lead_units(task))
            entries.extend(ExpectedEntry(task.id, u, "co") for u in self.co_units(task))
        return tuple(entries)

    @cached_property
    def _entries_by_unit(self) -> Mapping[str, tuple[ExpectedEntry, ...]]:
        out: dict[str, list[ExpectedEntry]] = {}
        for entry in self._expected:
            out.setdefault(entry.unit, []).append(entry)
        return {unit: tuple(entries) for unit, entries in out.items()}

    def unit(self, name: str) -> Unit | None:
        return self._units_by_name.get(name)

    def task(self, task_id: int) -> Task | None:
        return self._tasks_by_id.get(task_id)

    def round(self, round_id: str) -> Round | None:
        return self._rounds_by_id.get(round_id)

    def require_round(self, round_id: str) -> Round:
        """The round `round_id`, or a RoundError naming the rounds the register has."""
        rnd = self.round(round_id)
        if rnd is None:
            known = "、".join(round_with_id(r) for r in self.rounds) or "(无)"
            raise RoundError(f"任务登记表中没有轮次「{round_id}」。已有轮次:{known}。")
        return rnd

    def previous_round(self, round_id: str) -> Round | None:
        """The round listed just before `round_id` in the register, if any."""
        ids = [r.id for r in self.rounds]
        if round_id not in ids:
            return None
        index = ids.index(round_id)
        return self.rounds[index - 1] if index > 0 else None

    def group_members(self, group: str) -> tuple[str, ...]:
        """Units that belong to `group` (e.g. `乡镇(街道)`), in register order."""
        return self._members.get(normalize_name(group), ())

    def milestone(self, task_id: int, round_id: str) -> Milestone | None:
        return self._milestones_by_key.get((task_id, round_id))

    # -- groups and entries -----------------------------------------------------------------
    def expand(self, names: Iterable[str], task: Task) -> tuple[str, ...]:
        """Unit names for a lead or co list, groups expanded, order kept, duplicates dropped.

        A group (`各乡镇(街道)`, `各县（市、区）人民政府` …) expands to its members in the 单位 sheet;
        a `相关…` group to the clerk's choice for the task. While there are none it expands to
        nothing (see `unchosen_relevant`): the notice does not say who, so nobody is asked.
        """
        out: list[str] = []
        for name in names:
            members: Iterable[str]
            if name in self._unit_names or not is_group(name):
                members = (name,)
            elif is_relevant_group(name):
                members = task.relevant or ()
            else:
                members = self.group_members(group_key(name))
            for member in members:
                if member not in out:
                    out.append(member)
        return tuple(out)

    def lead_units(self, task: Task) -> tuple[str, ...]:
        return self._roles(task)[0]

    def co_units(self, task: Task) -> tuple[str, ...]:
        """Co-units of a task, without any unit that also leads it (it reports once, as lead)."""
        return self._roles(task)[1]

    def _roles(self, task: Task) -> tuple[tuple[str, ...], tuple[str, ...]]:
        cache = self._roles_cache
        found = cache.get(task)
        if found is None:
            leads = self.expand(task.lead, task)
            lead_set = set(leads)
            found = (leads, tuple(u for u in self.expand(task.co, task) if u not in lead_set))
            cache[task] = found
        return found

    def waiting_groups(self, task: Task) -> tuple[str, ...]:
        """The groups of a task that ask nobody yet: a `相关…` group the clerk has not chosen for,
        a group without members in the 单位 sheet."""
        waiting = []
        for name in (*task.lead, *task.co):
            if name in self._unit_names or not is_group(name):
                continue
            if is_relevant_group(name):
                if task.relevant is None:
                    waiting.append(name)
            elif not self.group_members(group_key(name)):
                waiting.append(name)
        return tuple(dict.fromkeys(waiting))

    def unchosen_relevant(self) -> tuple[Task, ...]:
        """Tasks with a group that asks nobody yet (`waiting_groups`): a `相关…` group without the
        clerk's choice, or a group whose members the clerk has not listed."""
        return tuple(t for t in self.tasks if self.waiting_groups(t))

    def own_clauses(self, task: Task, unit: str) -> tuple[str, ...]:
        """For a task of clauses each with its own units, the clauses that name `unit` (by name,
        alias or a group it belongs to); () for any other task."""
        from excelflow.notice.clauses import clauses  # as `office_for`: not loaded by a pass with nothing new

        found = self._clauses.get(task.text)
        if found is None:  # a task's text is split once, not once per unit and entry that shows it
            found = self._clauses[task.text] = clauses(task.text, self.settings.get("层级") or None)
        if not found:
            return ()
        record = self.unit(unit)
        names = {normalize_name(unit), *(normalize_name(a) for a in (record.aliases if record else ()))}
        own = []
        for clause in found:
            for name in clause.names:
                key = normalize_name(name)
                if key in names or (is_group(name) and unit in self.expand((name,), task)):
                    own.append(clause.text)
                    break
        return tuple(own)

    def text_for(self, task: Task, unit: str) -> str:
        """The task's text as `unit`'s workbook shows it: for a task of clauses, with the unit's own."""
        own = self.own_clauses(task, unit)
        return f"{task.text}\n【本单位负责】{'；'.join(own)}" if own else task.text

    def expected_entries(self) -> tuple[ExpectedEntry, ...]:
        """Every (task, unit, role) a round expects; the same for every round of the register."""
        return self._expected

    def entries_of(self, unit: str) -> tuple[ExpectedEntry, ...]:
        return self._entries_by_unit.get(unit, ())

    def led_tasks(self, unit: str) -> tuple[Task, ...]:
        """The tasks `unit` leads, in register order."""
        return self._led_by_unit.get(unit, ())

    def leads_in_task_order(self) -> tuple[str, ...]:
        """Every unit that leads a task, in the order of its first led task (rollups, chase lists)."""
        return tuple(self._led_by_unit)  # built in task order: a unit's first led task first

    def leads_in_unit_order(self) -> tuple[str, ...]:
        """Every unit that leads a task, in the order of the 单位 sheet (plan workbooks)."""
        leading = self._led_by_unit
        return tuple(u.name for u in self.units if u.name in leading)


@dataclass(frozen=True)
class RoundChoice:
    """The round a command works on, and why (said to the clerk when it was not asked for)."""

    round: Round
    reason: str
    asked: bool = False  # named with --round


def choose_round(register: Register, now: datetime, round_id: str | None,
                 started: Collection[str] | None) -> RoundChoice | None:
    """The round a command takes: `round_id` when given; else, of the rounds that have `started`
    (their workbooks were generated or returns for them arrived; None: every round), the one whose
    lead deadline is nearest to `now` (`nearest_round`). None when no round has started.

    A round nobody has been sent workbooks for is never picked by itself: collecting, comparing
    or chasing it would send reminders to every unit for a round that was never opened.
    """
    if round_id is not None:
        rnd = register.require_round(round_id)
        return RoundChoice(rnd, f"按 --round 指定:{round_with_id(rnd)}", asked=True)
    if not register.rounds:
        raise RoundError("任务登记表的「轮次」工作表中没有轮次,请先填写轮次和截止日期。")
    candidates = [r for r in register.rounds if started is None or r.id in started]
    if not candidates:
        return None
    chosen = nearest_round(replace(register, rounds=tuple(candidates)), now)
    reason = (f"未指定 --round,取已生成填报表的轮次中牵头单位截止日期({day(chosen.lead_deadline)})"
              f"离今天({day(now.date())})最近的一轮:{round_with_id(chosen)}")
    skipped = [r for r in register.rounds if r not in candidates]
    if skipped:
        reason += ";" + "、".join(round_with_id(r) for r in skipped) + "尚未生成填报表,不自动选取"
    return RoundChoice(chosen, reason)


def no_round_started(register: Register) -> RoundError:
    """The error when no --round was given and no round has started yet."""
    known = "、".join(round_with_id(r) for r in register.rounds) or "(无)"
    return RoundError("还没有为任何轮次生成填报表,也没有收到任何轮次的回报表,不知道该处理哪一轮。"
                      f"请先运行 excelflow generate --round 轮次 生成填报表,或用 --round 指定轮次。已有轮次:{known}。")


def nearest_round(register: Register, now: datetime) -> Round:
    """The round whose lead-unit deadline is nearest to `now` (before or after); ties → later.

    Near a deadline that is the round being collected; a few days after it, late returns are still
    chased for it; past the midpoint to the next round's deadline, the next round is current.
    """
    if not register.rounds:
        raise RoundError("任务登记表的「轮次」工作表中没有轮次,请先填写轮次和截止日期。")
    today = now.date()
    return min(register.rounds,
               key=lambda r: (abs((r.lead_deadline - today).days), -r.lead_deadline.toordinal()))
