"""(mail) The messages excelflow sends, as a unit's mail client will show them.

Three kinds, each in Chinese with the office's name and contact: a unit's reporting workbook for
the round (`workbook_text`), a receipt for a return (`receipt_subject`), a reminder
(`reminder_subject`). `build_message` turns one into MIME.

Encoding is chosen for the mail clients Chinese offices use (Outlook, Foxmail, WPS, 政务邮箱 and
QQ/163 webmail): UTF-8 text in base64; every header word RFC 2047; each attachment name given
twice — RFC 2231 `filename*=` (read by standard clients) and an RFC 2047 `filename=` / `name=`
(read by the older ones, which otherwise show `ATT00001.bin`). Headers are written by hand in
the legacy (`compat32`) API because the modern one folds a long spreadsheet content type into
an encoded word no client understands.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from typing import Literal

from excelflow.mail.attachments import WORKBOOK_TYPES
from excelflow.register.model import Office, Register, Round
from excelflow.wording import day, round_name

Kind = Literal["workbook", "receipt", "reminder"]
KIND_NAMES: dict[str, str] = {"workbook": "填报表", "receipt": "回执", "reminder": "催报"}
_WORD_BYTES = 45  # UTF-8 bytes per encoded word: each word stays within RFC 2047's 75 characters


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """One message to one address, before it is sent (what a dry run prints)."""

    kind: Kind
    key: str  # the same key is never sent twice to the same address (unless --resend)
    unit: str
    address: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    in_reply_to: str = ""

    def preview(self) -> list[str]:
        """The message as the unit will read it (for `--dry-run`)."""
        lines = [f"收件人:{self.unit} <{self.address}>", f"主题:{self.subject}"]
        for a in self.attachments:
            lines.append(f"附件:{a.name}({_size(len(a.data))})")
        lines.append("正文:")
        lines += [f"  {line}" if line else "" for line in self.body.splitlines()]
        return lines


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"


def encoded_words(text: str) -> str:
    """`text` as RFC 2047 base64 words, split between characters (never inside one)."""
    chunks: list[str] = []
    chunk = ""
    for ch in text:
        if len((chunk + ch).encode("utf-8")) > _WORD_BYTES:
            chunks.append(chunk)
            chunk = ch
        else:
            chunk += ch
    if chunk:
        chunks.append(chunk)
    return " ".join(f"=?utf-8?b?{base64.b64encode(c.encode('utf-8')).decode('ascii')}?=" for c in chunks)


def _attachment_part(attachment: Attachment) -> MIMEBase:
    suffix = "." + attachment.name.rsplit(".", 1)[-1].lower() if "." in attachment.name else ""
    ctype = next((t for t, s in WORKBOOK_TYPES.items() if s == suffix and t != "application/kset"),
                 "application/octet-stream")
    maintype, subtype = ctype.split("/", 1)
    part = MIMEBase(maintype, subtype)
    part.set_payload(base64.encodebytes(attachment.data).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"
    if attachment.name.isascii():
        quoted = attachment.name.replace("\\", "_").replace('"', "_")
        part.replace_header("Content-Type", f'{ctype}; name="{quoted}"')
        part["Content-Disposition"] = f'attachment; filename="{quoted}"'
        return part
    legacy = encoded_words(attachment.name)
    standard = urllib.parse.quote(attachment.name, safe="")
    part.replace_header("Content-Type", f'{ctype};\n name="{legacy}"')
    part["Content-Disposition"] = f"attachment;\n filename=\"{legacy}\";\n filename*=utf-8''{standard}"
    return part


def build_message(item: Outgoing, sender: str, sender_name: str, now: datetime, message_id: str) -> MIMEMultipart:
    """`item` as a MIME message with its Message-ID and date."""
    # No refolding: the legacy folder would start Subject with an empty line (a leading space in
    # several readers); lines stay far under SMTP's 998 characters, encoded words under 75.
    message = MIMEMultipart("mixed", policy=policy.compat32.clone(max_line_length=998))
    message["From"] = f"{encoded_words(sender_name)} <{sender}>" if sender_name else sender
    message["To"] = item.address
    message["Subject"] = encoded_words(item.subject)  # short words: a long one is cut by some gateways
    message["Date"] = format_datetime(now.astimezone())
    message["Message-ID"] = message_id
    if item.in_reply_to:
        message["In-Reply-To"] = item.in_reply_to
        message["References"] = item.in_reply_to
    message["X-Mailer"] = "excelflow"
    if item.kind == "receipt":
        message["Auto-Submitted"] = "auto-replied"  # RFC 3834: vacation responders do not answer it
    message.attach(MIMEText(item.body, "plain", "utf-8"))
    for attachment in item.attachments:
        message.attach(_attachment_part(attachment))
    return message


# -- the texts ---------------------------------------------------------------------------------------
def signature(office: Office, now: datetime) -> str:
    contact = office.contact_line()
    lines = ["", f"联系人:{contact}" if contact else "", "", office.name, day(now.date())]
    return "\n".join(lines)


def workbook_subject(office: Office, rnd: Round, unit: str, roles: Sequence[str]) -> str:
    deadline = rnd.co_deadline if "co" in roles else rnd.lead_deadline
    return (f"【{office.name}】{round_name(rnd)}重点工作进展填报表({unit}),"
            f"请于{deadline.month}月{deadline.day}日前报送")


def workbook_text(register: Register, rnd: Round, unit: str, file_name: str, now: datetime,
                  auto_receipts: bool) -> str:
    """The letter that goes with a unit's workbook."""
    office = register.office
    entries = register.entries_of(unit)
    lead = len({e.task_id for e in entries if e.role == "lead"})
    co = len({e.task_id for e in entries if e.role == "co"})
    counts = "、".join(x for x in (f"牵头任务 {lead} 项" if lead else "", f"协办任务 {co} 项" if co else "") if x)
    lines = [
        f"{unit}:",
        "",
        (f"根据《{register.title}》," if register.title else "") +
        f"现将{round_name(rnd)}重点工作进展填报表发给贵单位(见附件「{file_name}」),本轮贵单位共有{counts}。",
        "",
        "报送要求:",
    ]
    n = 1
    if co:
        lines.append(f"{n}. 协办任务:请于{day(rnd.co_deadline)}前填好,报送该项任务的牵头单位,"
                     f"同时回复本邮件(抄送{office.name});")
        n += 1
    if lead:
        lines.append(f"{n}. 牵头任务:请综合各协办单位情况,于{day(rnd.lead_deadline)}前回复本邮件报{office.name};")
        n += 1
    lines += [
        f"{n}. 请直接在附件表格中填写,不要删除工作表、改动表头或重新录入表格;「完成状态」请从下拉列表中选择;",
        f"{n + 1}. 填好后直接回复本邮件,把表格作为附件发回(.xlsx、.xls、.ods 均可,也可压缩成 .zip),"
        "请不要只发截图或照片;",
        f"{n + 2}. 报送时间以本邮箱收到邮件的时间为准;"
        + ("收到后系统会自动回复回执,写明每项任务是否已接收、是否需要补正。" if auto_receipts
           else "收到后我们会回复回执,写明每项任务是否已接收、是否需要补正。"),
    ]
    return "\n".join(lines) + "\n" + signature(office, now) + "\n"


def receipt_subject(title: str, outcome: str) -> str:
    return f"{title}——{outcome}"


def receipt_body(receipt_text: str, office: Office, now: datetime) -> str:
    head = "您好!您发来的报送已收到,处理结果如下(详见附件回执):\n\n"
    return head + receipt_text.rstrip("\n") + "\n" + signature(office, now) + "\n"


def reminder_subject(office: Office, rnd: Round, unit: str) -> str:
    return f"【{office.name}】催报:{round_name(rnd)}重点工作进展({unit})"


def reminder_body(text: str, office: Office, now: datetime, attached: str | None) -> str:
    extra = f"\n\n如找不到填报表,请使用附件「{attached}」填写后回复本邮件。" if attached else ""
    return text.rstrip("\n") + extra + "\n" + signature(office, now) + "\n"
