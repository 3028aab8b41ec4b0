"""(mail) What a fetched attachment tells collect: when the server received it, and who sent it.

`fetch` writes one hint per saved workbook, keyed by the SHA-256 of its bytes, in
`.excelflow/mail/hints/` (never in `inbox/`, where anyone who can drop a file could also drop a
hint and back-date a return). Collect's ingest step asks for the hint of the bytes it is about
to archive:

- `received_time`: the server's arrival time (INTERNALDATE) becomes the receipt time, or `now`
  for bytes that did not come by mail. A return mailed at 23:50 on the deadline and fetched the
  next morning is on time. A server clock ahead of ours never puts a receipt in the future.
- `with_sender_notes`: the sender's address is a hint only, said as a warning on the return —
  the identity sheet always decides, and a sender alone never proves a unit (a From header is
  easy to forge). The unit guess itself reaches intake through the folder the file was saved
  in (`inbox/邮件/<day>/<unit>(<address>)/`), which intake reads like a file name: after the
  identity sheet and the 填报单位 typed in the form.

The hint is written before the workbook, so collect never sees the workbook without its hint.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from excelflow.files import atomic_write_text
from excelflow.intake.records import Problem, Submission
from excelflow.register.model import Register
from excelflow.workspace import Workspace

HINTS_FOLDER = "hints"


@dataclass(frozen=True)
class MailHint:
    """Where the bytes `sha256` came from by mail."""

    sha256: str
    received_at: datetime  # the server's arrival time, naive local (as every time in excelflow)
    sender: str  # the From address, lower case ('' when the message had none)
    sender_name: str
    subject: str
    message_id: str
    path: str  # where fetch saved it, relative to inbox/
    trusted_sender: bool = True  # False: the From looks forged, not used to guess a unit


def _hint_path(ws: Workspace, sha256: str) -> Path:
    return ws.mail_state / HINTS_FOLDER / f"{sha256}.json"


def read_hint(ws: Workspace, sha256: str) -> MailHint | None:
    """The hint of these bytes, or None (not fetched by mail, or the hint is unreadable)."""
    try:
        raw: Any = json.loads(_hint_path(ws, sha256).read_text(encoding="utf-8"))
        return MailHint(**{**raw, "received_at": datetime.fromisoformat(raw["received_at"])})
    except (OSError, ValueError, TypeError, KeyError):
        return None


def write_hint(ws: Workspace, hint: MailHint) -> MailHint:
    """Keep `hint` unless the same bytes already came earlier (the first arrival counts); returns
    the hint in force."""
    known = read_hint(ws, hint.sha256)
    if known is not None and known.received_at <= hint.received_at:
        return known
    data = {**asdict(hint), "received_at": hint.received_at.isoformat()}
    # Durable: a receipt time is decided from it, and it must exist before the workbook does.
    atomic_write_text(_hint_path(ws, hint.sha256), json.dumps(data, ensure_ascii=False, indent=1))
    return hint


def received_time(hint: MailHint | None, now: datetime) -> datetime:
    """The receipt time of bytes about to be archived: the mail server's, never later than `now`."""
    if hint is None:
        return now
    return min(hint.received_at, now)


def sender_unit(register: Register, address: str) -> str | None:
    """The register unit whose 邮箱 lists `address` (only one may), or None."""
    key = address.strip().lower()
    if not key:
        return None
    units = [u.name for u in register.units if key in (e.lower() for e in u.emails)]
    return units[0] if len(units) == 1 else None


def with_sender_notes(sub: Submission, hint: MailHint | None, register: Register) -> Submission:
    """`sub` with a warning where its sender says something the clerk should know."""
    if hint is None or not hint.sender:
        return sub
    notes: list[str] = []
    unit = sender_unit(register, hint.sender) if hint.trusted_sender else None
    if not hint.trusted_sender:
        notes.append(f"发件人地址 {hint.sender} 可能被冒用(邮件的投递信息与发件人不符),未用它判断报送单位;"
                     "报送单位以表内标识为准。请核实这封邮件的来源。")
    elif sub.unit and unit and unit != sub.unit and sub.confidence == "identity":
        notes.append(f"本文件由「{unit}」的邮箱 {hint.sender} 发来,按表内标识归属「{sub.unit}」报送"
                     "(如是代为转发可忽略)。")
    elif sub.unit and unit == sub.unit and sub.confidence == "filename":
        notes.append(f"「{unit}」是按发件邮箱 {hint.sender} 推断的(文件中没有标识,也没有填写填报单位),"
                     "发件邮箱不能证明是哪个单位报送,请核对。")
    if not notes:
        return sub
    extra = tuple(Problem("warning", note, sub.path) for note in notes)
    outcome = "accepted_with_warnings" if sub.outcome == "accepted" else sub.outcome
    return replace(sub, problems=(*sub.problems, *extra), outcome=outcome)
