"""(mail) `outbox/邮件收取记录.xlsx`: every message fetched, what was saved from it, what was not and why.

The clerk's view of the mailbox side: the arrival time the server gave (the receipt time of the
returns in it), the sender, the subject, the files saved into `inbox/`, and for a message that
gave nothing usable (no attachment, a bounce, a photo, a file over the limit) the reason.
Messages needing a person are shaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from io import BytesIO
from pathlib import Path

from excelflow.files import publish_bytes
from excelflow.mail.fetch import FetchedMessage
from excelflow.workspace import Workspace
from excelflow.xlsx import DEFAULT_FONTS, new_workbook, standard_formats, write_record_sheet


def write_fetch_record(ws: Workspace, messages: Sequence[FetchedMessage]) -> Path | None:
    """Write the record workbook; the path written (beside the old one if open), None if unchanged."""
    buffer = BytesIO()
    book = new_workbook(buffer)
    last = max((m.received_at for m in messages), default="2000-01-01T00:00:00")
    book.set_properties({"created": datetime.fromisoformat(last), "title": "邮件收取记录"})
    fmt = standard_formats(book)
    attention = book.add_format({**DEFAULT_FONTS.body.properties(), "text_wrap": True, "valign": "vcenter",
                                 "border": 1, "border_color": "#000000", "locked": True, "bg_color": "#FCE4D6"})
    sheet = book.add_worksheet("收取记录")
    headers = ["序号", "收到时间(服务器)", "发件人", "主题", "处理结果", "保存到 inbox/ 的文件", "未保存的附件及原因"]
    listed = sum(1 for m in messages if not m.usable)
    title = f"邮件收取记录(共 {len(messages)} 封" + (f",其中 {listed} 封需要人工查看,底色标出" if listed else "") + ")"
    rows: list[list[str | int]] = []
    for i, m in enumerate(messages, start=1):
        at = datetime.fromisoformat(m.received_at)
        who = f"{m.sender_name} <{m.sender}>" if m.sender_name else m.sender
        rows.append([i, f"{at:%Y-%m-%d %H:%M:%S}", who, m.subject, m.outcome, "\n".join(m.saved),
                     "\n".join(f"{name}:{reason}" for name, reason in m.skipped)])
    write_record_sheet(sheet, fmt, title, headers, rows, [fmt.locked if m.usable else attention for m in messages],
                       maximum=50, footer="邮件收取记录")
    book.close()
    return publish_bytes(ws.fetch_record, buffer.getvalue())

