"""The mail channel against a real IMAP server (Dovecot) and a real SMTP server (Postfix) on 127.0.0.1.

The servers are started by the tests (`mail_servers.py`); `.ci/run` installs them. Outside CI a
machine without them skips these tests with the reason; in CI a missing server is a failure,
so a green CI always means the servers really ran.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from mail_helpers import (
    PASSWORD,
    ROUND,
    UNITS,
    Campaign,
    address,
    append,
    attachment_headers,
    filled,
    gbk_zip,
    make_campaign,
    raw_message,
    read_mailbox,
    settle,
    smtp_send,
    wait_for,
)
from mail_servers import MailServers, missing_reason, start_mail_servers
from python_calamine import CalamineWorkbook

from excelflow.cli import main
from excelflow.mail.names import attachment_name
from excelflow.register.load import load_register
from excelflow.register.write import write_register
from excelflow.store.archive import Archive

_REASON = missing_reason()
if _REASON is not None and os.environ.get("CI"):
    pytest.fail(f"CI must run the mail tests against real servers: {_REASON}", pytrace=False)
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


@pytest.fixture(scope="module")
def servers() -> Iterator[MailServers]:
    running = start_mail_servers()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCELFLOW_MAIL_PASSWORD", PASSWORD)


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


def unit_addresses() -> list[str]:
    return [address(local) for locals_ in UNITS.values() for local in locals_]


def states(c: Campaign, now: datetime) -> dict[tuple[int, str, str], dict[str, object]]:
    code, out = run("status", "--round", ROUND, "--json", "--root", str(c.ws.root), "--now", now.isoformat())
    assert code == 0, out
    return {(e["task"], e["unit"], e["role"]): e for e in json.loads(out)["entries"]}


def test_a_round_by_mail_send_fetch_collect_receipts_reminders(tmp_path: Path, servers: MailServers,
                                                                password_env: None) -> None:
    c = make_campaign(tmp_path / "督查 2099", servers, "ducha")
    root = str(c.ws.root)
    register = load_register(c.ws.register_path)
    # One address of 区教体局 is in a domain the server will not take: refused at RCPT, recorded.
    register = _with_emails(register, "区教体局", (address("jtj"), "jtj@nowhere.invalid"))
    write_register(c.ws.register_path, register)

    # -- send: a dry run sends nothing and shows each message in full --------------------------------
    code, out = run("mail", "send", "--round", ROUND, "--root", root, "--dry-run")
    assert code == 0, out
    assert "待发送 9 封(给 7 个单位)" in out
    assert "收件人:区财政局 <czj.office@gf.gov.test>" in out and "附件:2099年第一轮重点工作进展填报表-区工信局.xlsx" in out
    assert "区自然资源局" in out and "没有填写邮箱" in out
    assert "以上邮件都没有发送" in out
    assert PASSWORD not in out
    assert settle(servers, [address("gxj")], 0.5)[address("gxj")] == 0

    # -- a real send asks first; answering no sends nothing ---------------------------------------
    code, out = run("mail", "send", "--round", ROUND, "--root", root, input="n\n")
    assert code == 0 and "确认发送以上 9 封邮件" in out and "已取消" in out
    # -- then with --yes: every address but the refused one gets its workbook ----------------------
    started = time.monotonic()
    code, out = run("mail", "send", "--round", ROUND, "--root", root, "--yes")
    send_seconds = time.monotonic() - started
    assert code == 1, out  # something failed: said, and the exit code says so
    assert "已发送 8 封,未发出 1 封" in out and "jtj@nowhere.invalid" in out
    inbox = wait_for(servers, address("gxj"), 1)
    assert len(inbox) == 1
    letter = inbox[0].message
    from excelflow.mail.names import decode_words
    assert decode_words(str(letter["Subject"])).startswith("【区政府督查室】2099年第一轮重点工作进展填报表(区工信局)")
    parts = [p for p in letter.walk() if attachment_name(p)]
    assert [attachment_name(p) for p in parts] == ["2099年第一轮重点工作进展填报表-区工信局.xlsx"]
    assert parts[0].get_payload(decode=True) == c.ws.template_file(ROUND, "区工信局").read_bytes()
    body = next(p for p in letter.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "区工信局:" in body and "牵头任务 1 项、协办任务 1 项" in body and "联系人:陈哲琪" in body
    both = [len(wait_for(servers, address(x), 1)) for x in ("czj", "czj.office")]
    assert both == [1, 1]  # a unit with two addresses: one message to each
    record = c.ws.send_record(ROUND)
    rows = CalamineWorkbook.from_path(str(record)).get_sheet_by_index(0).to_python()
    header = rows[1]
    assert header[:6] == ["序号", "类型", "单位", "收件地址", "发送时间", "结果"]
    results = {(r[2], r[3]): r[5] for r in rows[2:]}
    assert results[("区工信局", address("gxj"))] == "已发送"
    assert results[("区教体局", "jtj@nowhere.invalid")] == "未发出"
    assert all(str(r[9]).startswith("<") for r in rows[2:] if r[5] == "已发送")  # Message-ID kept

    # -- a rerun sends only what failed; once fixed, nothing is left -------------------------------
    code, out = run("mail", "send", "--round", ROUND, "--root", root, "--yes")
    assert code == 1 and "待发送 1 封" in out and "已发送过 8 封不再重复发送" in out
    register = _with_emails(register, "区教体局", (address("jtj"),))
    write_register(c.ws.register_path, register)
    code, out = run("mail", "send", "--round", ROUND, "--root", root, "--yes")
    assert code == 0 and "待发送 0 封" in out
    counts_after_send = settle(servers, unit_addresses(), 0.5)
    assert set(counts_after_send.values()) == {1}

    # -- units reply ---------------------------------------------------------------------------
    their = {a: wait_for(servers, a, 1)[0].message for a in unit_addresses()}
    office = c.office
    work = tmp_path / "units"
    work.mkdir()
    # 区工信局: its client names the attachment in GBK encoded words (Outlook, Foxmail)
    gxj = filled(c.ws, "区工信局", work / "gxj.xlsx")
    smtp_send(servers, address("gxj"), raw_message(address("gxj"), office, "回复:区工信局报送", [
        (attachment_headers("区工信局2099年第一轮报送(终稿).xlsx", "gbk-2047"), gxj)],
        in_reply_to=str(their[address("gxj")]["Message-ID"])), office)
    # 区财政局: the workbook packed in a zip whose member name is GBK (Windows' own zip tool)
    czj = filled(c.ws, "区财政局", work / "czj.xlsx")
    smtp_send(servers, address("czj"), raw_message(address("czj"), office, "区财政局报送", [
        (attachment_headers("区财政局报送.zip", "zip"), gbk_zip([("区财政局/区财政局填报表.xlsx", czj),
                                                              ("说明.docx", b"not a workbook")]))]), office)
    # 区商务局: says it sent, attaches nothing
    smtp_send(servers, address("swj"), raw_message(address("swj"), office, "已报送,请查收", []), office)
    # 区教体局: replies quoting the office's message, the blank workbook still attached, plus its own
    jtj = filled(c.ws, "区教体局", work / "jtj.xlsx")
    blank = c.ws.template_file(ROUND, "区教体局").read_bytes()
    smtp_send(servers, address("jtj"), raw_message(address("jtj"), office, "Re: 填报表", [
        (attachment_headers("2099年第一轮重点工作进展填报表-区教体局.xlsx", "utf-8"), blank),
        (attachment_headers("区教体局-已填.xlsx", "gb2312-2231"), jtj)],
        in_reply_to=str(their[address("jtj")]["Message-ID"])), office)
    # 区民政局: sends, then sends the very same file again (no receipt seen yet)
    mzj = filled(c.ws, "区民政局", work / "mzj.xlsx")
    for subject in ("区民政局报送", "区民政局报送(重发)"):
        smtp_send(servers, address("mzj"), raw_message(address("mzj"), office, subject, [
            (attachment_headers("区民政局.xlsx", "utf-8"), mzj)]), office)
    # 区交通局: its reply reached the server at 23:50 on its deadline day (yesterday)
    jtyj = filled(c.ws, "区交通局", work / "jtyj.xlsx")
    late_evening = datetime.combine(c.today - timedelta(days=1), datetime.min.time()) + timedelta(hours=23, minutes=50)
    append(servers, office, raw_message(address("jtyj"), office, "区交通局报送", [
        (attachment_headers("区交通局.xlsx", "utf-8"), jtyj)]), late_evening)
    # 区水利局 stays silent; 区自然资源局 has no address.
    arrived = wait_for(servers, office, 7)
    assert len(arrived) == 7
    server_time = {_sender(m): m.internaldate for m in arrived}

    # -- fetch ---------------------------------------------------------------------------------
    started = time.monotonic()
    code, out = run("mail", "fetch", "--root", root)
    fetch_seconds = time.monotonic() - started
    assert code == 0, out
    assert "新邮件 7 封,保存表格 5 个" in out
    assert "swj@gf.gov.test" in out and "已报送,请查收" in out and "没有附件" in out  # listed for the clerk
    assert "完全相同" in out  # the resent file
    assert "下发的原表" in out  # the quoted blank workbook
    assert "说明.docx" in out and "不是表格" in out
    saved = sorted(p.relative_to(c.ws.inbox).as_posix() for p in c.ws.mail_inbox.rglob("*.xlsx"))
    day = c.today.isoformat()
    assert f"邮件/{day}/区工信局(gxj@gf.gov.test)/区工信局2099年第一轮报送(终稿).xlsx" in saved
    assert f"邮件/{day}/区财政局(czj@gf.gov.test)/区财政局填报表.xlsx" in saved
    assert f"邮件/{day}/区教体局(jtj@gf.gov.test)/区教体局-已填.xlsx" in saved
    assert any(p.startswith(f"邮件/{(c.today - timedelta(days=1)).isoformat()}/区交通局") for p in saved)
    assert len(saved) == 5
    fetched_rows = CalamineWorkbook.from_path(str(c.ws.fetch_record)).get_sheet_by_index(0).to_python()
    assert len(fetched_rows) == 2 + 7

    # -- collect the next morning: receipt times are the server's -------------------------------------
    next_morning = datetime.combine(c.today + timedelta(days=1), datetime.min.time()) + timedelta(hours=9)
    code, out = run("collect", "--root", root, "--round", ROUND, "--now", next_morning.isoformat(), "--wait", "5")
    assert code == 0, out
    s = states(c, next_morning)
    assert s[(1, "区工信局", "lead")]["state"] == "on_time"  # arrived today, the lead deadline
    assert s[(2, "区工信局", "co")]["state"] == "late"  # the co deadline was yesterday
    assert s[(2, "区财政局", "lead")]["state"] == "on_time"  # out of the zip
    assert s[(1, "区教体局", "co")]["state"] == "late"
    assert s[(3, "区民政局", "lead")]["state"] == "on_time"
    assert s[(3, "区交通局", "co")]["state"] == "on_time"  # 23:50 on the deadline day, fetched next day
    assert s[(1, "区商务局", "co")]["state"] == "missing"
    assert s[(3, "区水利局", "co")]["state"] == "missing"
    assert s[(2, "区自然资源局", "co")]["state"] == "missing"
    received = {sub.unit: sub.received_at for sub in Archive(c.ws).submissions()}
    assert received["区交通局"] == late_evening
    assert received["区工信局"] == server_time[address("gxj")]
    assert received["区民政局"] == min(t for a, t in server_time.items() if a == address("mzj"))

    # -- receipts go back to each sender, as replies -----------------------------------------------
    before = {a: len(read_mailbox(servers, a)) for a in unit_addresses()}
    code, out = run("mail", "receipts", "--round", ROUND, "--root", root, "--yes",
                    "--now", next_morning.isoformat())
    assert code == 0, out
    assert "已发送 5 封" in out
    for who in ("gxj", "czj", "jtj", "mzj", "jtyj"):
        got = wait_for(servers, address(who), before[address(who)] + 1)
        receipt = got[-1].message
        assert decode_words(str(receipt["Subject"])).startswith("回执:")
        assert [attachment_name(p) for p in receipt.walk() if attachment_name(p)][0].startswith("回执-")
    gxj_receipt = read_mailbox(servers, address("gxj"))[-1].message
    assert gxj_receipt["In-Reply-To"]  # a reply to the unit's own message
    assert "已接收" in next(p for p in gxj_receipt.walk()
                         if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    for quiet in ("swj", "slj", "czj.office"):
        assert len(read_mailbox(servers, address(quiet))) == before[address(quiet)]

    # -- reminders go only to the late and the silent ---------------------------------------------------
    before = settle(servers, unit_addresses(), 1.0)
    code, out = run("mail", "remind", "--round", ROUND, "--root", root, "--dry-run", "--now", next_morning.isoformat())
    assert code == 0 and "待发送 2 封(给 2 个单位)" in out and "区自然资源局" in out and "电话催报" in out
    code, out = run("mail", "remind", "--round", ROUND, "--root", root, "--yes", "--now", next_morning.isoformat())
    assert code == 0, out
    after = settle(servers, unit_addresses(), 1.5)
    reminded = sorted(a for a in unit_addresses() if after[a] > before[a])
    assert reminded == [address("slj"), address("swj")]
    reminder = read_mailbox(servers, address("slj"))[-1].message
    assert "催报" in decode_words(str(reminder["Subject"]))
    assert [attachment_name(p) for p in reminder.walk() if attachment_name(p)] == \
        ["2099年第一轮重点工作进展填报表-区水利局.xlsx"]  # a silent unit gets its workbook again

    # -- a second fetch, send, receipts and remind do nothing ----------------------------------------------
    code, out = run("mail", "fetch", "--root", root)
    assert code == 0 and "没有新邮件" in out
    code, out = run("mail", "send", "--round", ROUND, "--root", root, "--yes")
    assert code == 0 and "待发送 0 封" in out
    code, out = run("mail", "receipts", "--round", ROUND, "--root", root, "--yes")
    assert code == 0 and "待发送 0 封" in out
    code, out = run("mail", "remind", "--round", ROUND, "--root", root, "--yes", "--now", next_morning.isoformat())
    assert code == 0 and "待发送 0 封" in out
    assert settle(servers, unit_addresses(), 1.0) == after

    # The password is nowhere on disk: not in the register, the log, the records, the state.
    for path in c.ws.root.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode("utf-8") not in path.read_bytes(), path
    print(f"\nmail send: {send_seconds:.2f}s for 9 messages; fetch: {fetch_seconds:.2f}s for 7 messages")


def _sender(r: object) -> str:
    from email.utils import parseaddr

    return parseaddr(str(r.message["From"]))[1].lower()  # type: ignore[attr-defined]


def _with_emails(register: object, unit: str, emails: tuple[str, ...]) -> object:
    from dataclasses import replace

    units = tuple(replace(u, emails=emails) if u.name == unit else u for u in register.units)  # type: ignore[attr-defined]
    return replace(register, units=units)  # type: ignore[type-var]


def _retyped(source: Path, target: Path) -> bytes:
    """A unit's own copy of its form: no identity sheet, 填报单位 left empty (only the sender can hint)."""
    import openpyxl

    book = openpyxl.load_workbook(source)
    del book["_excelflow"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=1, max_row=6):
            for cell in row:
                if cell.value == "填报单位":
                    sheet.cell(cell.row, cell.column + 1).value = None
    book.save(target)
    return target.read_bytes()


def _lying_zip(member: str, size: int) -> bytes:
    """A zip bomb: a member of `size` zero bytes whose headers claim 1 KB."""
    import io
    import struct
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, b"\0" * size)
    raw = bytearray(buffer.getvalue())
    struct.pack_into("<I", raw, 22, 1024)  # local header: uncompressed size
    central = raw.find(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 1024)  # central directory: uncompressed size
    return bytes(raw)


def _dsn(office: str, failed: str) -> bytes:
    return (f"From: MAILER-DAEMON@gf.gov.test\r\nTo: {office}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.gf.gov.test\r\n\r\n"
            f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n--B--\r\n").encode("ascii")


def test_hostile_mail_each_gets_a_clear_outcome_and_nothing_stops(tmp_path: Path, servers: MailServers,
                                                                  password_env: None) -> None:
    c = make_campaign(tmp_path / "hostile", servers, "office", suffix="2",
                      extra_settings={"附件大小上限(MB)": "1", "自动发送回执": "是"})
    root, office, work = str(c.ws.root), c.office, tmp_path / "work"
    work.mkdir()
    now = datetime.now()
    gxj, swj, czj, mzj = (address(x + "2") for x in ("gxj", "swj", "czj", "mzj"))
    headers = attachment_headers
    # Raw 8-bit GBK in the file name (no encoding at all), and GB2312-labelled RFC 2231 holding a
    # character outside GB2312 (镕): both decoded to what the unit typed.
    raw8 = raw_message(gxj, office, "工信局", [("Content-Type: application/vnd.ms-excel\r\n"
                                              "Content-Disposition: attachment; filename=\"PLACEHOLDER\"\r\n",
                                              filled(c.ws, "区工信局", work / "a.xlsx"))])
    raw8 = raw8.replace(b"PLACEHOLDER", "区工信局报送.xlsx".encode("gbk"))
    append(servers, office, raw8, now)
    append(servers, office, raw_message(czj, office, "财政局", [
        (headers("区财政局报送-镕.xlsx", "gb2312-2231"), filled(c.ws, "区财政局", work / "b.xlsx"))]), now)
    # Over the cap (1 MB here), a zip bomb, a zip with a zip inside, a .rar, a photo: each said, none saved.
    append(servers, office, raw_message(mzj, office, "大附件和压缩包", [
        (headers("很大的表.xlsx", "utf-8"), os.urandom(1_500_000)),
        (headers("炸弹.zip", "zip"), _lying_zip("区民政局.xlsx", 5_000_000)),
        (headers("大压缩包.zip", "zip"), gbk_zip([("区民政局.xlsx", b"\0" * 3_000_000)])),
        (headers("套娃.zip", "zip"), gbk_zip([("里层.zip", b"PK\x05\x06" + b"\0" * 18)])),
        ("Content-Type: application/x-rar-compressed\r\nContent-Disposition: attachment; filename=\"报表.rar\"\r\n",
         b"Rar!\x1a\x07\x00"),
        ("Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"photo.jpg\"\r\n", b"\xff\xd8\xff")]),
        now)
    # Malformed MIME: the workbook's base64 is cut off and the closing boundary is missing.
    cut = raw_message(mzj, office, "截断的邮件", [(headers("区民政局.xlsx", "utf-8"), filled(c.ws, "区民政局", work / "m.xlsx"))])
    append(servers, office, cut[: len(cut) * 2 // 3], now)
    # Forged: From says 区商务局, the envelope (Return-Path) says someone else; the identity sheet decides.
    forged = raw_message(swj, office, "冒名报送", [(headers("报送.xlsx", "utf-8"), filled(c.ws, "区民政局", work / "f.xlsx",
                                                                                       status="已完成"))],
                         extra_headers="Return-Path: <someone@qq.test>\r\n")
    append(servers, office, forged, now)
    # A form without identity nor 填报单位, from 区财政局's registered address: the sender is the only hint.
    retyped = _retyped(c.ws.template_file(ROUND, "区财政局"), work / "r.xlsx")
    append(servers, office, raw_message(czj, office, "自制表", [(headers("我们的表.xlsx", "utf-8"), retyped)]), now)
    # An .xlsb return (saved, then refused by collect with its reason), and a bounce.
    append(servers, office, raw_message(gxj, office, "二进制表", [
        ("Content-Type: application/vnd.ms-excel.sheet.binary.macroEnabled.12\r\n"
         "Content-Disposition: attachment; filename=\"区工信局.xlsb\"\r\n", gbk_zip([("xl/workbook.bin", b"\0" * 64)]))]),
        now)
    append(servers, office, _dsn(office, "nobody@gf.gov.test"), now)

    code, out = run("mail", "fetch", "--root", root)
    assert code == 0, out
    assert "新邮件 8 封" in out
    assert "很大的表.xlsx:附件约 1.5 MB,超过上限 1.0 MB" in out
    assert "炸弹.zip → 区民政局.xlsx:压缩包内容与它声明的大小或校验码不符(可能是解压炸弹" in out
    assert "大压缩包.zip → 区民政局.xlsx:解压后 2.9 MB,超过上限" in out
    assert "压缩包里的压缩包不解开" in out and "压缩格式不支持" in out and "photo.jpg:不是表格文件" in out
    assert "区民政局.xlsx:附件不完整" in out and "报表.rar:压缩格式不支持" in out
    assert "退信:nobody@gf.gov.test:smtp; 550 5.1.1 User unknown" in out
    assert "发件人可能被冒用" in out
    names = {p.name: p for p in c.ws.mail_inbox.rglob("*") if p.is_file()}
    assert "区工信局报送.xlsx" in names and "区财政局报送-镕.xlsx" in names and "区工信局.xlsb" in names
    assert names["报送.xlsx"].parent.name == swj  # a doubtful sender's folder carries no unit name
    assert names["我们的表.xlsx"].parent.name == f"区财政局({czj})"
    assert not any(n.endswith((".zip", ".rar", ".jpg")) for n in names)

    # Collect: every saved file ends with a clear outcome; receipts go out automatically.
    code, out = run("collect", "--root", root, "--round", ROUND, "--wait", "5")
    assert code == 0, out
    subs = {s.path.rsplit("/", 1)[-1]: s for s in Archive(c.ws).submissions()}
    assert subs["报送.xlsx"].unit == "区民政局"  # the identity sheet, not the forged sender
    assert any("可能被冒用" in p.message for p in subs["报送.xlsx"].problems)
    assert subs["我们的表.xlsx"].unit == "区财政局" and subs["我们的表.xlsx"].confidence == "filename"
    assert any("按发件邮箱" in p.message for p in subs["我们的表.xlsx"].problems)
    assert subs["区工信局.xlsb"].outcome == "rejected"
    assert "已发送" in out  # the automatic receipts
    receipt = wait_for(servers, gxj, 1)[-1].message
    assert receipt["Auto-Submitted"] == "auto-replied"
    code, out = run("mail", "fetch", "--root", root)
    assert "没有新邮件" in out


def test_implicit_tls_needs_a_trusted_certificate(tmp_path: Path, servers: MailServers, password_env: None) -> None:
    c = make_campaign(tmp_path / "tls", servers, "tlsoffice")
    root = str(c.ws.root)
    code, out = run("mail", "fetch", "--root", root, "--imap", f"127.0.0.1:{servers.imaps_port}", "--security", "tls")
    assert code == 0 and "没有新邮件" in out, out
    code, out = run("mail", "fetch", "--root", root, "--user", "nobody@gf.gov.test")
    assert code == 1 and "登录失败" in out and PASSWORD not in out
    register = load_register(c.ws.register_path)
    settings = dict(register.settings)
    del settings["CA证书文件"]  # the test CA is not among the system's
    from dataclasses import replace

    write_register(c.ws.register_path, replace(register, settings=settings))
    code, out = run("mail", "fetch", "--root", root, "--imap", f"127.0.0.1:{servers.imaps_port}", "--security", "tls")
    assert code == 1 and "证书无法验证" in out, out
    code, out = run("mail", "fetch", "--root", root, "--imap", "127.0.0.1:1", "--security", "tls")
    assert code == 1 and "无法连接收信服务器" in out


def test_fetched_messages_can_be_moved_to_a_chinese_named_folder(tmp_path: Path, servers: MailServers,
                                                                 password_env: None) -> None:
    import imaplib

    from mail_helpers import imap_login

    from excelflow.mail.imap import encode_folder

    c = make_campaign(tmp_path / "move", servers, "moveoffice", extra_settings={"收取后移至": "已收取"})
    work = tmp_path / "w"
    work.mkdir()
    append(servers, c.office, raw_message(address("gxj"), c.office, "报送", [
        (attachment_headers("区工信局.xlsx", "utf-8"), filled(c.ws, "区工信局", work / "a.xlsx"))]), datetime.now())
    code, out = run("mail", "fetch", "--root", str(c.ws.root))
    assert code == 0 and "保存表格 1 个" in out, out
    conn = imaplib.IMAP4("127.0.0.1", servers.imap_port)
    try:
        imap_login(conn, c.office, PASSWORD)
        assert conn.select("INBOX", readonly=True)[1][0] == b"0"
        assert conn.select(encode_folder("已收取"), readonly=True)[1][0] == b"1"
        typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
        assert b"$ExcelflowFetched" in data[0]
    finally:
        conn.logout()
