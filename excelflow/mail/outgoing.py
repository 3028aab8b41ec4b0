"""(mail) What there is to send: workbooks, receipts and reminders, one `Outgoing` per address.

- Workbooks come from the round's distribution list (`outbox/R/分发清单.xlsx`, written by
  `generate`): each unit's file goes to every address of the unit in the register's 单位 sheet.
- Receipts: every return of the round that came by mail gets its receipt (the one collect wrote
  in `outbox/R/receipts/`) sent back to the address it came from, as a reply to that message.
  A return nobody could place (no round) gets its receipt too, saying why.
- Reminders: every unit that owes an overdue entry, or must correct an incomplete or invalid one,
  gets its reminder text (the one in `R-催报提醒.txt`); a unit whose deadline has not come yet,
  and a unit that reported (even late), gets nothing. One reminder per unit per day.

Units without an address, and files missing on disk, become notes for the clerk, not errors.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from excelflow.intake.records import OUTCOME_NAMES, Submission
from excelflow.mail.compose import (
    Attachment,
    Outgoing,
    receipt_body,
    receipt_subject,
    reminder_body,
    reminder_subject,
    workbook_subject,
    workbook_text,
)
from excelflow.mail.hints import read_hint
from excelflow.register.model import Register, Round
from excelflow.reports.figures import Comparison
from excelflow.reports.ledger import EntryState, states_by_key
from excelflow.reports.receipts import build_receipt, make_receipt, receipt_text
from excelflow.reports.reminders import reminders
from excelflow.wording import round_name
from excelflow.workspace import Workspace, receipt_stem

REMINDER_SITUATIONS = ("逾期未报", "内容不完整", "无效需重报")  # not "未到截止日": not due yet is not late


@dataclass
class Items:
    """Messages to consider, and what the clerk must know about units that get none."""

    items: list[Outgoing] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _addresses(register: Register, unit: str) -> tuple[str, ...]:
    found = register.unit(unit)
    return found.emails if found is not None else ()


def distribution_list(path: Path) -> list[tuple[str, str]]:
    """(unit, file relative to the list's folder) of each row of `分发清单.xlsx`, in order."""
    from python_calamine import CalamineWorkbook  # only `mail send` reads workbooks here

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except FileNotFoundError:
        return []
    except Exception:  # noqa: BLE001 - a damaged list is as good as none: generate writes it again
        return []
    out: list[tuple[str, str]] = []
    columns: dict[str, int] | None = None
    for row in rows:
        cells = [str(v).strip() if v is not None else "" for v in row]
        if columns is None:
            if "单位" in cells and "文件" in cells:
                columns = {"unit": cells.index("单位"), "file": cells.index("文件")}
            continue
        unit = cells[columns["unit"]] if columns["unit"] < len(cells) else ""
        file = cells[columns["file"]] if columns["file"] < len(cells) else ""
        if unit and file:
            out.append((unit, file))
    return out


def workbook_items(ws: Workspace, register: Register, rnd: Round, now: datetime, auto_receipts: bool) -> Items:
    """Each unit's reporting workbook to each of its addresses."""
    listing = ws.distribution_list(rnd.id)
    rows = distribution_list(listing)
    out = Items()
    if not rows:
        out.notes.append(f"找不到分发清单 {listing}(或其中没有单位):请先运行 excelflow generate --round {rnd.id}。")
        return out
    no_address: list[str] = []
    for unit, file in rows:
        path = listing.parent / file
        try:
            data = path.read_bytes()
        except OSError:
            out.notes.append(f"{unit}:找不到填报表 {path},未发送(请重新运行 excelflow generate)。")
            continue
        addresses = _addresses(register, unit)
        if not addresses:
            no_address.append(unit)
            continue
        roles = sorted({e.role for e in register.entries_of(unit)})
        name = f"{round_name(rnd)}重点工作进展填报表-{path.name}"
        for address in addresses:
            out.items.append(Outgoing(
                kind="workbook", key=f"workbook:{unit}", unit=unit, address=address,
                subject=workbook_subject(register.office, rnd, unit, roles),
                body=workbook_text(register, rnd, unit, name, now, auto_receipts),
                attachments=(Attachment(name, data),)))
    if no_address:
        out.notes.append(f"{len(no_address)} 个单位在登记表「单位」表中没有填写邮箱,未发送:{'、'.join(no_address)}"
                         "(填写「邮箱」列后再运行一次即可,已发出的不会重复发送)。")
    return out


def receipt_items(ws: Workspace, register: Register, rnd: Round, subs: Sequence[Submission],
                  states: Sequence[EntryState], now: datetime) -> Items:
    """The receipt of each return of `rnd` (and of each unplaced return) that came by mail."""
    out = Items()
    by_key = states_by_key(states)
    waiting = 0
    for sub in subs:
        if sub.round_id not in (rnd.id, None) or sub.outcome == "pending":
            continue
        hint = read_hint(ws, sub.sha256)
        if hint is None or not hint.sender:
            continue  # not received by mail: the clerk answers it the way it came
        receipt = make_receipt(sub, register, by_key)
        xlsx_path, txt_path = ws.receipt_files(rnd.id, receipt_stem(sub))
        if sub.round_id == rnd.id:
            try:  # the receipt collect wrote, so the unit gets exactly the clerk's copy
                xlsx, text = xlsx_path.read_bytes(), txt_path.read_text(encoding="utf-8")
            except OSError:
                waiting += 1
                continue
        else:
            xlsx, text = build_receipt(receipt, sub.received_at), receipt_text(receipt)
        out.items.append(Outgoing(
            kind="receipt", key=f"receipt:{sub.sha256}", unit=sub.unit or "未识别", address=hint.sender,
            subject=receipt_subject(receipt.title, OUTCOME_NAMES[sub.outcome]),
            body=receipt_body(text, register.office, now),
            attachments=(Attachment(xlsx_path.name, xlsx),), in_reply_to=hint.message_id))
    if waiting:
        out.notes.append(f"{waiting} 份邮件报送还没有回执文件:请先运行 excelflow collect,再发送回执。")
    return out


def reminder_items(ws: Workspace, register: Register, rnd: Round, comparison: Comparison, now: datetime) -> Items:
    """Each overdue or to-be-corrected unit's reminder, to each of its addresses."""
    out = Items()
    owing = {r.unit for r in comparison.chase if r.situation in REMINDER_SITUATIONS}
    silent_units = {r.unit for r in comparison.chase if r.situation == "逾期未报"}
    no_address: list[str] = []
    for reminder in reminders(comparison):
        if reminder.unit not in owing:
            continue
        addresses = _addresses(register, reminder.unit)
        if not addresses:
            no_address.append(reminder.unit)
            continue
        template = ws.template_file(rnd.id, reminder.unit)
        attachments: tuple[Attachment, ...] = ()
        if reminder.unit in silent_units and template.is_file():
            name = f"{round_name(rnd)}重点工作进展填报表-{template.name}"
            attachments = (Attachment(name, template.read_bytes()),)
        for address in addresses:
            out.items.append(Outgoing(
                kind="reminder", key=f"reminder:{reminder.unit}:{now.date().isoformat()}", unit=reminder.unit,
                address=address, subject=reminder_subject(register.office, rnd, reminder.unit),
                body=reminder_body(reminder.text, register.office, now, attachments[0].name if attachments else None),
                attachments=attachments))
    if no_address:
        out.notes.append(f"{len(no_address)} 个需要催报的单位没有填写邮箱,请电话催报:{'、'.join(no_address)}"
                         f"(提醒文字见 {ws.reminders_path(rnd.id).name})。")
    return out
