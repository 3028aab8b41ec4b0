"""The nothing-new fast path: answer a pass from the last complete pass's snapshot of a round.

A scheduled collect runs every 15 minutes and almost every time nothing has arrived. Such a pass
must cost a directory scan and one small file, never opening a workbook, loading the archive or
importing xlsxwriter, python-calamine, openpyxl or pandas (`tests/test_collect.py` checks this
with an audit hook). So this module imports only light modules, and the full pass's heavy ones
are imported by `collect.run_pass` only after the snapshot has said no.

A snapshot (one file per round, kept by `store.pass_cache`) holds the round's entry states, the
returns nobody could place, the receipts that exist, the register and inbox listing it was made
from, and the span of `now` it is valid for (the day, and the receipt times around it, so a
back-dated `--now` is never answered from a later pass).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any, NamedTuple

from excelflow.files import json_dumps
from excelflow.intake.records import EntryReport, Problem, Submission
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
        STATE_OUTLINES: [outline_to_json(s) for s in states],
        STATE_DETAILS: details_to_json(states),
        CONTENT_FIELDS: list(_REPORT_ORDER),  # what a content's values are: read back only in this order
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
    if not ws.state_file(rnd.id).exists() or not all(
            name in rollups_present or (folder / name).exists() for name in rollup_names(register.leads_in_task_order()).values()):
        return None
    # Another layout (an earlier excelflow's), or contents of other fields: a full pass rewrites it.
    details = snap.get(STATE_DETAILS)
    if type(details) is not str or snap.get(CONTENT_FIELDS) != list(_REPORT_ORDER) or not _STATE_FIELDS_IN_ORDER:
        return None
    try:
        outlines = [outline_from_json(v) for v in snap[STATE_OUTLINES]]
        unplaced = [submission_from_json(d) for d in snap["unidentified"]]
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):  # a damaged snapshot: a full pass
        return None
    states = LazyStates(outlines, partial(_states, ws, register, rnd, now, outlines, details))
    return CollectReport(round_id=rnd.id, as_of=now, new=[], pending=[], states=states, unidentified=unplaced,
                         outputs=[], unchosen_relevant=register.unchosen_relevant(), rendered=False)


def _states(ws: Workspace, register: Register, rnd: Round, now: datetime, outlines: Sequence[StateOutline],
            details: str) -> list[EntryState]:
    """The states of a pass answered from its snapshot, when something reads them: from the snapshot's
    details, or (details that do not fit their outlines: a damaged file) from the archive, as
    `excelflow status` computes them (the snapshot was valid for this `now`: the same states)."""
    try:
        return states_from_details(outlines, details)
    except (TypeError, ValueError):
        from excelflow.store.archive import Archive

        return round_states(register, rnd.id, Archive(ws).submissions(rounds=[rnd.id]), now)


# -- entry states as JSON ----------------------------------------------------------------------------
# A snapshot holds each state in two parts. Its outline (`StateOutline`: everything but the content
# and the sources) is what a pass with nothing new reads: the terminal summary and `--check` need
# nothing else. The contents and sources (two thirds of the text) are one JSON text inside the
# snapshot, decoded only if the states themselves are read (`LazyStates`): a city's snapshot then
# decodes in 0.03 s instead of 0.07, and its 10,800 outlines are built in 0.02 s instead of 0.06
# for the states.
STATE_OUTLINES = "state_outlines"  # the snapshot's key for the outlines, as `outline_to_json` writes them
STATE_DETAILS = "state_details"  # the JSON text of each state's [content values, sources], in the same order
CONTENT_FIELDS = "content_fields"  # the fields of a content, in the order its values are stored


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


def details_to_json(states: Sequence[EntryState]) -> str:
    """Each state's content (its values in field order, or None) and sources, as one JSON text."""
    return json_dumps([[list(_plain(s.content).values()) if s.content else None, list(s.sources)] for s in states])


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


def states_from_details(outlines: Sequence[StateOutline], details: str) -> list[EntryState]:
    """The states of `outlines` with their contents and sources from `details` (`details_to_json`).
    Raises ValueError or TypeError if they do not fit."""
    rows = json.loads(details)
    if type(rows) is not list or len(rows) != len(outlines):
        raise TypeError("the details do not match the outlines")
    order = _REPORT_ORDER
    states = []
    for outline, (content, sources) in zip(outlines, rows):
        if content is not None:
            if type(content) is not list or len(content) != len(order):
                raise TypeError(f"EntryReport: {content!r:.40}")
            report = object.__new__(EntryReport)
            report.__dict__.update(zip(order, content))
            content = report
        if type(sources) is not list:
            raise TypeError(f"sources: {sources!r:.40}")
        values = (*outline[:7], content, tuple(sources), outline[7], outline[8])
        state: EntryState = object.__new__(EntryState)  # as `made_from_fields` builds it
        state.__dict__.update(zip(_STATE_ORDER, values))
        states.append(state)
    return states


# The order in which a state's fields are put together from its outline and details.
_STATE_ORDER = ("task_id", "unit", "role", "state", "received_at", "days_late", "deadline", "content", "sources",
                "problems", "versions")
_REPORT_ORDER = field_order(EntryReport)
# EntryState's fields are exactly `_STATE_ORDER`, in that order (else no snapshot is read).
_STATE_FIELDS_IN_ORDER = field_order(EntryState) == _STATE_ORDER


@lru_cache(maxsize=4096)
def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)  # the returns of a pass share their receipt time


@lru_cache(maxsize=256)
def _day(text: str) -> date:
    return date.fromisoformat(text)  # a round has a deadline or two: parsed once each
