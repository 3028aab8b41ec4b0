"""The ledger: what arrived when, and the state of every expected entry of a round.

An *entry* is one (task, unit, role) of a round. Every returned file that holds it is a
*version* of it. The rules (see `docs/collect.md` for the clerk's wording):

- no version at all → `missing`;
- a version is *good* when intake found no blocking error on the entry (`usable`) and its
  required fields are filled (`complete`): an empty return is not a report;
- at least one good version → `on_time` or `late`, judged by the FIRST good version's receipt
  time against the role's deadline (whole days: the deadline day itself is on time); the content
  shown is the LATEST good version's (a correction replaces the text, not the timeliness);
- otherwise, some usable but incomplete version → `incomplete` (content: latest such version);
- otherwise every version was blocked → `invalid` (no content).

Versions are ordered by receipt time; versions received in the same pass by the file's
modification time when first read (`Submission.modified_ns`), then in the order the caller passes
them: of two files dropped together, the later saved counts as the correction.

Receipt time is when the collector first saw a file, never its modification time: file times
survive copying and lie about arrival.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal, Protocol

from excelflow.intake.records import EntryReport, Problem, Submission
from excelflow.register.model import Register, Role, Round
from excelflow.store.archive import Archive
from excelflow.wording import state_label
from excelflow.workspace import Workspace

Key = tuple[int, str, str]  # (task id, unit, role): one entry of a round
EntryStateName = Literal["on_time", "late", "missing", "incomplete", "invalid"]
# States a `--check` treats as gaps (a scheduler alerts on them). `incomplete` is received and
# shown to the clerk, but the contract names only missing, late and invalid.
GAP_STATES: frozenset[str] = frozenset({"missing", "late", "invalid"})
# Kinds of return that carry report entries (a plan carries milestones, not progress).
REPORT_KINDS: frozenset[str | None] = frozenset({"report", "rollup"})


@dataclass(frozen=True)
class EntryState:
    """The state of one expected entry of a round, as of the passes collected so far."""

    task_id: int
    unit: str
    role: Role
    state: EntryStateName
    received_at: datetime | None
    days_late: int
    deadline: date
    content: EntryReport | None
    sources: tuple[str, ...]
    # Problems the latest version reported on this entry (why it is incomplete or invalid).
    problems: tuple[Problem, ...] = ()
    versions: int = 0

    @property
    def received(self) -> bool:
        return self.state != "missing"

    @property
    def label(self) -> str:
        """`按时`, `逾期3天`, `未报`, `不完整`, `无效` (see `wording.state_label`)."""
        return state_label(self.state, self.days_late)


class EntryOutline(Protocol):
    """An entry's state without its content and sources: what the terminal summary and `--check`
    read. An `EntryState` is one; so is a snapshot's outline (`runs.snapshot.StateOutline`), which
    a pass with nothing new reads without building the states."""

    @property
    def task_id(self) -> int: ...
    @property
    def unit(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def state(self) -> EntryStateName: ...
    @property
    def received_at(self) -> datetime | None: ...
    @property
    def days_late(self) -> int: ...
    @property
    def deadline(self) -> date: ...
    @property
    def problems(self) -> tuple[Problem, ...]: ...


@dataclass(frozen=True)
class _Version:
    received_at: datetime
    source: str
    report: EntryReport
    problems: tuple[Problem, ...]

    @property
    def good(self) -> bool:
        return self.report.usable and self.report.complete


def days_late(day: date, deadline: date) -> int:
    """Whole days `day` is past `deadline`; the deadline day itself is on time (0)."""
    return max(0, (day - deadline).days)


def _source(sub: Submission) -> str:
    return sub.archived_as or sub.path


def round_submissions(submissions: Iterable[Submission], round_id: str) -> list[Submission]:
    """The submissions that report on `round_id`: identified, not pending, report or rollup."""
    return [
        s for s in submissions
        if s.round_id == round_id and s.unit is not None and s.outcome != "pending"
        and s.kind in REPORT_KINDS
    ]


def version_order(submissions: Iterable[Submission]) -> list[Submission]:
    """Receipt time, then modification time for same-pass ties; stable beyond that."""
    return sorted(submissions, key=lambda s: (s.received_at, -1 if s.modified_ns is None else s.modified_ns))


def _versions(register: Register, round_id: str, submissions: Sequence[Submission]
              ) -> dict[tuple[int, str, str], list[_Version]]:
    ordered = version_order(round_submissions(submissions, round_id))
    out: dict[tuple[int, str, str], list[_Version]] = {}
    for sub in ordered:
        rejected = sub.outcome == "rejected"
        file_errors = tuple(p for p in sub.problems if p.task_id is None and p.level == "error")
        for report in sub.entries:
            if rejected and report.usable:
                # A file rejected as a whole (e.g. wrong round) blocks every entry in it.
                report = replace(report, usable=False)
            problems = tuple(
                p for p in sub.problems
                if p.task_id == report.task_id and (p.role is None or p.role == report.role)
            )
            if rejected:
                problems = file_errors + problems
            out.setdefault((report.task_id, report.unit, report.role), []).append(
                _Version(sub.received_at, _source(sub), report, problems))
    return out


def compute_states(register: Register, round_id: str, submissions: Sequence[Submission],
                   now: datetime) -> list[EntryState]:
    """One state per `register.expected_entries()`, in that order, for round `round_id`.

    Pure: reads nothing, writes nothing. `now` only bounds which versions count: a version
    received after `now` (a back-dated `--now`) has not arrived yet.
    """
    rnd = register.require_round(round_id)
    versions = _versions(register, round_id, [s for s in submissions if s.received_at <= now])
    states: list[EntryState] = []
    for entry in register.expected_entries():
        deadline = rnd.deadline(entry.role)
        found = versions.get((entry.task_id, entry.unit, entry.role), [])
        states.append(_state(entry.task_id, entry.unit, entry.role, deadline, found))
    return states


def _state(task_id: int, unit: str, role: Role, deadline: date, found: list[_Version]) -> EntryState:
    if not found:
        return EntryState(task_id, unit, role, "missing", None, 0, deadline, None, (), (), 0)
    if len(found) == 1:
        # Most entries have one version: judged as `_judged` judges it, without its lists (a
        # city's 10,800 states are made while the workers wait for their first drawing).
        only = found[0]
        if only.good:
            days = days_late(only.received_at.date(), deadline)
            return EntryState(task_id, unit, role, "late" if days > 0 else "on_time", only.received_at, days,
                              deadline, only.report, (only.source,), only.problems, 1)
        return EntryState(task_id, unit, role, "incomplete" if only.report.usable else "invalid", only.received_at, 0,
                          deadline, only.report if only.report.usable else None, (only.source,), only.problems, 1)
    return _judged(task_id, unit, role, deadline, found)


def _judged(task_id: int, unit: str, role: Role, deadline: date, found: list[_Version]) -> EntryState:
    """The state of an entry from its versions (at least one), in receipt order."""
    sources = tuple(dict.fromkeys(v.source for v in found))
    latest_problems = found[-1].problems
    good = [v for v in found if v.good]
    if good:
        first = good[0].received_at
        days = days_late(first.date(), deadline)
        state: EntryStateName = "late" if days > 0 else "on_time"
        return EntryState(task_id, unit, role, state, first, days, deadline,
                          good[-1].report, sources, latest_problems, len(found))
    usable = [v for v in found if v.report.usable]
    if usable:
        return EntryState(task_id, unit, role, "incomplete", found[0].received_at, 0, deadline,
                          usable[-1].report, sources, latest_problems, len(found))
    return EntryState(task_id, unit, role, "invalid", found[0].received_at, 0, deadline, None,
                      sources, latest_problems, len(found))


def round_states(register: Register, round_id: str, subs: Sequence[Submission], now: datetime) -> list[EntryState]:
    """Entry states of a round from archived submissions, versions in receipt order."""
    return compute_states(register, round_id, version_order(round_submissions(subs, round_id)), now)


def unidentified(register: Register, rnd: Round, subs: Sequence[Submission]) -> list[Submission]:
    """Returns no unit or round could be found for, received since the previous round closed.

    They stay on the list for the whole round (the clerk has to act on them), and drop off once the
    next round is collected.
    """
    previous = register.previous_round(rnd.id)
    since = previous.lead_deadline if previous else None
    return [
        s for s in subs
        if (s.unit is None or s.round_id is None) and s.round_id in (None, rnd.id)
        and (since is None or s.received_at.date() > since)
    ]


def states_by_key(states: Iterable[EntryState]) -> dict[Key, EntryState]:
    return {(s.task_id, s.unit, s.role): s for s in states}


def has_gaps(states: Iterable[EntryOutline], as_of: date) -> bool:
    """True when anything due is missing, or anything is late or invalid (what `--check` exits 3
    for). An entry not due yet (its deadline is `as_of` or later) is not a gap: a scheduled check
    before the deadline must not alarm."""
    return any(s.state in GAP_STATES and not (s.state == "missing" and as_of <= s.deadline) for s in states)


def latest_content(submissions: Sequence[Submission], round_id: str
                   ) -> dict[tuple[int, str, str], EntryReport]:
    """Latest usable content per (task, unit, role) of `round_id` (good versions preferred)."""
    out: dict[tuple[int, str, str], EntryReport] = {}
    good: set[tuple[int, str, str]] = set()
    for sub in version_order(round_submissions(submissions, round_id)):
        if sub.outcome == "rejected":
            continue
        for report in sub.entries:
            if not report.usable:
                continue
            key = (report.task_id, report.unit, report.role)
            if report.complete:
                out[key] = report
                good.add(key)
            elif key not in good:
                out[key] = report
    return out


def load_reported(ws: Workspace, round_id: str, archive: Archive | None = None
                  ) -> dict[tuple[int, str, str], EntryReport]:
    """Latest usable content per (task, unit, role) of a past round, read from the archive.

    `generate` uses it for the previous-round column. Reads the archive's stored submission
    records of that round only (no workbook). A collect pass passes its own `archive`, so the
    index is read once per pass.
    """
    if archive is None:
        archive = Archive(ws)
    return latest_content(archive.submissions(rounds=[round_id]), round_id)
