"""(mail) Reading a received message's envelope: who sent it, whether that looks forged, is it a bounce.

Parsed with the standard library's lenient `compat32` parser: malformed MIME (a missing closing
boundary, a truncated base64 body, 8-bit bytes in headers) still gives a message, and whatever
can be read from it is used.
"""

from __future__ import annotations

import email
import email.utils
from dataclasses import dataclass
from email import policy
from email.message import Message

from excelflow.mail.names import decode_words


@dataclass(frozen=True)
class Envelope:
    """The parts of a received message the clerk and the receipt need."""

    sender: str  # the From address, lower case, '' if none could be read
    sender_name: str
    subject: str
    message_id: str
    trusted: bool  # False when the From looks forged
    doubt: str  # why it looks forged (Chinese), '' when trusted
    bounce: tuple[str, ...]  # for a delivery failure report: one line per failed recipient


def parse_message(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=policy.compat32)


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower() if "@" in address else ""


def envelope(message: Message) -> Envelope:
    froms = email.utils.getaddresses([decode_words(str(v)) for v in message.get_all("From", [])])
    name, address = froms[0] if froms else ("", "")
    address = address.strip().lower()
    subject = decode_words(str(message.get("Subject", ""))).replace("\r", "").replace("\n", " ").strip()
    message_id = str(message.get("Message-ID", "")).strip()
    doubt = ""
    if len(froms) > 1:
        doubt = "邮件有多个发件人"
    elif address:
        return_path = email.utils.parseaddr(str(message.get("Return-Path", "")))[1].lower()
        sender_header = email.utils.parseaddr(decode_words(str(message.get("Sender", ""))))[1].lower()
        results = " ".join(str(v) for v in message.get_all("Authentication-Results", [])).lower()
        if any(f"{check}=fail" in results for check in ("dmarc", "spf", "dkim")):
            doubt = "邮件服务器的发件人验证未通过(Authentication-Results)"
        elif return_path and _domain(return_path) != _domain(address):
            doubt = f"投递地址 {return_path} 与发件人不是同一个域"
        elif sender_header and _domain(sender_header) != _domain(address):
            doubt = f"代发地址 {sender_header} 与发件人不是同一个域"
    return Envelope(sender=address, sender_name=name.strip(), subject=subject, message_id=message_id,
                    trusted=not doubt, doubt=doubt, bounce=bounce_lines(message, address))


def bounce_lines(message: Message, sender: str) -> tuple[str, ...]:
    """Failed recipients of a delivery status notification (RFC 3464), or () for any other message."""
    ctype = message.get_content_type()
    report = ctype == "multipart/report" and str(message.get_param("report-type") or "").lower() == "delivery-status"
    local = sender.split("@", 1)[0]
    if not report and local not in ("mailer-daemon", "postmaster"):
        return ()
    lines: list[str] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        for block in blocks:
            if not isinstance(block, Message):
                continue
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            if not recipient:
                continue
            action = str(block.get("Action", "")).strip().lower()
            if action and action not in ("failed", "delayed"):
                continue
            who = recipient.split(";", 1)[-1].strip()
            why = " ".join(str(block.get("Diagnostic-Code") or block.get("Status") or "").split())
            lines.append(f"{who}:{why[:200]}" if why else who)
    return tuple(lines) or ("(退信中没有写明是哪个地址)",)
