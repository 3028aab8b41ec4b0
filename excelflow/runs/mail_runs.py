"""The `excelflow mail` commands' work: the mail lock, the register, then one `mail` function.

Lock rule (docs/design.md): everything that talks to the mailbox holds the mail lock
`.excelflow/mail.lock/` — a fetch (it writes `inbox/邮件/`, the fetch state, the hints and
`outbox/邮件收取记录.xlsx`) and a send of workbooks, receipts or reminders (the round's journal
and `outbox/R/发送记录.xlsx`). One mailbox user at a time means no message fetched twice and no
message sent twice by two clerks at once. The mail lock is never held together with the collector
lock: a pass fetches first, releases, then collects.

Reading the archive (receipts, reminders) needs no collector lock: the archive is written once,
atomically, and read-only here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime

from excelflow.errors import LockError
from excelflow.mail.fetch import FetchReport, fetch_mail, fetched_messages
from excelflow.mail.outgoing import receipt_items, reminder_items, workbook_items
from excelflow.mail.records import write_fetch_record
from excelflow.mail.sender import Plan, SendResult, make_plan, send_plan
from excelflow.mail.settings import MailSettings, Overrides, Secret, mail_settings, password
from excelflow.register.model import Register, Round, nearest_round
from excelflow.reports.figures import Comparison, compare
from excelflow.reports.ledger import load_reported, round_states
from excelflow.runs.lock import FolderLock, Takeover, read_owner
from excelflow.runs.passlog import append_log
from excelflow.store.archive import Archive
from excelflow.store.pass_cache import PassCache
from excelflow.store.plans import archived_milestones, with_plans
from excelflow.workspace import Workspace

MAIL_LOCK = "mail.lock"


def mail_lock(ws: Workspace) -> FolderLock:
    return FolderLock(ws.state / MAIL_LOCK, purpose="mail")


@contextmanager
def holding_mail_lock(ws: Workspace, wait: float, clock: Callable[[], datetime] = datetime.now) -> Iterator[None]:
    """Hold the mail lock for the block; LockError (saying who holds it) after `wait` seconds."""
    lock = mail_lock(ws)

    def log_takeover(takeover: Takeover) -> None:
        who = takeover.previous.describe() if takeover.previous else "锁文件夹中没有可读的持有者信息"
        try:
            append_log(ws, "warning", f"接管了过期的邮件锁:{who};原因:{takeover.reason}", at=clock())
        except OSError:
            pass

    try:
        lock.acquire(wait=wait, on_takeover=log_takeover)
    except LockError:
        owner = read_owner(lock.path)
        who = owner.describe() if owner else "持有者信息尚未写入"
        raise LockError(f"另一个 excelflow 正在使用邮箱(发送或收取邮件):{who}。已等待 {wait:.0f} 秒,请稍后再试。"
                        f"锁文件夹:{lock.path}") from None
    try:
        yield
    finally:
        lock.release()


def mail_context(ws: Workspace, overrides: Overrides) -> tuple[Register, MailSettings]:
    """The register (through the pass cache, read only) and the mailbox settings, command line winning."""
    # Read through the cache but never saved: only a holder of the collector lock writes it.
    register = PassCache(ws).register()
    return register, mail_settings(register, overrides)


def mail_password(settings: MailSettings, environ: Mapping[str, str] | None = None) -> Secret:
    return password(settings.account, environ)


def run_fetch(ws: Workspace, register: Register, settings: MailSettings, secret: Secret, now: datetime, *,
              since: date | None = None) -> FetchReport:
    """`excelflow mail fetch` (the caller holds the mail lock): fetch, then the record workbook."""
    report = fetch_mail(ws, register, settings, secret, now, since=since)
    if report.messages:
        report.record = write_fetch_record(ws, fetched_messages(ws))
    try:
        append_log(ws, "info", report.lines()[0], at=now)
    except OSError:
        pass
    return report


def _round(register: Register, round_id: str | None, now: datetime) -> Round:
    return register.require_round(round_id) if round_id is not None else nearest_round(register, now)


def plan_workbooks(ws: Workspace, register: Register, settings: MailSettings, round_id: str | None,
                   now: datetime, *, resend: bool = False) -> Plan:
    rnd = _round(register, round_id, now)
    return make_plan(ws, rnd.id, "workbook", workbook_items(ws, register, rnd, now, settings.auto_receipts),
                     resend=resend)


def plan_receipts(ws: Workspace, register: Register, round_id: str | None, now: datetime, *,
                  resend: bool = False) -> Plan:
    rnd = _round(register, round_id, now)
    archive = Archive(ws)
    subs = archive.submissions(rounds=[rnd.id, None])
    states = round_states(register, rnd.id, [s for s in subs if s.received_at <= now], now)
    return make_plan(ws, rnd.id, "receipt", receipt_items(ws, register, rnd, subs, states, now), resend=resend)


def comparison(ws: Workspace, register: Register, rnd: Round, now: datetime) -> Comparison:
    """The round's figures as `excelflow compare` computes them, without writing its outputs."""
    archive = Archive(ws)
    states = round_states(register, rnd.id, archive.submissions(rounds=[rnd.id]), now)
    previous_round = register.previous_round(rnd.id)
    previous = load_reported(ws, previous_round.id, archive=archive) if previous_round is not None else None
    planned = with_plans(register, archived_milestones(ws, register, archive=archive))
    return compare(planned, rnd.id, states, previous, now)


def plan_reminders(ws: Workspace, register: Register, round_id: str | None, now: datetime) -> Plan:
    rnd = _round(register, round_id, now)
    items = reminder_items(ws, register, rnd, comparison(ws, register, rnd, now), now)
    return make_plan(ws, rnd.id, "reminder", items)


def deliver(ws: Workspace, plan: Plan, settings: MailSettings, secret: Secret,
            clock: Callable[[], datetime]) -> SendResult:
    """Send a plan (the caller holds the mail lock) and log the outcome."""
    result = send_plan(ws, plan, settings, secret, clock)
    try:
        append_log(ws, "info" if not result.failed else "warning", result.lines()[0], at=clock())
    except OSError:
        pass
    return result
