"""The mail channel without servers: settings, names as Chinese clients write them, messages we build,
addresses in the register, receipt-time hints, and a mail server that is down during a pass."""

from __future__ import annotations

import base64
import email
import io
import zipfile
from dataclasses import replace
from datetime import datetime
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelflow.cli import main
from excelflow.errors import MailError
from excelflow.intake.records import Submission
from excelflow.mail.attachments import INCOMPLETE, workbooks_in
from excelflow.mail.compose import Attachment, Outgoing, build_message
from excelflow.mail.hints import MailHint, read_hint, received_time, with_sender_notes, write_hint
from excelflow.mail.messages import envelope, parse_message
from excelflow.mail.names import attachment_name, decode_words, zip_member_name
from excelflow.mail.settings import Overrides, Secret, mail_settings, parse_server, password
from excelflow.register.campaign import init_workspace
from excelflow.register.load import RegisterProblems, load_register
from excelflow.register.model import Register, Unit
from excelflow.register.write import write_register
from excelflow.workspace import Workspace


def _register(**settings: str) -> Register:
    return Register(title="t", units=(Unit("区工信局", emails=("gxj@gf.gov.cn",)), Unit("区财政局")), tasks=(),
                    rounds=(), settings=settings)


# -- settings ------------------------------------------------------------------------------------------
def test_security_follows_the_port_and_plain_is_refused_beyond_this_machine() -> None:
    assert parse_server("imap.exmail.qq.com", "imap", None, "x").port == 993
    assert parse_server("imap.exmail.qq.com:143", "imap", None, "x").security == "starttls"
    assert parse_server("smtp.gf.gov.cn:465", "smtp", None, "x").security == "tls"
    assert parse_server("127.0.0.1:2525", "smtp", "plain", "x").security == "plain"
    with pytest.raises(MailError, match="只允许连接本机"):
        parse_server("mail.gf.gov.cn:143", "imap", "plain", "--imap")
    with pytest.raises(MailError, match="不是「主机:端口」"):
        parse_server("mail.gf.gov.cn:abc", "imap", None, "--imap")


def test_command_line_options_win_over_the_register() -> None:
    register = _register(收信服务器="imap.exmail.qq.com:993", 发信服务器="smtp.exmail.qq.com:465",
                         邮箱账号="ducha@gf.gov.cn", 加密方式="SSL/TLS")
    settings = mail_settings(register, Overrides(imap="127.0.0.1:1143", user="other@gf.gov.cn", security="plain",
                                                 smtp="localhost:2525"))
    assert (settings.imap.host, settings.imap.port, settings.imap.security) == ("127.0.0.1", 1143, "plain")  # type: ignore[union-attr]
    assert settings.account == "other@gf.gov.cn" and settings.smtp.port == 2525  # type: ignore[union-attr]
    assert mail_settings(register).imap.security == "tls"  # type: ignore[union-attr]
    with pytest.raises(MailError, match="不是加密方式"):
        mail_settings(_register(收信服务器="x:993", 邮箱账号="a@b.cn", 加密方式="SSL加密"))


def test_the_password_comes_from_the_environment_or_the_keyring_and_never_shows(monkeypatch: pytest.MonkeyPatch
                                                                                  ) -> None:
    secret = password("ducha@gf.gov.cn", {"EXCELFLOW_MAIL_PASSWORD": "s3cret"})
    assert secret.reveal() == "s3cret" and "s3cret" not in repr(secret) and "s3cret" not in f"{secret}"

    class FakeKeyring:
        @staticmethod
        def get_password(service: str, user: str) -> str | None:
            return "from-keyring" if (service, user) == ("excelflow", "ducha@gf.gov.cn") else None

    import sys

    monkeypatch.setitem(sys.modules, "keyring", FakeKeyring)
    assert password("ducha@gf.gov.cn", {}).reveal() == "from-keyring"
    with pytest.raises(MailError, match="EXCELFLOW_MAIL_PASSWORD"):
        password("nobody@gf.gov.cn", {})


def test_register_holds_several_addresses_per_unit_and_refuses_a_typo(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    init_workspace(ws, example=True)
    register = load_register(ws.register_path)
    first = register.units[0]
    typed = replace(first, emails=("gxj@gf.gov.cn", "ＧＸＪ2@qq.com"))  # full-width, typed with a Chinese IME
    write_register(ws.register_path, replace(register, units=(typed, *register.units[1:])))
    assert load_register(ws.register_path).units[0].emails == ("gxj@gf.gov.cn", "GXJ2@qq.com")
    broken = replace(first, emails=("gxj@gf,gov.cn",))
    write_register(ws.register_path, replace(register, units=(broken, *register.units[1:])))
    with pytest.raises(RegisterProblems, match="不是邮箱地址"):
        load_register(ws.register_path)


# -- names as Chinese clients send them ---------------------------------------------------------------
def _part(headers: str) -> email.message.Message:
    return parse_message(f"Content-Type: application/octet-stream\r\n{headers}\r\n\r\nAAAA\r\n".encode("latin-1"))


def test_a_gbk_name_split_mid_character_across_encoded_words_is_whole_again() -> None:
    raw = "区工信局填报表.xlsx".encode("gbk")
    first, second = raw[:5], raw[5:]  # the cut falls inside 工
    words = " ".join(f"=?GBK?B?{base64.b64encode(x).decode()}?=" for x in (first, second))
    assert decode_words(words) == "区工信局填报表.xlsx"
    assert attachment_name(_part(f'Content-Disposition: attachment; filename="{words}"')) == "区工信局填报表.xlsx"


def test_gb2312_label_with_a_gbk_only_character_and_raw_bytes_are_read() -> None:
    from urllib.parse import quote

    name = "朱镕基路-报送.xlsx"  # 镕 is not in GB2312
    part = _part(f"Content-Disposition: attachment; filename*=gb2312''{quote(name.encode('gbk'))}")
    assert attachment_name(part) == name
    raw = b'Content-Type: application/vnd.ms-excel; name="' + "区财政局.xls".encode("gbk") + b'"\r\n\r\nAAAA\r\n'
    assert attachment_name(parse_message(raw)) == "区财政局.xls"


def test_a_name_is_never_a_path() -> None:
    part = _part('Content-Disposition: attachment; filename="..\\\\..\\\\Windows\\\\evil.xlsx"')
    assert attachment_name(part) == "evil.xlsx"


def test_zip_members_named_in_gbk_by_windows_tools() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("placeholder", b"x")
    data = buffer.getvalue().replace(b"placeholder", "区商务局.xlsx".encode("gbk")[:11])
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    assert zip_member_name(info) == "区商务局.xlsx"[: len(zip_member_name(info))]


def test_an_attachment_cut_off_anywhere_is_never_found_as_a_workbook() -> None:
    """A message cut off in transit (Python's parser then hands back the base64 text itself, when
    its length cannot be base64, or a padded prefix): every cut inside the attachment is said to
    be incomplete, never saved as a workbook. One cut in four was, before the defects were read."""
    from excelflow.intake.scan import looks_incomplete
    from mail_helpers import raw_message

    data = (Path(__file__).parent / "data" / "returns" / "clean-return.xlsx").read_bytes()
    headers = ("Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
               "Content-Disposition: attachment; filename=\"区民政局.xlsx\"\r\n")
    raw = raw_message("mzj@gf.gov.test", "ducha@gf.gov.test", "截断的邮件", [(headers, data)])
    start = raw.index(base64.b64encode(data[:57]))  # the attachment's first line of base64
    whole, _ = workbooks_in(parse_message(raw), 10**7)
    assert [f.data for f in whole] == [data]
    said_incomplete = 0
    for cut in range(start + 1, start + 400):
        found, skipped = workbooks_in(parse_message(raw[:cut]), 10**7)
        assert all(looks_incomplete(f.data, f.name) for f in found), cut  # fetch then says 附件不完整 too
        said_incomplete += [s.reason for s in skipped] == [INCOMPLETE]
    assert said_incomplete > 50  # the cuts `email` could not decode, or padded


# -- what we send --------------------------------------------------------------------------------------------
def test_our_messages_are_ascii_on_the_wire_and_every_client_style_reads_the_name() -> None:
    item = Outgoing(kind="workbook", key="workbook:区工信局", unit="区工信局", address="gxj@gf.gov.cn",
                    subject="【区政府督查室】2021年半年重点工作进展填报表(区工信局)", body="区工信局:\n\n请查收。\n",
                    attachments=(Attachment("2021年半年重点工作进展填报表-区工信局.xlsx", b"PK\x03\x04data"),))
    message = build_message(item, "ducha@gf.gov.cn", "区政府督查室", datetime(2021, 6, 1, 9), "<1@gf.gov.cn>")
    wire = message.as_bytes()
    wire.decode("ascii")  # nothing 8-bit: old gateways pass it unharmed
    # A standard reader (Python's modern parser follows RFC 2231) and ours (RFC 2047 too) agree.
    modern = email.message_from_bytes(wire, policy=policy.default)
    assert [p.get_filename() for p in modern.iter_attachments()] == ["2021年半年重点工作进展填报表-区工信局.xlsx"]
    assert str(modern["Subject"]) == item.subject and "区政府督查室" in str(modern["From"])
    found, skipped = workbooks_in(parse_message(wire), 10**6)
    assert [f.name for f in found] == ["2021年半年重点工作进展填报表-区工信局.xlsx"] and not skipped
    assert b'name="=?utf-8?b?' in wire  # the legacy form, for clients that ignore RFC 2231


# -- who sent it ----------------------------------------------------------------------------------------------
def test_a_from_that_the_envelope_contradicts_is_doubted() -> None:
    ok = envelope(parse_message(b"From: gxj@gf.gov.cn\r\nReturn-Path: <gxj@gf.gov.cn>\r\nSubject: x\r\n\r\n"))
    forged = envelope(parse_message(b"From: gxj@gf.gov.cn\r\nReturn-Path: <x@qq.com>\r\n\r\n"))
    failed = envelope(parse_message(b"From: gxj@gf.gov.cn\r\nAuthentication-Results: mx; dmarc=fail\r\n\r\n"))
    assert ok.trusted and not forged.trusted and not failed.trusted
    assert "qq.com" in forged.doubt


def test_receipt_time_is_the_servers_never_in_the_future_and_the_hint_lives_outside_the_inbox(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    now = datetime(2021, 6, 26, 9, 0)
    hint = MailHint("a" * 64, datetime(2021, 6, 25, 23, 50), "gxj@gf.gov.cn", "", "s", "<m>", "邮件/x.xlsx")
    write_hint(ws, hint)
    write_hint(ws, replace(hint, received_at=datetime(2021, 6, 26, 8, 0)))  # the same bytes again, later
    assert read_hint(ws, "a" * 64) == hint  # the first arrival counts
    assert received_time(hint, now) == datetime(2021, 6, 25, 23, 50)
    assert received_time(replace(hint, received_at=datetime(2021, 6, 26, 9, 5)), now) == now
    assert received_time(None, now) == now
    assert not list(ws.inbox.rglob("*")) if ws.inbox.exists() else True


def test_the_identity_sheet_wins_over_the_sender_and_says_so() -> None:
    register = _register()
    hint = MailHint("b" * 64, datetime(2021, 6, 1), "gxj@gf.gov.cn", "", "s", "<m>", "x.xlsx")
    sub = Submission(path="x.xlsx", sha256="b" * 64, size=1, received_at=datetime(2021, 6, 1), outcome="accepted",
                     unit="区财政局", confidence="identity")
    noted = with_sender_notes(sub, hint, register)
    assert noted.unit == "区财政局" and noted.outcome == "accepted_with_warnings"
    assert "区工信局" in noted.problems[0].message and "表内标识" in noted.problems[0].message
    doubted = with_sender_notes(sub, replace(hint, trusted_sender=False), register)
    assert "可能被冒用" in doubted.problems[0].message


# -- unattended: a mail server that is down ----------------------------------------------------------------
def test_a_mail_server_that_is_down_is_logged_and_the_pass_goes_on(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace(tmp_path / "ws")
    init_workspace(ws, example=True)
    register = load_register(ws.register_path)
    settings = {**register.settings, "收信服务器": "127.0.0.1:1", "加密方式": "不加密", "邮箱账号": "ducha@gf.gov.cn"}
    write_register(ws.register_path, replace(register, settings=settings))
    monkeypatch.setenv("EXCELFLOW_MAIL_PASSWORD", "never-shown")
    result = CliRunner().invoke(main, ["collect", "--root", str(ws.root), "--now", "2021-06-16T09:00", "--wait", "5"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "收取邮件失败,本次按 inbox/ 中已有的文件收集" in result.output and "连接被拒绝" in result.output
    assert "收集完成" in result.output
    log = (ws.state / "excelflow.log").read_text(encoding="utf-8")
    assert "收取邮件失败" in log and "never-shown" not in log

    from excelflow.runs.watch import watch_tick

    lines: list[str] = []
    watch_tick(ws, round_id=None, wait=5, echo=lines.append, fixed_now=datetime(2021, 6, 16, 9))()
    assert any("收取邮件失败" in line for line in lines) and any("轮次" in line for line in lines)


def test_without_a_mailbox_the_commands_say_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace(tmp_path / "ws")
    init_workspace(ws, example=True)
    result = CliRunner().invoke(main, ["mail", "fetch", "--root", str(ws.root)])
    assert result.exit_code == 1 and "没有设置收信服务器" in result.output
    monkeypatch.delenv("EXCELFLOW_MAIL_PASSWORD", raising=False)
    result = CliRunner().invoke(main, ["mail", "send", "--round", "2021-H1", "--root", str(ws.root), "--dry-run"])
    assert result.exit_code == 0 and "请先运行 excelflow generate" in result.output
    assert Secret("x") is not None


def test_fetch_state_keeps_what_was_taken_per_folder_and_starts_over_when_the_folder_is_rebuilt(tmp_path: Path
                                                                                                 ) -> None:
    from excelflow.mail.fetch import FetchState

    ws = Workspace(tmp_path)
    state = FetchState(ws)
    box = state.mailbox("ducha@imap:993/INBOX", uidvalidity=7)
    for uid in (1, 2, 5, 3):
        state.mark_done(box, uid)
    assert (FetchState.floor(box), box["done"]) == (3, [5])  # the search starts above 3, skips 5
    assert state.mailbox("ducha@imap:993/INBOX", uidvalidity=8)["floor"] == 0  # UIDs renumbered
    (ws.mail_state).mkdir(parents=True)
    (ws.mail_state / "fetch-state.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(MailError, match="无法读取"):
        FetchState(ws)
