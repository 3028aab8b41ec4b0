"""`outbox/R/状态.json` and `excelflow status --json`: every entry's state, in the stable contract.

The contract (`shared/domain.md`): `{"round", "as_of", "entries": [{"task", "unit", "role",
"state", "received_at", "status"}]}`. The state file adds, per entry, `days_late`, `deadline` and
`sources` (the archived files the state was judged from), and has no `as_of` (it is as of the
pass that wrote it, see `.excelflow/last-pass.json`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from excelflow.files import indented_json
from excelflow.register.model import Round
from excelflow.reports.ledger import EntryState


def state_entry(s: EntryState) -> dict[str, object]:
    """One entry as `excelflow status --json` prints it (the contract in domain.md)."""
    return {
        "task": s.task_id,
        "unit": s.unit,
        "role": s.role,
        "state": s.state,
        "received_at": s.received_at.isoformat(timespec="seconds") if s.received_at else None,
        "status": s.content.status if s.content is not None else None,
    }


def status_json(round_id: str, now: datetime, states: Sequence[EntryState]) -> str:
    """What `excelflow status --json` prints."""
    data = {"round": round_id, "as_of": now.isoformat(timespec="seconds"), "entries": [state_entry(s) for s in states]}
    return indented_json(data)


def state_file_bytes(rnd: Round, states: Sequence[EntryState]) -> bytes:
    """`outbox/R/状态.json`: the status contract's entries plus days late, deadline and sources."""
    entries = []
    for s in states:
        item = state_entry(s)
        item.update(days_late=s.days_late, deadline=s.deadline.isoformat(), sources=list(s.sources))
        entries.append(item)
    data = {"round": rnd.id, "entries": entries}
    return (indented_json(data) + "\n").encode("utf-8")
