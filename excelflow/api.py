"""For the analyst in a notebook: a working folder's register, entry states and returns as pandas
DataFrames.

    >>> from excelflow import api
    >>> states = api.entry_states("督查2021", "2021-H1")
    >>> states.groupby("unit")["state"].value_counts().unstack(fill_value=0)

Everything here only reads: the register workbook and the archive, never the inbox, never an
output, never a lock; it is safe while a collector runs. Times are naive local wall-clock
`datetime64` values, as the archive keeps them. pandas is imported here and nowhere else in
excelflow (a collect pass never loads it).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from excelflow.register.load import load_register
from excelflow.register.model import Register
from excelflow.reports.ledger import compute_states, round_submissions, version_order
from excelflow.store.archive import Archive
from excelflow.workspace import Workspace

__all__ = ["tasks", "units", "rounds", "entry_states", "submissions", "reported_entries"]


def _workspace(root: str | Path) -> Workspace:
    return Workspace(Path(root))


def _register(root: str | Path) -> Register:
    ws = _workspace(root)
    return load_register(ws.require_register())


def tasks(root: str | Path) -> pd.DataFrame:
    """One row per task of the register: `task`, `chapter`, `section`, `text`, `lead` and `co` as
    the register names them (groups such as `各乡镇(街道)` unexpanded), and `lead_units` and
    `co_units` as lists of the units actually asked (groups expanded)."""
    register = _register(root)
    rows = [{
        "task": t.id, "chapter": t.chapter, "section": t.section, "text": t.text,
        "lead": list(t.lead), "co": list(t.co),
        "lead_units": list(register.lead_units(t)), "co_units": list(register.co_units(t)),
    } for t in register.tasks]
    return pd.DataFrame(rows, columns=["task", "chapter", "section", "text", "lead", "co", "lead_units", "co_units"])


def units(root: str | Path) -> pd.DataFrame:
    """One row per unit: `unit`, `aliases`, `groups`, `contact`, `phone`, `code`, and how many
    entries it owes per round as lead (`lead_entries`) and co-unit (`co_entries`)."""
    register = _register(root)
    owed: dict[tuple[str, str], int] = {}
    for e in register.expected_entries():
        owed[(e.unit, e.role)] = owed.get((e.unit, e.role), 0) + 1
    rows = [{
        "unit": u.name, "aliases": list(u.aliases), "groups": list(u.groups), "contact": u.contact,
        "phone": u.phone, "code": u.code,
        "lead_entries": owed.get((u.name, "lead"), 0), "co_entries": owed.get((u.name, "co"), 0),
    } for u in register.units]
    return pd.DataFrame(rows, columns=["unit", "aliases", "groups", "contact", "phone", "code", "lead_entries",
                                       "co_entries"])


def rounds(root: str | Path) -> pd.DataFrame:
    """One row per round: `round`, `name`, `co_deadline`, `lead_deadline` (dates)."""
    register = _register(root)
    frame = pd.DataFrame([{"round": r.id, "name": r.name, "co_deadline": r.co_deadline,
                           "lead_deadline": r.lead_deadline} for r in register.rounds],
                         columns=["round", "name", "co_deadline", "lead_deadline"])
    for column in ("co_deadline", "lead_deadline"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def entry_states(root: str | Path, round_id: str, as_of: datetime | None = None) -> pd.DataFrame:
    """The state of every entry the round expects, as `excelflow status` judges it.

    Columns: `task`, `unit`, `role` (`lead`/`co`), `state` (`on_time`, `late`, `missing`,
    `incomplete`, `invalid`), `received_at`, `days_late`, `deadline`, the content of the latest
    usable report (`status`, `progress`, `progress_text`, `problems`, `next_steps`, `remarks`),
    `versions` (how many returns held the entry) and `sources` (their archived files).
    `as_of` counts only returns received by then (default: everything collected so far).
    """
    register = _register(root)
    register.require_round(round_id)
    subs = Archive(_workspace(root)).submissions(rounds=[round_id])
    now = as_of if as_of is not None else datetime.max
    states = compute_states(register, round_id, version_order(round_submissions(subs, round_id)), now)
    rows = []
    for s in states:
        c = s.content
        rows.append({
            "task": s.task_id, "unit": s.unit, "role": s.role, "state": s.state, "received_at": s.received_at,
            "days_late": s.days_late, "deadline": s.deadline,
            "status": c.status if c else None, "progress": c.progress if c else None,
            "progress_text": c.progress_text if c else None, "problems": c.problems if c else None,
            "next_steps": c.next_steps if c else None, "remarks": c.remarks if c else None,
            "versions": s.versions, "sources": list(s.sources),
        })
    frame = pd.DataFrame(rows, columns=["task", "unit", "role", "state", "received_at", "days_late", "deadline",
                                        "status", "progress", "progress_text", "problems", "next_steps", "remarks",
                                        "versions", "sources"])
    frame["received_at"] = pd.to_datetime(frame["received_at"])
    frame["deadline"] = pd.to_datetime(frame["deadline"])
    return frame


def submissions(root: str | Path, round_id: str | None = None) -> pd.DataFrame:
    """One row per archived return (every version kept), in receipt order.

    Columns: `path` (inbox-relative, as first seen), `sha256`, `size`, `received_at`, `outcome`
    (`accepted`, `accepted_with_warnings`, `pending`, `rejected`), `kind` (`report`, `rollup`,
    `plan`), `unit`, `round`, `confidence` (how the unit was identified), `entries`, `errors`,
    `warnings` (counts) and `archived_as` (the blob, relative to the working folder). With
    `round_id`, only the returns tied to that round.
    """
    archive = Archive(_workspace(root))
    subs = archive.submissions(rounds=None if round_id is None else [round_id])
    rows = [{
        "path": s.path, "sha256": s.sha256, "size": s.size, "received_at": s.received_at, "outcome": s.outcome,
        "kind": s.kind, "unit": s.unit, "round": s.round_id, "confidence": s.confidence, "entries": len(s.entries),
        "errors": sum(1 for p in s.problems if p.level == "error"),
        "warnings": sum(1 for p in s.problems if p.level == "warning"), "archived_as": s.archived_as,
    } for s in subs]
    frame = pd.DataFrame(rows, columns=["path", "sha256", "size", "received_at", "outcome", "kind", "unit", "round",
                                        "confidence", "entries", "errors", "warnings", "archived_as"])
    frame["received_at"] = pd.to_datetime(frame["received_at"])
    return frame


def reported_entries(root: str | Path, round_id: str | None = None) -> pd.DataFrame:
    """Every entry of every archived return, one row each (a unit that reported twice has two):
    `sha256` and `received_at` of its return, `task`, `unit`, `role`, `status` (normalised),
    `status_raw` (as typed), `progress`, `progress_text`, `problems`, `next_steps`, `remarks`,
    `usable`, `complete`. With `round_id`, only the returns tied to that round."""
    archive = Archive(_workspace(root))
    rows = []
    for s in archive.submissions(rounds=None if round_id is None else [round_id]):
        for e in s.entries:
            rows.append({
                "sha256": s.sha256, "received_at": s.received_at, "round": s.round_id, "task": e.task_id,
                "unit": e.unit, "role": e.role, "status": e.status, "status_raw": e.status_raw,
                "progress": e.progress, "progress_text": e.progress_text, "problems": e.problems,
                "next_steps": e.next_steps, "remarks": e.remarks, "usable": e.usable, "complete": e.complete,
            })
    frame = pd.DataFrame(rows, columns=["sha256", "received_at", "round", "task", "unit", "role", "status",
                                        "status_raw", "progress", "progress_text", "problems", "next_steps",
                                        "remarks", "usable", "complete"])
    frame["received_at"] = pd.to_datetime(frame["received_at"])
    return frame
