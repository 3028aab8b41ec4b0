"""(mail) `excelflow mail fetch`: new messages' workbooks into `inbox/`, each message taken once.

For each message of the office mailbox not taken yet (by UIDVALIDITY and UID, and by Message-ID
when the server renumbered the folder), in arrival order:

1. its size is checked before downloading (a message bigger than three attachment caps is listed,
   not downloaded);
2. its workbooks are taken out (`attachments.py`): attachments, zip members, attached messages;
   the round's own blank workbooks (a reply quoting the office's message) and bytes already
   fetched from an earlier message (a resent or quoted return) are not saved again;
3. for each workbook a hint is written (`hints.py`: the server's arrival time, the sender), then
   the file, atomically, under `inbox/邮件/<arrival day>/<sender>/` — a new name if another file
   is there already, so nothing is ever overwritten;
4. the message is recorded in `.excelflow/mail/fetch-state.json` (written whole after each
   message), then flagged `$ExcelflowFetched` on the server (and moved, if the register names a
   folder). A message killed half-way is simply taken again next time: names and hints are
   idempotent and the archive keeps one copy of any bytes.

Messages without a usable workbook (a reply with no attachment, a bounce, a photo) are listed
with sender and subject, in the run's report and in `outbox/邮件收取记录.xlsx`. Messages are
never deleted; the mailbox keeps everything.

Lock: the caller holds the mail lock (`.excelflow/mail.lock/`, see docs/design.md); files appear
in `inbox/` whole (temporary dot-name, then rename), so a concurrent collect sees them or not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from excelflow.errors import MailError
from excelflow.files import atomic_write_bytes, atomic_write_text, safe_filename
from excelflow.intake.scan import looks_incomplete
from excelflow.mail.attachments import INCOMPLETE, workbooks_in
from excelflow.mail.hints import MailHint, sender_unit, write_hint
from excelflow.mail.imap import ImapMailbox, open_mailbox
from excelflow.mail.messages import envelope, parse_message
from excelflow.mail.settings import MailSettings, Secret
from excelflow.register.model import Register
from excelflow.workspace import Workspace

STATE_FILE = "fetch-state.json"
STATE_VERSION = 1
FIRST_LOOK_BACK = timedelta(days=180)  # before the earliest deadline: older mail is not this campaign's

OpenMailbox = Callable[..., AbstractContextManager[ImapMailbox]]


@dataclass(frozen=True)
class FetchedMessage:
    """One message taken from the mailbox, and what became of it."""

    uidvalidity: int
    uid: int
    message_id: str
    received_at: str  # the server's arrival time, naive local ISO
    sender: str
    sender_name: str
    subject: str
    outcome: str  # Chinese: 已保存 N 个表格 / 没有表格附件 / 退信 / 邮件过大 / …
    saved: tuple[str, ...] = ()  # inbox-relative paths
    skipped: tuple[tuple[str, str], ...] = ()  # (name, reason)
    usable: bool = True  # False: listed for the clerk (no workbook saved)

    def describe(self) -> str:
        who = f"{self.sender_name} <{self.sender}>" if self.sender_name else (self.sender or "(无发件人)")
        return f"{_short_time(self.received_at)}  {who}  「{self.subject or '(无主题)'}」"


@dataclass
class FetchReport:
    """What one fetch did."""

    mailbox: str
    messages: list[FetchedMessage] = field(default_factory=list)
    already: int = 0  # messages seen before and left alone
    warnings: list[str] = field(default_factory=list)
    record: Path | None = None  # the record workbook, when rewritten

    @property
    def saved(self) -> list[str]:
        return [p for m in self.messages for p in m.saved]

    def lines(self) -> list[str]:
        """What the clerk reads after a fetch (Chinese)."""
        usable = [m for m in self.messages if m.usable]
        unusable = [m for m in self.messages if not m.usable]
        out = [f"收取邮件({self.mailbox}):新邮件 {len(self.messages)} 封,保存表格 {len(self.saved)} 个"
               + (f",没有可用表格的邮件 {len(unusable)} 封" if unusable else "") + "。"]
        for m in usable:
            out.append(f"  {m.describe()}:{m.outcome}")
            for name, reason in m.skipped:
                out.append(f"      未保存 {name}:{reason}")
        if unusable:
            out.append("没有可用表格的邮件(请在邮箱中查看,需要时联系发件人):")
            for m in unusable:
                out.append(f"  {m.describe()}:{m.outcome}")
                for name, reason in m.skipped:
                    out.append(f"      {name}:{reason}")
        if not self.messages:
            out[0] = f"收取邮件({self.mailbox}):没有新邮件。"
        out += [f"提示:{w}" for w in self.warnings]
        return out + ([f"收取记录:{self.record}"] if self.record is not None else [])


# -- state ------------------------------------------------------------------------------------------
class FetchState:
    """What was taken from which mailbox: UIDs per UIDVALIDITY, Message-IDs, bytes saved."""

    def __init__(self, ws: Workspace) -> None:
        self.path = ws.mail_state / STATE_FILE
        self.data: dict[str, Any] = {"version": STATE_VERSION, "mailboxes": {}, "message_ids": [], "saved": {},
                                     "messages": []}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            # Never start again silently from nothing: that would fetch every message twice.
            raise MailError(f"邮件收取记录 {self.path} 无法读取({exc}):请从备份恢复,或确认后删除它"
                            "(删除后已收取过的邮件靠服务器上的标记识别,不会重复保存)。") from exc
        if isinstance(loaded, dict) and loaded.get("version") == STATE_VERSION:
            self.data = loaded

    def mailbox(self, key: str, uidvalidity: int) -> dict[str, Any]:
        """The record of one mailbox folder: `floor` (every UID up to it is done) and `done` above it."""
        box = self.data["mailboxes"].setdefault(key, {"uidvalidity": uidvalidity, "floor": 0, "done": []})
        if box.get("uidvalidity") != uidvalidity:  # the folder was rebuilt: UIDs mean nothing now
            box.update({"uidvalidity": uidvalidity, "floor": 0, "done": []})
        return box  # type: ignore[no-any-return]

    @staticmethod
    def floor(box: dict[str, Any]) -> int:
        return int(box.get("floor", 0))

    @staticmethod
    def mark_done(box: dict[str, Any], uid: int) -> None:
        """Note `uid` as done, folding the run above the floor into it (the list stays short)."""
        done = {int(u) for u in box.get("done", [])} | {uid}
        floor = int(box.get("floor", 0))
        while floor + 1 in done:
            floor += 1
            done.discard(floor)
        box["floor"] = floor
        box["done"] = sorted(u for u in done if u > floor)

    def message_ids(self) -> set[str]:
        return set(self.data["message_ids"])

    def saved_before(self, sha256: str) -> dict[str, str] | None:
        found = self.data["saved"].get(sha256)
        return found if isinstance(found, dict) else None

    def record(self, box: dict[str, Any], message: FetchedMessage, shas: dict[str, str]) -> None:
        self.mark_done(box, message.uid)
        if message.message_id:
            self.data["message_ids"].append(message.message_id)
        for sha, path in shas.items():
            self.data["saved"].setdefault(sha, {"path": path, "received_at": message.received_at})
        self.data["messages"].append(asdict(message))
        atomic_write_text(self.path, json.dumps(self.data, ensure_ascii=False))

    def messages(self) -> list[FetchedMessage]:
        out = []
        for m in self.data["messages"]:
            m = dict(m)
            m["saved"] = tuple(m.get("saved", ()))
            m["skipped"] = tuple(tuple(s) for s in m.get("skipped", ()))
            out.append(FetchedMessage(**m))
        return out


# -- fetching ---------------------------------------------------------------------------------------
def default_since(register: Register) -> date | None:
    """The first day whose mail may belong to this campaign (half a year before its first deadline)."""
    if not register.rounds:
        return None
    return min(r.co_deadline for r in register.rounds) - FIRST_LOOK_BACK


def fetch_mail(ws: Workspace, register: Register, settings: MailSettings, secret: Secret, now: datetime, *,
               since: date | None = None, opener: OpenMailbox = open_mailbox) -> FetchReport:
    """Take every new message of the office mailbox (see the module doc); the caller holds the mail lock."""
    server = settings.require_imap()
    state = FetchState(ws)
    key = f"{settings.account}@{server.host}:{server.port}/{settings.folder}"
    report = FetchReport(mailbox=f"{settings.account} {settings.folder}")
    blanks = _blank_workbooks(ws)
    with opener(server, settings.account, secret, settings.folder, settings.ca_file) as mailbox:
        box = state.mailbox(key, mailbox.uidvalidity)
        done = {int(u) for u in box["done"]}
        uids = [u for u in mailbox.uids(FetchState.floor(box), since or default_since(register)) if u not in done]
        known_ids = state.message_ids()
        message_cap = settings.attachment_cap * 3 + 1024 * 1024
        for meta in mailbox.meta(uids):
            # The server's arrival time; a server that does not say gets the fetch's own time.
            received = meta.internaldate.astimezone().replace(tzinfo=None) if meta.internaldate else now
            if "$ExcelflowFetched".lower() in (f.lower() for f in meta.flags):
                report.already += 1  # taken by an earlier fetch whose record is gone: never again
                state.mark_done(box, meta.uid)
                continue
            if meta.size > message_cap:
                message = FetchedMessage(mailbox.uidvalidity, meta.uid, "", received.isoformat(), "", "", "",
                                         f"邮件 {meta.size / 1048576:.0f} MB,超过上限,未下载(请在邮箱中查看)",
                                         usable=False)
                state.record(box, message, {})
                report.messages.append(message)
                _mark(mailbox, meta.uid, settings, report)
                continue
            raw = mailbox.message(meta.uid)
            if raw is None:
                continue  # deleted meanwhile: nothing to take
            message, files = _take(ws, register, settings, raw, meta.uid, mailbox.uidvalidity, received, state,
                                   blanks, known_ids)
            shas = {}
            for found_name, data in files:
                sha = hashlib.sha256(data).hexdigest()
                shas[sha] = found_name
            state.record(box, message, shas)
            if message.message_id:
                known_ids.add(message.message_id)
            report.messages.append(message)
            _mark(mailbox, meta.uid, settings, report)
    return report


def _mark(mailbox: ImapMailbox, uid: int, settings: MailSettings, report: FetchReport) -> None:
    """Flag (or move) a recorded message; a refusal is said, not fatal (the record already keeps
    it from being taken twice)."""
    try:
        mailbox.mark_fetched(uid, settings.move_to)
    except MailError as exc:
        report.warnings.append(f"邮件已收取,但未能在服务器上标记:{exc}")


def _take(ws: Workspace, register: Register, settings: MailSettings, raw: bytes, uid: int, uidvalidity: int,
          received: datetime, state: FetchState, blanks: set[str], known_ids: set[str]
          ) -> tuple[FetchedMessage, list[tuple[str, bytes]]]:
    """Save one message's workbooks; returns its record and the (path, bytes) saved."""
    try:
        parsed = parse_message(raw)
        env = envelope(parsed)
    except Exception as exc:  # noqa: BLE001 - one unreadable message must not stop the fetch
        return FetchedMessage(uidvalidity, uid, "", received.isoformat(), "", "", "",
                              f"邮件无法解析({type(exc).__name__}),未保存任何附件;邮件仍在邮箱中", usable=False), []
    base = FetchedMessage(uidvalidity, uid, env.message_id, received.isoformat(), env.sender, env.sender_name,
                          env.subject, outcome="")
    if env.message_id and env.message_id in known_ids:
        return replace(base, outcome="已收取过(同一封邮件),未重复保存"), []
    if env.bounce:
        return replace(base, outcome="退信:" + ";".join(env.bounce), usable=False), []
    if env.sender and env.sender == settings.sender.lower():
        return replace(base, outcome="本邮箱自己发出的邮件,跳过"), []
    found, skipped_parts = workbooks_in(parsed, settings.attachment_cap)
    skipped = [(s.name, s.reason) for s in skipped_parts]
    saved: list[tuple[str, bytes]] = []
    unit = sender_unit(register, env.sender) if env.trusted else None
    folder = ws.mail_inbox / received.date().isoformat() / safe_filename(
        f"{unit}({env.sender})" if unit else (env.sender or "未知发件人"))
    seen_here: set[str] = set()
    known = 0  # workbooks left out because they are the office's own or came before
    for item in found:
        sha = hashlib.sha256(item.data).hexdigest()
        if sha in blanks:
            skipped.append((item.name, "这是督查室下发的原表(未填写),可能是回复时带上的原邮件附件,未保存"))
            known += 1
            continue
        earlier = state.saved_before(sha)
        if earlier is not None or sha in seen_here:
            when = _short_time(earlier["received_at"]) if earlier else "本邮件"
            skipped.append((item.name, f"与{when}收到的附件完全相同(重发或引用的旧附件),未重复保存"))
            known += 1
            continue
        if looks_incomplete(item.data, item.name):
            # Saved, it would wait a day in inbox/ as "still being copied": it will never complete.
            skipped.append((item.name, INCOMPLETE))
            continue
        seen_here.add(sha)
        target = _free_name(folder, item.name, item.data)
        rel = target.relative_to(ws.inbox).as_posix()
        write_hint(ws, MailHint(sha256=sha, received_at=received, sender=env.sender, sender_name=env.sender_name,
                                subject=env.subject, message_id=env.message_id, path=rel,
                                trusted_sender=env.trusted))
        if not target.exists():
            atomic_write_bytes(target, item.data)
        saved.append((rel, item.data))
    if saved:
        outcome = f"已保存 {len(saved)} 个表格" + ("" if env.trusted else f"(发件人可能被冒用:{env.doubt})")
    elif found and known == len(found):
        outcome = "没有新的表格:附件都已收到过,或是下发的原表"
    elif skipped:
        outcome = "附件都不能使用"
    else:
        outcome = "没有附件"
    # Listed for the clerk unless something was saved: a reply that only says "已报送", or that
    # attached the old file instead of the new one, needs a person to look.
    return replace(base, outcome=outcome, saved=tuple(p for p, _ in saved), skipped=tuple(skipped),
                   usable=bool(saved)), saved


def _free_name(folder: Path, name: str, data: bytes) -> Path:
    """`folder/name`, or `name-2`, `-3`… when another file holds the name (the same bytes: reuse)."""
    stem, dot, suffix = safe_filename(name).rpartition(".")
    if not dot:
        stem, suffix = suffix, "xlsx"
    for n in range(1, 1000):
        candidate = folder / (f"{stem}.{suffix}" if n == 1 else f"{stem}-{n}.{suffix}")
        try:
            if candidate.read_bytes() == data:
                return candidate
        except FileNotFoundError:
            return candidate
        except OSError:
            continue
    return folder / f"{stem}-{hashlib.sha256(data).hexdigest()[:8]}.{suffix}"


def _blank_workbooks(ws: Workspace) -> set[str]:
    """SHA-256 of every workbook the office handed out (outbox/*/templates/): a reply may quote them."""
    out: set[str] = set()
    for path in _templates(ws.outbox):
        try:
            out.add(hashlib.sha256(path.read_bytes()).hexdigest())
        except OSError:
            continue
    return out


def _templates(outbox: Path) -> Iterator[Path]:
    if not outbox.is_dir():
        return
    for round_dir in outbox.iterdir():
        folder = round_dir / "templates"
        if folder.is_dir():
            yield from (p for p in folder.iterdir() if p.suffix.lower() in (".xlsx", ".xls", ".xlsm", ".ods"))


def _short_time(iso: str) -> str:
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{at.month}月{at.day}日 {at:%H:%M}"


def fetched_messages(ws: Workspace) -> Sequence[FetchedMessage]:
    """Every message fetched so far, in fetch order (the record workbook lists them)."""
    return FetchState(ws).messages()
