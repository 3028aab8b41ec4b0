"""The nothing-new fast path: answer a pass from the last complete pass's snapshot of a round.

A scheduled collect runs every 15 minutes and almost every time nothing has arrived. Such a pass
must cost a directory scan and one small file, never opening a workbook, loading the archive or
importing xlsxwriter, python-calamine, openpyxl or pandas (`tests/test_collect.py` checks this
with an audit hook). So this module imports only light modules, and the full pass's heavy ones
are imported by `collect.run_pass` only after the snapshot has said no.

A snapshot (one file per round, kept by `store.pass_cache`) holds each entry's state in outline
(without its content and sources: what the summary and `--check` read), the returns nobody could
place, the receipts and rollups that exist, the register and inbox listing it was made from, and
the span of `now` it is valid for (the day, and the receipt times around it, so a back-dated
`--now` is never answered from a later pass). The states themselves are built from the archive
only if something reads them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any, NamedTuple

from excelflow.intake.records import Problem, Submission
from excelflow.intake.scan import Candidate
from excelflow.register.model import Register, Role, Round
from excelflow.reports.ledger import EntryState, EntryStateName, round_states, unidentified
from excelflow.runs.pass_report import CollectReport, LazyStates
from excelflow.store.archive_format import (
    field_names,
    field_order,
    made_from_fields,
    submission_from_json,
    submission_to_json,
)
from excelflow.store.pass_cache import PassCache
from excelflow.workspace import Workspace, receipt_stem, rollup_names


def receipt_names(sub: Submission) -> tuple[str, str]:
    """The file names of a return's receipt (.xlsx, .txt) in `outbox/R/receipts/`."""
    stem = receipt_stem(sub)
    return f"{stem}.xlsx", f"{stem}.txt"


def make_snapshot(cache: PassCache, register: Register, rnd: Round, states: Sequence[EntryState],
                  all_subs: Sequence[Submission], times: Sequence[datetime], now: datetime) -> dict[str, object]:
    """What a later pass with nothing new needs to answer without loading the archive.

    `all_subs` holds (at least) the round's returns and those tied to no round; `times` the
    receipt time of every parsed return in the archive (a back-dated `now` sees fewer).
    """
    included = [t for t in times if t <= now]
    later = [t for t in times if t > now]
    return {
        "register": cache.register_key(),
        "seen": cache.seen_digest(),
        "day": now.date().isoformat(),
        "valid_from": max(included).isoformat() if included else None,
        "valid_until": min(later).isoformat() if later else None,
        "receipts": sorted(name for s in all_subs if s.round_id == rnd.id and s.received_at <= now
                           for name in receipt_names(s)),
        "rollups": sorted(rollup_names(register.leads_in_task_order()).values()),
        STATE_OUTLINES: [outline_to_json(s) for s in states],
        "unidentified": [submission_to_json(s) for s in
                         unidentified(register, rnd, [s for s in all_subs if s.received_at <= now])],
    }


def from_snapshot(ws: Workspace, cache: PassCache, register: Register, rnd: Round,
                  candidates: Sequence[Candidate], now: datetime) -> CollectReport | None:
    """The report of a pass with nothing new, from the last pass's snapshot; None if anything changed.

    Valid only if every inbox file is one the last complete pass collected (same size and
    modification time), the register is unchanged, `now` falls on the same day and in the same
    span of receipts, and every output is still there.
    """
    snap = cache.snapshot(rnd.id)
    if snap is None or snap.get("register") != cache.register_key() or snap.get("seen") != cache.seen_digest():
        return None
    seen = cache.seen()
    if any(seen.get(c.path) != [c.size, c.mtime_ns] for c in candidates):
        return None
    if snap.get("day") != now.date().isoformat():
        return None
    start, end = snap.get("valid_from"), snap.get("valid_until")
    if (start and now < datetime.fromisoformat(str(start))) or (end and now >= datetime.fromisoformat(str(end))):
        return None
    try:
        receipts_present = set(os.listdir(ws.receipts_dir(rnd.id)))
    except FileNotFoundError:
        receipts_present = set()
    if not set(snap.get("receipts") or ()) <= receipts_present:
        return None
    folder = ws.rollups_dir(rnd.id)
    try:
        rollups_present = set(os.listdir(folder))  # one listing, not a stat per rollup
    except FileNotFoundError:
        rollups_present = set()
    rollups = snap.get("rollups")
    if (type(rollups) is not list or not ws.state_file(rnd.id).exists()
            or not all(name in rollups_present or (folder / str(name)).exists() for name in rollups)):
        return None
    try:
        outlines = [outline_from_json(v) for v in snap[STATE_OUTLINES]]  # another layout: KeyError
        unplaced = [submission_from_json(d) for d in snap["unidentified"]]
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):  # a damaged snapshot: a full pass
        return None
    states = LazyStates(outlines, partial(_states, ws, register, rnd, now))
    return CollectReport(round_id=rnd.id, as_of=now, new=[], pending=[], states=states, unidentified=unplaced,
                         outputs=[], unchosen_relevant=register.unchosen_relevant(), rendered=False)


def _states(ws: Workspace, register: Register, rnd: Round, now: datetime) -> list[EntryState]:
    """The states of a pass answered from its snapshot, when something reads them: from the
    archive, as `excelflow status` computes them (the snapshot was valid for this `now`: the
    states its outlines are of)."""
    from excelflow.store.archive import Archive

    return round_states(register, rnd.id, Archive(ws).submissions(rounds=[rnd.id]), now)


# -- entry states as JSON ----------------------------------------------------------------------------
# A snapshot holds each state's outline (`StateOutline`: everything but its content and sources),
# which is all a pass with nothing new reads: the terminal summary and `--check` need nothing else.
# The states themselves are built from the archive, as `excelflow status` builds them, only if
# something reads them (`LazyStates`; the command line never does). Without the contents and
# sources (two thirds of the text) a city's snapshot is 0.85 MB instead of 4.0, decodes in 0.02 s
# instead of 0.06 (less to read from a share, too), and its outlines are built in 0.015 s where the
# states took 0.055.
STATE_OUTLINES = "state_outlines"  # the snapshot's key for the outlines, as `outline_to_json` writes them


class StateOutline(NamedTuple):
    """An `EntryState` without its content and sources (an `EntryOutline`)."""

    task_id: int
    unit: str
    role: Role
    state: EntryStateName
    received_at: datetime | None
    days_late: int
    deadline: date
    problems: tuple[Problem, ...]
    versions: int


def _plain(obj: Any) -> dict[str, Any]:
    names = field_order(obj.__class__)
    held = obj.__dict__
    if tuple(held) == names:  # as always: its fields, in their order
        return dict(held)
    return {name: getattr(obj, name) for name in names}


def _build(cls: Any, d: dict[str, Any]) -> Any:
    # Written by `_plain` of the same classes (the cache is per excelflow version), so the fields
    # are exactly the class's: built without the frozen dataclass's `__init__`. A mismatch raises
    # TypeError and the caller falls back to a full pass.
    if d.keys() != field_names(cls):
        raise TypeError(f"{cls.__name__}: fields {sorted(d)}")
    return made_from_fields(cls, d)


def outline_to_json(s: EntryState) -> list[Any]:
    return [s.task_id, s.unit, s.role, s.state, s.received_at.isoformat() if s.received_at else None,
            s.days_late, s.deadline.isoformat(), [_plain(p) for p in s.problems], s.versions]


def outline_from_json(v: list[Any]) -> StateOutline:
    # Checked like the nested objects: a value more or less makes this a TypeError (a full pass).
    if len(v) != len(StateOutline._fields):
        raise TypeError(f"StateOutline: {len(v)} values")
    found = v[7]
    if type(found) is not list:
        raise TypeError(f"problems: {found!r:.40}")
    problems = tuple(_build(Problem, p) for p in found) if found else ()
    # `tuple.__new__` skips the NamedTuple's Python-level constructor (10,800 of them a pass).
    outline: StateOutline = tuple.__new__(StateOutline, (
        int(v[0]), v[1], v[2], v[3], _moment(v[4]) if v[4] else None, int(v[5]), _day(v[6]), problems, int(v[8])))
    return outline


@lru_cache(maxsize=4096)
def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)  # the returns of a pass share their receipt time


@lru_cache(maxsize=256)
def _day(text: str) -> date:
    return date.fromisoformat(text)  # a round has a deadline or two: parsed once each
