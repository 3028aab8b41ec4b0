"""(mail) Sending a batch: what would go (the plan, for `--dry-run` and the confirmation), then send.

Whatever the kind (workbooks, receipts, reminders), a batch is planned the same way: a message
whose key was already sent to that address is left out (unless `--resend`), a message that failed
last time is in again. Sending goes message by message: each result is journaled as soon as the
server answered (`sendlog.py`), a refusal for one address is recorded and the next goes on, and
the record workbook is rewritten at the end whatever happened.

Lock: the caller holds the mail lock (`.excelflow/mail.lock/`), the one writer of the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import make_msgid
from pathlib import Path

from excelflow.errors import MailError
from excelflow.mail.compose import KIND_NAMES, Outgoing, build_message
from excelflow.mail.outgoing import Items
from excelflow.mail.sendlog import SentRecord, append_record, last_results, read_journal, write_send_record
from excelflow.mail.settings import MailSettings, Secret
from excelflow.mail.smtp import RecipientRefused, SmtpSession
from excelflow.workspace import Workspace

SessionFactory = Callable[..., SmtpSession]


@dataclass
class Plan:
    """A batch to send, and what is left out and why."""

    round_id: str
    kind: str  # "workbook" | "receipt" | "reminder"
    to_send: list[Outgoing] = field(default_factory=list)
    already: list[Outgoing] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def what(self) -> str:
        return KIND_NAMES[self.kind]

    def lines(self, *, full: bool) -> list[str]:
        """The plan in Chinese: with `full`, every message as the unit will read it (`--dry-run`)."""
        units = len({o.unit for o in self.to_send})
        out = [f"{self.round_id} {self.what}:待发送 {len(self.to_send)} 封(给 {units} 个单位)"
               + (f",已发送过 {len(self.already)} 封不再重复发送(确需重发请加 --resend)" if self.already else "")
               + "。"]
        for i, item in enumerate(self.to_send, start=1):
            if full:
                out += ["", f"—— 第 {i} 封 ——", *item.preview()]
            else:
                names = "、".join(a.name for a in item.attachments)
                out.append(f"  {i}. {item.unit} <{item.address}>  {item.subject}" + (f"  附件:{names}" if names else ""))
        out += [f"提示:{note}" for note in self.notes]
        return out


def make_plan(ws: Workspace, round_id: str, kind: str, items: Items, *, resend: bool = False) -> Plan:
    """Split `items` into what to send now and what was sent before (by key and address)."""
    last = last_results(read_journal(ws, round_id))
    plan = Plan(round_id, kind, notes=list(items.notes))
    for item in items.items:
        before = last.get((item.key, item.address.lower()))
        if before is not None and before.result == "sent" and not resend:
            plan.already.append(item)
        else:
            plan.to_send.append(item)
    return plan


@dataclass
class SendResult:
    plan: Plan
    sent: list[tuple[Outgoing, str]] = field(default_factory=list)  # (item, Message-ID)
    failed: list[tuple[Outgoing, str]] = field(default_factory=list)  # (item, why)
    stopped: str = ""  # why the run stopped before the end ('' when it did not)
    record: Path | None = None

    def lines(self) -> list[str]:
        out = [f"{self.plan.round_id} {self.plan.what}:已发送 {len(self.sent)} 封"
               + (f",未发出 {len(self.failed)} 封" if self.failed else "") + "。"]
        for item, why in self.failed:
            out.append(f"  未发出:{item.unit} <{item.address}>:{why}")
        if self.stopped:
            out.append(f"发送中断:{self.stopped}。重新运行会接着发送未发出的邮件(已发出的不会重复)。")
        elif self.failed:
            out.append("未发出的邮件已记录,改正地址后重新运行只会发送这些。")
        if self.record is not None:
            out.append(f"发送记录:{self.record}")
        return out


def send_plan(ws: Workspace, plan: Plan, settings: MailSettings, secret: Secret, clock: Callable[[], datetime],
              session_factory: SessionFactory = SmtpSession) -> SendResult:
    """Send every message of `plan`; the caller holds the mail lock. Raises MailError only when the
    server cannot be reached at all (nothing was sent then)."""
    result = SendResult(plan)
    if not plan.to_send:
        result.record = write_send_record(ws, plan.round_id)
        return result
    server = settings.require_smtp()
    domain = settings.sender.rsplit("@", 1)[-1] if "@" in settings.sender else None
    session = session_factory(server, settings.account, secret, settings.ca_file)
    session.connect()
    try:
        for index, item in enumerate(plan.to_send):
            now = clock()
            message_id = make_msgid(domain=domain)
            message = build_message(item, settings.sender, settings.sender_name, now, message_id)
            try:
                session.send(message, settings.sender, item.address)
            except RecipientRefused as exc:
                _record(ws, plan, item, now, message_id, "failed", str(exc))
                result.failed.append((item, str(exc)))
                continue
            except MailError as exc:
                _record(ws, plan, item, now, message_id, "failed", str(exc))
                result.failed.append((item, str(exc)))
                result.stopped = str(exc)
                for rest in plan.to_send[index + 1:]:
                    result.failed.append((rest, "未发送(连接中断)"))
                break
            _record(ws, plan, item, now, message_id, "sent", "")
            result.sent.append((item, message_id))
    finally:
        session.close()
        result.record = write_send_record(ws, plan.round_id)
    return result


def _record(ws: Workspace, plan: Plan, item: Outgoing, at: datetime, message_id: str, result: str,
            detail: str) -> None:
    append_record(ws, plan.round_id, SentRecord(
        kind=item.kind, key=item.key, unit=item.unit, address=item.address, at=at.isoformat(),
        message_id=message_id, result=result, detail=detail, subject=item.subject,
        attachments="、".join(a.name for a in item.attachments)))
