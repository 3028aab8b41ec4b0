"""`outbox/R/状态.json` and `excelflow status --json`: every entry's state, in the stable contract.

The contract (`shared/domain.md`): `{"round", "as_of", "entries": [{"task", "unit", "role",
"state", "received_at", "status"}]}`. The state file adds, per entry, `days_late`, `deadline` and
`sources` (the archived files the state was judged from), and has no `as_of` (it is as of the
pass that wrote it, see `.excelflow/last-pass.json`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any

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
    return dumps_indent1(data)


def state_file_bytes(rnd: Round, states: Sequence[EntryState]) -> bytes:
    """`outbox/R/状态.json`: the status contract's entries plus days late, deadline and sources."""
    entries = []
    for s in states:
        item = state_entry(s)
        item.update(days_late=s.days_late, deadline=s.deadline.isoformat(), sources=list(s.sources))
        entries.append(item)
    data = {"round": rnd.id, "entries": entries}
    return (dumps_indent1(data) + "\n").encode("utf-8")


def dumps_indent1(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, indent=1)`, the same text, for plain JSON data
    (dicts with str keys, lists, str, int, float, bool, None).

    With an indent, `json` encodes in pure Python: a city's round (ten thousand entries) took
    0.8 s. Here the scalars go through json's C encoders and only the layout is Python."""
    parts: list[str] = []
    _indent1(value, "\n", parts)
    return "".join(parts)


def _indent1(value: Any, newline: str, parts: list[str]) -> None:
    if isinstance(value, str):
        parts.append(encode_basestring(value))
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = newline + " "
        first = True
        for key, item in value.items():
            parts.append(("{" if first else ",") + inner + encode_basestring(key) + ": ")
            first = False
            _indent1(item, inner, parts)
        parts.append(newline + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            parts.append("[]")
            return
        inner = newline + " "
        first = True
        for item in value:
            parts.append(("[" if first else ",") + inner)
            first = False
            _indent1(item, inner, parts)
        parts.append(newline + "]")
    else:
        parts.append(json.dumps(value))
