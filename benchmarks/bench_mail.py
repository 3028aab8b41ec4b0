"""Benchmark `excelflow mail send` and `mail fetch` against real servers on 127.0.0.1 (root only).

    python benchmarks/bench_mail.py [--units 79]

Starts the tests' Dovecot + Postfix pair (tests/mail_servers.py), lays out the shipped 2021
register with one address per unit, generates 2021-H1 and measures, in one run:

- `mail send`: every unit's workbook, each message planned, built, sent over STARTTLS, journaled
  and synced, then `发送记录.xlsx`; baseline: the same prebuilt messages sent with bare smtplib on
  one connection (the server's own cost);
- `mail fetch`: one reply per unit carrying its workbook, fetched (meta, body, attachments, hint,
  file, state, flag) and `邮件收取记录.xlsx`; baseline: the same messages downloaded with bare
  imaplib (BODY.PEEK[] per UID).

Prints a Markdown table to paste into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import imaplib
import os
import smtplib
import ssl
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from mail_servers import DOMAIN, missing_reason, start_mail_servers  # noqa: E402

from excelflow.demo import fill_workbook  # noqa: E402
from excelflow.forms.generate import generate_round  # noqa: E402
from excelflow.mail.compose import build_message  # noqa: E402
from excelflow.mail.settings import Overrides, Secret, mail_settings  # noqa: E402
from excelflow.register.campaign import init_workspace  # noqa: E402
from excelflow.register.load import load_register  # noqa: E402
from excelflow.register.write import write_register  # noqa: E402
from excelflow.runs import mail_runs  # noqa: E402
from excelflow.workspace import Workspace  # noqa: E402

PASSWORD = "bench-pw"


def wait_count(port: int, user: str, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = imaplib.IMAP4("127.0.0.1", port)
        conn.login(user, PASSWORD)
        n = int(conn.select("INBOX", readonly=True)[1][0] or 0)
        conn.logout()
        if n >= count:
            return
        time.sleep(0.2)
    raise SystemExit(f"{user}: fewer than {count} messages after {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=79)
    args = parser.parse_args()
    reason = missing_reason()
    if reason:
        raise SystemExit(reason)
    servers = start_mail_servers()
    try:
        run(servers, args.units)
    finally:
        servers.stop()


def run(servers, units: int) -> None:  # type: ignore[no-untyped-def]
    root = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    ws = Workspace(root)
    init_workspace(ws, example=True)
    register = load_register(ws.register_path)
    chosen = register.units[:units]
    addresses = {u.name: f"u{i}@{DOMAIN}" for i, u in enumerate(chosen)}
    register = replace(register, units=tuple(replace(u, emails=(addresses[u.name],)) if u.name in addresses else u
                                             for u in register.units),
                       settings={**register.settings, "收信服务器": f"127.0.0.1:{servers.imap_port}",
                                 "发信服务器": f"127.0.0.1:{servers.smtp_port}", "加密方式": "STARTTLS",
                                 "邮箱账号": f"office@{DOMAIN}", "CA证书文件": str(servers.ca_file)})
    write_register(ws.register_path, register)
    generate_round(ws, register, "2021-H1", now=datetime(2021, 6, 1, 9))
    for address in [f"office@{DOMAIN}", f"mirror@{DOMAIN}", *addresses.values()]:
        servers.add_user(address, PASSWORD)
    time.sleep(1.1)
    os.environ["EXCELFLOW_MAIL_PASSWORD"] = PASSWORD
    settings = mail_settings(register, Overrides())
    secret = Secret(PASSWORD)
    now = datetime.now().replace(microsecond=0)

    plan = mail_runs.plan_workbooks(ws, register, settings, "2021-H1", now)
    sent_count = len(plan.to_send)
    started = time.perf_counter()
    result = mail_runs.deliver(ws, plan, settings, secret, clock=datetime.now)
    send_s = time.perf_counter() - started
    assert not result.failed, result.lines()

    messages = [build_message(replace(o, address=f"mirror@{DOMAIN}"), settings.sender, settings.sender_name, now,
                              f"<b{i}@{DOMAIN}>") for i, o in enumerate(plan.to_send)]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", servers.smtp_port) as conn:
        conn.starttls(context=ssl.create_default_context(cafile=str(servers.ca_file)))
        conn.login(f"office@{DOMAIN}", PASSWORD)
        for message in messages:
            conn.send_message(message, f"office@{DOMAIN}", [f"mirror@{DOMAIN}"])
    baseline_send_s = time.perf_counter() - started

    # Every unit replies with its workbook filled in (as a unit would, with openpyxl: not timed).
    work = root / "filled"
    for name, address in addresses.items():
        if not ws.template_file("2021-H1", name).exists():
            continue
        target = work / f"{name}.xlsx"
        fill_workbook(ws.template_file("2021-H1", name), target,
                      lambda task, sheet: {"完成状态": "序时推进", "进展情况": f"任务{task}推进中。"})
        sent = next(o for o in plan.to_send if o.unit == name)
        attachment = replace(sent.attachments[0], data=target.read_bytes())
        reply = build_message(replace(sent, address=f"office@{DOMAIN}", attachments=(attachment,)),
                              address, name, now, f"<r-{address}>")
        with smtplib.SMTP("127.0.0.1", servers.smtp_port) as conn:
            conn.sendmail(address, [f"office@{DOMAIN}"], reply.as_bytes())
    wait_count(servers.imap_port, f"office@{DOMAIN}", sent_count)

    started = time.perf_counter()
    conn4 = imaplib.IMAP4("127.0.0.1", servers.imap_port)
    conn4.starttls(ssl_context=ssl.create_default_context(cafile=str(servers.ca_file)))
    conn4.login(f"office@{DOMAIN}", PASSWORD)
    conn4.select("INBOX", readonly=True)
    uids = conn4.uid("SEARCH", "ALL")[1][0].split()
    for uid in uids:
        conn4.uid("FETCH", uid, "(INTERNALDATE BODY.PEEK[])")
    conn4.logout()
    baseline_fetch_s = time.perf_counter() - started

    started = time.perf_counter()
    report = mail_runs.run_fetch(ws, register, settings, secret, now)
    fetch_s = time.perf_counter() - started
    assert len(report.saved) == sent_count, report.lines()[:3]

    started = time.perf_counter()
    again = mail_runs.run_fetch(ws, register, settings, secret, now)
    refetch_s = time.perf_counter() - started
    assert not again.messages

    n = sent_count
    print(f"| step ({n} messages, STARTTLS, 127.0.0.1) | excelflow | per message | bare library (baseline) |")
    print("|---|---|---|---|")
    print(f"| `mail send` | {send_s:.2f} s | {send_s / n * 1000:.1f} ms | {baseline_send_s:.2f} s (smtplib, prebuilt) |")
    print(f"| `mail fetch` | {fetch_s:.2f} s | {fetch_s / n * 1000:.1f} ms | {baseline_fetch_s:.2f} s (imaplib download) |")
    print(f"| `mail fetch` again (nothing new) | {refetch_s:.2f} s | | |")


if __name__ == "__main__":
    main()
