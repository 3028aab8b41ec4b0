"""Reminder texts (催报提醒) for units that still owe entries, and `outbox/R/R-催报提醒.txt`.

One short text per unit, ready to paste into a chat or an SMS: which tasks, in which role, by
which deadline, to whom; plus the entries to correct (incomplete or invalid) and why. Built
from `compare.Comparison.chase`, so the texts and the chase list never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from excelflow.reports.figures import ChaseRow, Comparison
from excelflow.wording import day, late_text, short_day

MAX_TARGETS_NAMED = 4  # beyond this many lead units, the text points to the chase list


@dataclass(frozen=True)
class Reminder:
    unit: str
    contact: str
    phone: str
    text: str


def _ids(rows: Sequence[ChaseRow]) -> str:
    """`第1、5、8至11项`: task numbers in one short phrase (a chat message should stay short).

    Runs of three or more consecutive numbers are written as a range (`8至11`).
    """
    ids = sorted(dict.fromkeys(r.task.id for r in rows))
    parts: list[str] = []
    start = 0
    while start < len(ids):
        end = start
        while end + 1 < len(ids) and ids[end + 1] == ids[end] + 1:
            end += 1
        if end - start >= 2:
            parts.append(f"{ids[start]}至{ids[end]}")
        else:
            parts.extend(str(i) for i in ids[start:end + 1])
        start = end + 1
    return "第" + "、".join(parts) + "项"


def _missing_line(rows: Sequence[ChaseRow], office: str) -> str:
    """One line for the missing entries of one role (they share the deadline)."""
    role = rows[0].role
    deadline = short_day(rows[0].deadline)
    days = rows[0].days_overdue
    state = f"截止{deadline}，已{late_text(days)}" if days else f"截止{deadline}"
    when = "尽快" if days else f"于{deadline}前"
    if role == "lead":
        return (f"作为牵头单位，{_ids(rows)}重点工作进展未报（{state}），"
                f"请综合协办单位情况后{when}报{office}。")
    by_lead: dict[str, list[ChaseRow]] = {}
    for r in rows:
        by_lead.setdefault(r.send_to, []).append(r)
    if len(by_lead) <= MAX_TARGETS_NAMED:
        targets = "，".join(f"{_ids(rs)}报{to}" for to, rs in by_lead.items())
    else:  # a silent township owes dozens of tasks to dozens of leads: point to the list
        targets = "各项分别报该项牵头单位（见逾期未报清单）"
    return f"作为协办单位，{_ids(rows)}重点工作进展未报（{state}），请{when}报送：{targets}，并抄送{office}。"


def _fix_line(r: ChaseRow) -> str:
    role = "牵头" if r.role == "lead" else "协办"
    what = "内容不完整" if r.situation == "内容不完整" else "报送无效"
    reason = f"（{r.reason.rstrip('。.')}）" if r.reason else ""
    return f"第{r.task.id}项（{role}）{what}{reason}，请修改后重新报送。"


def reminder_for(c: Comparison, unit: str, rows: Sequence[ChaseRow]) -> Reminder:
    lines: list[str] = []
    for role in ("lead", "co"):
        missing = [r for r in rows if r.role == role and r.situation in ("逾期未报", "未到截止日")]
        if missing:
            lines.append(_missing_line(missing, c.office))
    lines.extend(_fix_line(r) for r in rows if r.situation in ("内容不完整", "无效需重报"))
    numbered = "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))
    contact = " ".join(x for x in (c.office_contact, c.office_phone) if x)
    tail = f"如有疑问请联系{c.office}" + (f"（{contact}）" if contact else "") + "。如已报送，请忽略本提醒。"
    text = (f"{unit}：截至{short_day(c.as_of)}，{c.period}重点工作进展报送中，"
            f"贵单位尚有以下事项：\n{numbered}\n{tail}")
    first = rows[0]
    return Reminder(unit=unit, contact=first.contact, phone=first.phone, text=text)


def reminders(c: Comparison) -> tuple[Reminder, ...]:
    """One reminder per unit of the chase list, in the chase list's order."""
    per_unit: dict[str, list[ChaseRow]] = {}
    for r in c.chase:
        per_unit.setdefault(r.unit, []).append(r)
    return tuple(reminder_for(c, unit, rows) for unit, rows in per_unit.items())


def reminders_text(c: Comparison) -> str:
    """The text file: a heading, then each unit's contact line and reminder, CRLF line ends.

    CRLF and a UTF-8 BOM (added by the caller's encoding) so that old Windows Notepad shows the
    Chinese text and the line breaks correctly.
    """
    items = reminders(c)
    head = f"{c.period}重点工作进展催报提醒（截至{day(c.as_of)}，共{len(items)}个单位）"
    blocks = [head, "=" * 40]
    if not items:
        blocks.append("全部条目均已有效报送，无需催报。")
    for i, rem in enumerate(items, start=1):
        who = " ".join(x for x in (rem.contact, rem.phone) if x) or "（登记表中未填联系人）"
        blocks.append(f"【{i}】{rem.unit}  联系人：{who}")
        blocks.append(rem.text)
        blocks.append("-" * 40)
    return "\r\n".join("\r\n".join(b.split("\n")) for b in blocks) + "\r\n"
