"""The mail around a collect pass: fetch before it, mail the receipts after it (when asked to).

`excelflow collect` and every tick of `excelflow watch` call `fetch_before_pass` when the register
names a mailbox, then run the pass on whatever is in `inbox/`. Nothing here may stop the pass:
a mail server that is down, a wrong password, a busy mail lock are logged (and said on the
console), and the pass goes on with the files already in `inbox/`.

After a pass, `answer_after_pass` mails the new returns' receipts when the register's 设置 says
「自动发送回执:是」.

Kept light on purpose: a pass with nothing new must not load the workbook libraries, so the
mail modules are imported only once the register says there is a mailbox (import-linter's
`nothing-new` contract lists these two imports).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from excelflow.errors import ExcelflowError
from excelflow.mail.settings import mailbox_configured
from excelflow.runs.pass_report import CollectReport
from excelflow.runs.passlog import append_log
from excelflow.store.pass_cache import current_register
from excelflow.workspace import Workspace

PASS_LOCK_WAIT = 5.0  # seconds: a clerk sending mail right now makes this pass skip the fetch, not wait
RETRY_MARK = "receipts-to-retry"  # in .excelflow/mail/: an automatic sending failed, the next pass tries again


def fetch_before_pass(ws: Workspace, now: datetime, clock: Callable[[], datetime] = datetime.now) -> list[str]:
    """Fetch new mail into `inbox/` if the register names a mailbox; the lines to show. Never raises."""
    try:
        register = current_register(ws)
    except ExcelflowError:
        return []  # the pass itself says what is wrong with the register
    if not mailbox_configured(register):
        return []
    from excelflow.runs.mail_runs import holding_mail_lock, mail_password, run_fetch  # only with a mailbox

    try:
        from excelflow.mail.settings import Overrides, mail_settings

        settings = mail_settings(register, Overrides())
        secret = mail_password(settings)
        with holding_mail_lock(ws, PASS_LOCK_WAIT, clock):
            report = run_fetch(ws, register, settings, secret, now)
        return report.lines()
    except ExcelflowError as exc:
        line = f"收取邮件失败,本次按 inbox/ 中已有的文件收集:{exc}"
        _log(ws, "warning", line, clock)
        return [line]
    except Exception as exc:  # noqa: BLE001 - mail must never take the pass down with it
        line = f"收取邮件时出现意外错误,本次按 inbox/ 中已有的文件收集:{type(exc).__name__}: {exc}"
        _log(ws, "error", line, clock, detail=traceback.format_exc())
        return [line]


def answer_after_pass(ws: Workspace, report: CollectReport, now: datetime,
                      clock: Callable[[], datetime] = datetime.now) -> list[str]:
    """Mail the receipts of the pass's new returns when the register asks for it. Never raises."""
    mark = ws.mail_state / RETRY_MARK
    if not report.new and not mark.exists():
        return []  # nothing new and nothing left over: no archive to read on a quiet pass
    lines: list[str] = []
    try:
        register = current_register(ws)
        from excelflow.mail.settings import Overrides, mail_settings

        settings = mail_settings(register, Overrides())
        if not settings.auto_receipts or settings.smtp is None:
            return []
        from excelflow.runs.mail_runs import deliver, holding_mail_lock, mail_password, plan_receipts

        secret = mail_password(settings)
        rounds = sorted({s.round_id for s in report.new if s.round_id and register.round(s.round_id)})
        with holding_mail_lock(ws, PASS_LOCK_WAIT, clock):
            for round_id in rounds or [report.round_id]:
                plan = plan_receipts(ws, register, round_id, now)
                if plan.to_send:
                    result = deliver(ws, plan, settings, secret, clock)
                    lines += result.lines()
                    if result.failed:
                        raise _Retry()
        mark.unlink(missing_ok=True)
        return lines
    except _Retry:
        _mark(mark)
        return lines
    except ExcelflowError as exc:
        _mark(mark)
        line = f"自动发送回执失败(下次收集时再试,也可运行 excelflow mail receipts):{exc}"
        _log(ws, "warning", line, clock)
        return [line]
    except Exception as exc:  # noqa: BLE001 - the pass is done; its receipts wait for the next one
        _mark(mark)
        line = f"自动发送回执时出现意外错误:{type(exc).__name__}: {exc}"
        _log(ws, "error", line, clock, detail=traceback.format_exc())
        return [line]


class _Retry(Exception):
    """Some receipts were not sent: try again after the next pass."""


def _mark(mark: Path) -> None:
    try:
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()
    except OSError:
        pass


def _log(ws: Workspace, level: str, line: str, clock: Callable[[], datetime], detail: str | None = None) -> None:
    try:
        append_log(ws, "warning" if level == "warning" else "error", line, at=clock(), detail=detail)
    except OSError:
        pass
