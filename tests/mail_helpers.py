"""Helpers for the mail tests: a small campaign with units' addresses, units that reply, mailboxes read.

The campaign's deadlines are set around *today* because the real servers stamp every delivered
message with the real clock (INTERNALDATE): the co-units' deadline was yesterday (their replies
today are late by server time), the lead units' deadline is today (on time, even when collected
tomorrow morning).
"""

from __future__ import annotations

import base64
import imaplib
import io
import smtplib
import ssl
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

from mail_servers import DOMAIN, MailServers

from excelflow.demo import fill_workbook
from excelflow.forms.generate import generate_round
from excelflow.mail.messages import parse_message
from excelflow.register.campaign import init_workspace
from excelflow.register.model import Register, Round, Task, Unit
from excelflow.register.write import write_register
from excelflow.workspace import Workspace

ROUND = "2099-R1"  # any id: the round's deadlines, not its name, are what matter here
PASSWORD = "授权码-Abc123"  # non-ASCII on purpose: it must reach the server and nowhere else


def address(local: str) -> str:
    return f"{local}@{DOMAIN}"


@dataclass(frozen=True)
class Campaign:
    ws: Workspace
    today: date
    office: str  # the office mailbox address


UNITS = {
    # unit: (local parts of its addresses)
    "区工信局": ("gxj",),
    "区财政局": ("czj", "czj.office"),
    "区商务局": ("swj",),
    "区教体局": ("jtj",),
    "区民政局": ("mzj",),
    "区交通局": ("jtyj",),
    "区水利局": ("slj",),
    "区自然资源局": (),  # no address: told, never guessed
}


def campaign_register(servers: MailServers, office_local: str, today: date, *, suffix: str = "",
                      extra_settings: dict[str, str] | None = None) -> Register:
    units = tuple(Unit(name=name, emails=tuple(address(f"{local}{suffix}") for local in locals_))
                  for name, locals_ in UNITS.items())
    tasks = (
        Task(1, "一、工业", None, "推进工业园区建设", lead=("区工信局",), co=("区商务局", "区教体局")),
        Task(2, "一、工业", None, "落实减税降费政策", lead=("区财政局",), co=("区工信局", "区自然资源局")),
        Task(3, "二、民生", None, "做好社会救助工作", lead=("区民政局",), co=("区交通局", "区水利局")),
    )
    rounds = (Round(ROUND, "第一轮", co_deadline=today - timedelta(days=1), lead_deadline=today),)
    settings = {
        "督查室": "区政府督查室", "督查室联系人": "陈哲琪", "电话": "0793-2612345",
        "邮箱": address(office_local + suffix),
        "收信服务器": f"127.0.0.1:{servers.imap_port}",
        "发信服务器": f"127.0.0.1:{servers.smtp_port}",
        "加密方式": "STARTTLS",
        "邮箱账号": address(office_local + suffix),
        "CA证书文件": str(servers.ca_file),
        **(extra_settings or {}),
    }
    return Register(title="区政府办公室关于印发重点工作责任分工的通知", units=units, tasks=tasks, rounds=rounds,
                    settings=settings)


def make_campaign(root: Path, servers: MailServers, office_local: str, *, suffix: str = "",
                  extra_settings: dict[str, str] | None = None) -> Campaign:
    """A working folder with the small register, its round generated, every mailbox created."""
    ws = Workspace(root)
    init_workspace(ws, example=True)
    today = date.today()
    register = campaign_register(servers, office_local, today, suffix=suffix, extra_settings=extra_settings)
    write_register(ws.register_path, register)
    generate_round(ws, register, ROUND, now=datetime.now().replace(microsecond=0))
    office = address(office_local + suffix)
    servers.add_user(office, PASSWORD)
    for unit in register.units:
        for email in unit.emails:
            servers.add_user(email, "unit-pw")
    # Dovecot looks at its passwd-file at most once a second: let the next lookup see the new users.
    time.sleep(1.1)
    return Campaign(ws, today, office)


# -- mailboxes ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Received:
    uid: int
    internaldate: datetime  # naive local, as excelflow keeps times
    message: Message


def imap_login(conn: imaplib.IMAP4, user: str, password: str) -> None:
    token = b"\0" + user.encode() + b"\0" + password.encode()
    conn.authenticate("PLAIN", lambda _: token)  # UTF-8 passwords: LOGIN is ASCII-only in imaplib


def read_mailbox(servers: MailServers, user: str) -> list[Received]:
    password = servers.users[user.lower()]
    conn = imaplib.IMAP4("127.0.0.1", servers.imap_port)
    try:
        imap_login(conn, user, password)
        conn.select("INBOX", readonly=True)
        typ, data = conn.uid("SEARCH", "ALL")
        uids = [int(x) for x in data[0].split()] if data and data[0] else []
        out = []
        for uid in uids:
            typ, fetched = conn.uid("FETCH", str(uid), "(INTERNALDATE BODY.PEEK[])")
            head = fetched[0][0]
            stamp = imaplib.Internaldate2tuple(head)
            assert stamp is not None
            out.append(Received(uid, datetime.fromtimestamp(time.mktime(stamp)), parse_message(fetched[0][1])))
        return out
    finally:
        conn.logout()


def wait_for(servers: MailServers, user: str, count: int, timeout: float = 30.0) -> list[Received]:
    """The mailbox once it holds at least `count` messages (Postfix delivers in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        got = read_mailbox(servers, user)
        if len(got) >= count or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def settle(servers: MailServers, users: Sequence[str], seconds: float = 1.5) -> dict[str, int]:
    """Message counts once nothing more arrives (to show that nothing was sent)."""
    time.sleep(seconds)
    return {u: len(read_mailbox(servers, u)) for u in users}


def append(servers: MailServers, user: str, raw: bytes, when: datetime) -> None:
    """Put a message in a mailbox as arrived at `when` (the server's INTERNALDATE)."""
    conn = imaplib.IMAP4("127.0.0.1", servers.imap_port)
    try:
        imap_login(conn, user, servers.users[user.lower()])
        typ, data = conn.append("INBOX", "", imaplib.Time2Internaldate(when.timestamp()), raw)
        assert typ == "OK", data
    finally:
        conn.logout()


def smtp_send(servers: MailServers, user: str, raw: bytes, to: str, envelope_from: str | None = None) -> None:
    """Send as a unit would: STARTTLS, log in, hand the bytes over."""
    with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=30) as conn:
        conn.starttls(context=ssl.create_default_context(cafile=str(servers.ca_file)))
        conn.login(user, servers.users[user.lower()])
        conn.sendmail(envelope_from or user, [to], raw)


# -- what units send ------------------------------------------------------------------------------------
def filled(ws: Workspace, unit: str, target: Path, status: str = "序时推进") -> bytes:
    def values(task_id: int, _sheet: str) -> dict[str, Any]:
        return {"完成状态": status, "完成进度(%)": 60, "进展情况": f"任务{task_id}按计划推进。", "下步打算": "继续推进。"}

    fill_workbook(ws.template_file(ROUND, unit), target, values)
    return target.read_bytes()


def gbk_words(text: str) -> str:
    """RFC 2047 base64 words in GBK, as Outlook and Foxmail on Chinese Windows write names."""
    return "=?GBK?B?" + base64.b64encode(text.encode("gbk")).decode("ascii") + "?="


def raw_message(sender: str, to: str, subject: str, parts: Sequence[tuple[str, bytes]], *,
                name_style: str = "rfc2231", in_reply_to: str = "", body: str = "请查收。",
                extra_headers: str = "") -> bytes:
    """A reply as a unit's mail client sends it; `parts` are (header lines, payload) attachments."""
    boundary = "=_excelflow_test_boundary"
    head = (f"From: {sender}\r\nTo: {to}\r\nSubject: {gbk_words(subject)}\r\n"
            f"Message-ID: <{time.time_ns()}.{abs(hash(subject))}@{sender.split('@')[1]}>\r\n"
            f"Date: {datetime.now().astimezone():%a, %d %b %Y %H:%M:%S %z}\r\n"
            + (f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else "") + extra_headers +
            f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n")
    text = base64.b64encode(body.encode("gbk")).decode("ascii")
    chunks = [head.encode("ascii"),
              f"--{boundary}\r\nContent-Type: text/plain; charset=\"GBK\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
              f"{text}\r\n".encode("ascii")]
    for headers, payload in parts:
        encoded = base64.encodebytes(payload).decode("ascii").replace("\n", "\r\n")
        chunks.append(f"--{boundary}\r\n{headers}Content-Transfer-Encoding: base64\r\n\r\n{encoded}".encode("utf-8"))
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(chunks)


def attachment_headers(name: str, style: str) -> str:
    """The attachment's headers with its name written in one of the ways clients write it."""
    ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if style == "gbk-2047":  # Outlook / Foxmail on Chinese Windows
        return (f"Content-Type: {ctype}; name=\"{gbk_words(name)}\"\r\n"
                f"Content-Disposition: attachment; filename=\"{gbk_words(name)}\"\r\n")
    if style == "gb2312-2231":  # RFC 2231 labelled GB2312 (bytes really GBK)
        from urllib.parse import quote

        return (f"Content-Type: {ctype}\r\n"
                f"Content-Disposition: attachment; filename*=gb2312''{quote(name.encode('gbk'))}\r\n")
    if style == "zip":
        return (f"Content-Type: application/zip; name=\"{gbk_words(name)}\"\r\n"
                f"Content-Disposition: attachment; filename=\"{gbk_words(name)}\"\r\n")
    from urllib.parse import quote

    return f"Content-Type: {ctype}\r\nContent-Disposition: attachment; filename*=utf-8''{quote(name)}\r\n"


class _GbkName(zipfile.ZipInfo):
    """A member whose name is written as raw GBK bytes with no UTF-8 flag (Windows tools in China)."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("cp437"), self.flag_bits


def gbk_zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip as Windows' built-in tool or WinRAR writes it in China: member names in GBK, no UTF-8 flag."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = _GbkName(name.encode("gbk").decode("cp437"), date_time=(2021, 6, 14, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
