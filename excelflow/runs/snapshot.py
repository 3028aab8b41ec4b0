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

import os
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from excelflow.intake.records import EntryReport, Problem, Submission
from excelflow.intake.scan import Candidate
from excelflow.register.model import Register, Round
from excelflow.reports.ledger import EntryState, unidentified
from excelflow.runs.pass_report import CollectReport
from excelflow.store.archive_format import (
    field_names,
    field_order,
    made_from_fields,
    submission_from_json,
    submission_to_json,
)
from excelflow.store.pass_cache import PassCache
from excelflow.workspace import Workspace, receipt_stem


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
        # Each state's content as its values in field order (`state_to_json`), under a key an
        # earlier excelflow does not read: it finds no "states" and makes a full pass.
        STATE_ROWS: [state_to_json(s) for s in states],
        CONTENT_FIELDS: list(_REPORT_ORDER),  # what the values are: read back only in this order
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
    rollups = ws.rollup_paths(rnd.id, register.leads_in_task_order()).values()
    try:
        rollups_present = set(os.listdir(ws.rollups_dir(rnd.id)))  # one listing, not a stat per rollup
    except FileNotFoundError:
        rollups_present = set()
    if not ws.state_file(rnd.id).exists() or not all(p.name in rollups_present or p.exists() for p in rollups):
        return None
    if STATE_ROWS in snap and snap.get(CONTENT_FIELDS) != list(_REPORT_ORDER):
        return None  # written when a return's entries had other fields (or in another order)
    try:
        states = [state_from_json(v) for v in (snap[STATE_ROWS] if STATE_ROWS in snap else snap["states"])]
        unplaced = [submission_from_json(d) for d in snap["unidentified"]]
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):  # a damaged snapshot: a full pass
        return None
    return CollectReport(round_id=rnd.id, as_of=now, new=[], pending=[], states=states, unidentified=unplaced,
                         outputs=[], unchosen_relevant=register.unchosen_relevant(), rendered=False)


# -- entry states as JSON ----------------------------------------------------------------------------
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


def state_to_json(s: EntryState) -> list[Any]:
    # The content (nearly every state has one) as its values alone: a city's snapshot is 4.0 MB
    # instead of 5.5, and decodes in half the time (0.030 s instead of 0.061).
    return [s.task_id, s.unit, s.role, s.state, s.received_at.isoformat() if s.received_at else None,
            s.days_late, s.deadline.isoformat(), list(_plain(s.content).values()) if s.content else None,
            list(s.sources), [_plain(p) for p in s.problems], s.versions]


# The order `state_to_json` writes an EntryState's fields in.
_STATE_ORDER = ("task_id", "unit", "role", "state", "received_at", "days_late", "deadline", "content", "sources",
                "problems", "versions")


def state_from_json(v: list[Any]) -> EntryState:
    # Checked like the nested objects: a field added to EntryState makes this a TypeError (a full pass).
    if len(v) != len(_STATE_ORDER):
        raise TypeError(f"EntryState: {len(v)} values")
    content = v[7]
    if content:
        # Inline `_build` of the content, the one nested object nearly every state has (a
        # nothing-new pass makes a city's 10,800 states: their building was a third of its time).
        report = object.__new__(EntryReport)
        if type(content) is list:  # its values in field order (`state_to_json`)
            if len(content) != len(_REPORT_ORDER):
                raise TypeError(f"EntryReport: {len(content)} values")
            report.__dict__.update(zip(_REPORT_ORDER, content))
        elif content.keys() == _REPORT_FIELDS:  # by name, as a snapshot's "states" hold it
            report.__dict__.update(content)
        else:
            raise TypeError(f"EntryReport: fields {sorted(content)}")
        content = report
    values = (int(v[0]), v[1], v[2], v[3], _moment(v[4]) if v[4] else None, int(v[5]), _day(v[6]),
              content or None, tuple(v[8]), tuple(_build(Problem, p) for p in v[9]), int(v[10]))
    if _STATE_FIELDS_IN_ORDER:
        state: EntryState = object.__new__(EntryState)
        state.__dict__.update(zip(_STATE_ORDER, values))
        return state
    built: EntryState = _build(EntryState, dict(zip(_STATE_ORDER, values)))  # a different class: checked
    return built


_REPORT_FIELDS = field_names(EntryReport)
_REPORT_ORDER = field_order(EntryReport)
STATE_ROWS = "state_rows"  # the snapshot's key for its states (before: "states", contents by name)
CONTENT_FIELDS = "content_fields"  # the snapshot's key for the fields of a content, in the order stored
# EntryState's fields are exactly those `state_to_json` writes, in that order: built directly.
_STATE_FIELDS_IN_ORDER = field_order(EntryState) == _STATE_ORDER


@lru_cache(maxsize=4096)
def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)  # the returns of a pass share their receipt time


@lru_cache(maxsize=256)
def _day(text: str) -> date:
    return date.fromisoformat(text)  # a round has a deadline or two: parsed once each
