"""(mail) Every message sent for a round, and its result: the journal and `outbox/R/发送记录.xlsx`.

The journal `.excelflow/mail/sent/<round>.jsonl` is the truth: one JSON line per attempt (kind,
key, unit, address, time, Message-ID, result, the server's answer), appended and synced right
after the server answered, so a run killed mid-way knows what went out. The workbook is rendered
from it for the clerk after every run (written beside the old one if that is open in Excel).

"Sent before" is judged per (key, address) from the last attempt: sent → not again without
`--resend`; failed → tried again by the next run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from excelflow.files import publish_bytes, safe_filename
from excelflow.mail.compose import KIND_NAMES
from excelflow.workspace import Workspace
from excelflow.xlsx import DEFAULT_FONTS, new_workbook, standard_formats, write_record_sheet

SENT_FOLDER = "sent"
RESULT_NAMES = {"sent": "已发送", "failed": "未发出"}


@dataclass(frozen=True)
class SentRecord:
    kind: str
    key: str
    unit: str
    address: str
    at: str  # ISO, naive local
    message_id: str
    result: str  # "sent" | "failed"
    detail: str  # the server's answer when failed
    subject: str
    attachments: str  # names, 、-separated


def journal_path(ws: Workspace, round_id: str) -> Path:
    return ws.mail_state / SENT_FOLDER / safe_filename(round_id, ".jsonl")


def read_journal(ws: Workspace, round_id: str) -> list[SentRecord]:
    """Every attempt of the round, in order; a torn last line (a kill mid-write) is ignored."""
    try:
        text = journal_path(ws, round_id).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        try:
            out.append(SentRecord(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out


def append_record(ws: Workspace, round_id: str, record: SentRecord) -> None:
    """One line, appended and synced (the only writer holds the mail lock)."""
    path = journal_path(ws, round_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(asdict(record), ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def last_results(records: Sequence[SentRecord]) -> dict[tuple[str, str], SentRecord]:
    """The last attempt of each (key, address), addresses compared case-insensitively."""
    out: dict[tuple[str, str], SentRecord] = {}
    for r in records:
        out[(r.key, r.address.lower())] = r
    return out


def write_send_record(ws: Workspace, round_id: str) -> Path | None:
    """`outbox/R/发送记录.xlsx` from the journal; the path written, or None when unchanged."""
    records = read_journal(ws, round_id)
    buffer = BytesIO()
    book = new_workbook(buffer)
    last = max((r.at for r in records), default="2000-01-01T00:00:00")
    book.set_properties({"created": datetime.fromisoformat(last), "title": f"{round_id} 邮件发送记录"})
    fmt = standard_formats(book)
    # One line per message (long subjects and Message-IDs are cut at the column edge, not wrapped):
    # the record is read row by row and filtered, not printed as prose.
    line = book.add_format({**DEFAULT_FONTS.body.properties(), "border": 1, "border_color": "#BFBFBF",
                            "valign": "vcenter", "locked": True})
    sheet = book.add_worksheet("发送记录")
    headers = ["序号", "类型", "单位", "收件地址", "发送时间", "结果", "说明", "主题", "附件", "Message-ID"]
    sent = sum(1 for r in last_results(records).values() if r.result == "sent")
    failed = sum(1 for r in last_results(records).values() if r.result != "sent")
    title = f"{round_id} 邮件发送记录(已发送 {sent} 封" + (f",未发出 {failed} 封,重新运行会再试" if failed else "") + ")"
    rows: list[list[str | int]] = []
    for i, r in enumerate(records, start=1):
        at = datetime.fromisoformat(r.at)
        rows.append([i, KIND_NAMES.get(r.kind, r.kind), r.unit, r.address, f"{at:%Y-%m-%d %H:%M:%S}",
                     RESULT_NAMES.get(r.result, r.result), r.detail, r.subject, r.attachments, r.message_id])
    write_record_sheet(sheet, fmt, title, headers, rows, [line] * len(rows), maximum=40, footer=title)
    book.close()
    return publish_bytes(ws.send_record(round_id), buffer.getvalue())
