"""Reading one return: bytes in, a judged `Submission` out (`read_return`).

The steps, each in its module: open the workbook from memory within limits (`extract.py`), read
the identity sheet if there is one (`forms/identity.py`), find the reporting forms (`sheets.py`),
place a return without identity (`identify.py`), read and judge its entries (`entries.py`,
`validate.py`). `read_return` never raises for a bad workbook: every problem becomes a `Problem`
record and the `Submission.outcome` says accepted / accepted_with_warnings / pending / rejected.

Outcomes: `pending` — the bytes look like a copy still in progress (retry next run);
`rejected` — the file cannot be read or placed, or none of its entries is usable (its entries,
all `usable=False`, are still listed so the ledger can mark them invalid rather than missing);
`accepted_with_warnings` — at least one usable entry and some problem to show; `accepted`.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import Any

from excelflow.forms.campaign_key import CampaignKey
from excelflow.forms.identity import IDENTITY_SHEET, Identity, IdentityUnreadable, read_identity, verify
from excelflow.intake.context import ReadContext
from excelflow.intake.entries import read_entries
from excelflow.intake.extract import Workbook, WorkbookUnreadable
from excelflow.intake.identify import check_header_unit, own_sheets, place, resolve_unit, round_for_file, unit_in_path
from excelflow.intake.kinds import sniff
from excelflow.intake.records import Outcome, Problem, Submission
from excelflow.intake.scan import looks_incomplete
from excelflow.intake.sheets import data_sheets
from excelflow.register.model import Register

_NO_FORM = ("找不到填报表:没有哪个工作表含有「序号」「完成状态」「进展情况」等表头。"
            "请让填报单位使用下发的填报表填写,不要删除或改动表头行。")
STALE_MESSAGE = ("文件一直不完整:超过一天没有任何变化,仍缺少结尾部分(或为空文件),不是正在复制,而是已损坏或保存失败,"
                 "未接收。请让填报单位用 Excel 或 WPS 重新保存后再报送;新文件放入收件箱后会自动收集。")
PENDING_MESSAGE = ("文件不完整,可能仍在复制或保存中,本次未读取,下次收集时会自动重试。"
                   "如果一直如此,请让填报单位重新报送。")


def read_return(data: bytes, path: str, received_at: datetime, register: Register, *,
                stale_pending: bool = False, campaign: CampaignKey | None = None) -> Submission:
    """Parse one return from memory and judge it. `path` is the inbox-relative name (for messages).

    `stale_pending`: the caller has seen these bytes incomplete and unchanged for
    `store.pending.STALE_AFTER` (see `store.pending.PendingLog`): an incomplete file is then rejected as damaged
    rather than left pending forever. `campaign`: the working folder's key; an identity sheet is
    then trusted only with this campaign's valid signature (without a key, as tools reading a
    single file do, identities are taken as written).
    """
    sha = hashlib.sha256(data).hexdigest()
    base = Submission(path=path, sha256=sha, size=len(data), received_at=received_at, outcome="rejected")
    if looks_incomplete(data, path):
        if stale_pending:
            return attribute_rejected(_with(base, "rejected", Problem("error", STALE_MESSAGE, path)), register)
        return _with(base, "pending", Problem("warning", PENDING_MESSAGE, path))
    try:
        sub = _read_workbook(data, base, register, campaign)
    except WorkbookUnreadable as exc:
        sub = _with(base, "rejected", Problem("error", str(exc), path))
    except Exception as exc:  # noqa: BLE001 - one strange file must never stop a batch
        sub = _with(base, "rejected", Problem(
            "error", f"读取时出现意外错误({exc}),本文件未接收。"
            "请用 Excel 或 WPS 打开后另存为 .xlsx 重新报送;如仍出现,请把此文件交给技术支持。", path))
    return attribute_rejected(sub, register)


def read_other(data: bytes, path: str, received_at: datetime, register: Register, message: str) -> Submission:
    """A file that is no workbook (a PDF, a photo, a Word file, an archive, text), or one that could
    not be read at all: archived and rejected with `message` (what to send instead), attributed
    to the unit its name names where it names one, so the unit is told by receipt."""
    sha = hashlib.sha256(data).hexdigest()
    base = Submission(path=path, sha256=sha, size=len(data), received_at=received_at, outcome="rejected")
    return attribute_rejected(_with(base, "rejected", Problem("error", message, path)), register)


def non_workbook_message(data: bytes, path: str) -> str | None:
    """What to tell the unit when `data` is not a workbook at all (judged without a reader), else None."""
    sniffed = sniff(data, path)
    return None if sniffed.workbook else sniffed.message


def attribute_rejected(sub: Submission, register: Register) -> Submission:
    """A rejected file nobody could place still gets a unit from its name where it names one, and a
    round (named in its name, else the one whose deadline is nearest its receipt): its receipt
    then goes to that round's receipts, telling the unit what to send instead."""
    if sub.outcome != "rejected":
        return sub
    unit, confidence = sub.unit, sub.confidence
    if unit is None:
        unit = unit_in_path(register, sub.path)
        confidence = "filename" if unit is not None else None
        if unit is not None and sub.problems:
            first = sub.problems[0]
            sub = replace(sub, problems=(replace(first, message=f"{first.message}(按文件名推断为「{unit}」报送)"),
                                         *sub.problems[1:]))
    round_id = sub.round_id or round_for_file(register, sub.path, sub.received_at)
    return replace(sub, unit=unit, confidence=confidence, round_id=round_id)


def _with(base: Submission, outcome: Outcome, problem: Problem) -> Submission:
    return replace(base, outcome=outcome, problems=(problem,))


# -- reading one workbook -------------------------------------------------------------------------
def _read_workbook(data: bytes, base: Submission, register: Register, campaign: CampaignKey | None) -> Submission:
    ctx = ReadContext(base.path, base.received_at, register, Workbook(data, base.path))
    return replace(base, **_read(ctx, campaign))


_NOT_OURS = {
    "other_campaign": ("此表的标识属于另一个工作文件夹(另一次督查任务,编号 {campaign})下发的填报表,不是本次下发的,"
                       "表中各项均不能计入。请核对是否报错了表,或让该单位使用本轮下发的填报表重新报送。"),
    "forged": ("此表隐藏的标识工作表(_excelflow)与下发时不一致,签名校验未通过(标识可能被改动过),"
               "不能按标识接收,表中各项均不能计入。请让该单位使用本轮下发的原填报表重新填写报送。"),
    "unsigned": ("此表的标识没有签名(由旧版 excelflow 生成,或被改动过),本工作文件夹下发的填报表都有签名,"
                 "不能按标识接收,表中各项均不能计入。请让该单位使用本轮下发的填报表重新填写报送。"),
}
_UNSIGNED_ACCEPTED = ("此表由旧版 excelflow 下发,标识没有签名,无法核验是否被改动;已按标识接收为「{unit}」报送,"
                      "请核对。下一轮请使用新下发的填报表。")
_CONFIDENCE_WORDS = {"header": "按表头「填报单位」识别,较确定", "filename": "仅按文件名推断,请核实"}


def _refused(ctx: ReadContext, identity: Identity, verdict: str, campaign: CampaignKey) -> dict[str, Any]:
    """An identity this campaign did not sign: rejected with the true reason; the sender is still
    named where its header (or file name) says, with how sure that is, so it can be told."""
    message = _NOT_OURS[verdict].format(campaign=identity.campaign or "未知")
    unit: str | None = None
    confidence = None
    round_id: str | None = None
    hints = ReadContext(ctx.file, ctx.received_at, ctx.register, ctx.book)
    placed = place(hints, data_sheets(hints, None))
    if placed is not None:
        unit, round_id, confidence = placed
        message += f"(报送单位{_CONFIDENCE_WORDS[confidence]}为「{unit}」)"
    ctx.problem("error", message, IDENTITY_SHEET)
    return _result(ctx, "rejected", kind=identity.kind, unit=unit, round_id=round_id, confidence=confidence)


def _read(ctx: ReadContext, campaign: CampaignKey | None = None) -> dict[str, Any]:

    identity: Identity | None = None
    if IDENTITY_SHEET in ctx.book.sheet_names:
        try:
            identity = read_identity(ctx.book.sheet(IDENTITY_SHEET).rows)
        except IdentityUnreadable as exc:
            ctx.problem("warning", f"{exc},改按表头中的填报单位和文件名识别。", IDENTITY_SHEET)
    if identity is not None and campaign is not None:
        verdict = verify(identity, campaign)
        if verdict == "unsigned" and campaign.accept_unsigned:
            ctx.problem("warning", _UNSIGNED_ACCEPTED.format(unit=identity.unit), IDENTITY_SHEET)
        elif verdict != "signed":
            return _refused(ctx, identity, verdict, campaign)
    if identity is not None and identity.kind == "plan":
        return _plan(ctx, identity)
    sheets = data_sheets(ctx, identity)
    if identity is not None:
        unit = resolve_unit(ctx.register, identity.unit)
        if unit is None:
            ctx.problem("error", f"文件标识中的填报单位「{identity.unit}」不在任务登记表中,无法归属。"
                        "请核对登记表「单位」表(单位是否改名),或让该单位使用本轮下发的填报表重新报送。", IDENTITY_SHEET)
            return _result(ctx, "rejected", kind=identity.kind, round_id=identity.round_id)
        round_id, confidence, kind = identity.round_id, "identity", identity.kind
        check_header_unit(ctx, sheets, unit)
    elif not sheets:  # not a reporting form at all (a unit's own spreadsheet, a blank workbook)
        unit = unit_in_path(ctx.register, ctx.file)
        ctx.problem("error", _NO_FORM + (f"(按文件名推断为「{unit}」报送)" if unit else ""))
        return _result(ctx, "rejected", unit=unit, confidence="filename" if unit else None)
    else:
        placed = place(ctx, sheets)
        if placed is None:
            return _result(ctx, "rejected")
        unit, round_id, confidence = placed
        kind = "report"
        sheets = own_sheets(ctx, sheets, unit)
    if not sheets:
        ctx.problem("error", _NO_FORM)
        return _result(ctx, "rejected", kind=kind, unit=unit, round_id=round_id, confidence=confidence)
    entries = read_entries(ctx, sheets, identity, unit, round_id)
    outcome: Outcome
    if not any(e.usable for e in entries):
        if not entries:
            ctx.problem("error", "表中没有找到任何任务行(「序号」列没有任务编号)。请让填报单位使用下发的填报表填写。")
        outcome = "rejected"
    elif ctx.problems:
        outcome = "accepted_with_warnings"
    else:
        outcome = "accepted"
    return _result(ctx, outcome, kind=kind, unit=unit, round_id=round_id, confidence=confidence,
                        entries=tuple(entries))


def _plan(ctx: ReadContext, identity: Identity) -> dict[str, Any]:
    """A returned plan (落实方案): accepted as a plan; `plans.read_plan` reads its milestones.

    It carries no progress entries, so the ledger (which counts report and rollup kinds only)
    is not touched by it; the comparison reads it from the archive.
    """

    unit = resolve_unit(ctx.register, identity.unit)
    if unit is None:
        ctx.problem("error", f"落实方案表标识中的单位「{identity.unit}」不在任务登记表中,无法归属。"
                    "请核对登记表「单位」表,或让该单位使用下发的落实方案表重新报送。", IDENTITY_SHEET)
        return _result(ctx, "rejected", kind="plan", round_id=identity.round_id)
    return _result(ctx, "accepted", kind="plan", unit=unit, round_id=identity.round_id, confidence="identity")


def _result(ctx: ReadContext, outcome: Outcome, **fields: Any) -> dict[str, Any]:
    return {"outcome": outcome, "problems": tuple(ctx.problems), **fields}
