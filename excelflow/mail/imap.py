"""(mail) The IMAP side: log in, list new messages by UID, download them, mark them fetched.

A thin layer over `imaplib` that speaks in what fetching needs: the folder's UIDVALIDITY, the
UIDs above a mark (or since a day), each message's server arrival time (INTERNALDATE) and size
before its body is downloaded, and marking a message as taken (a keyword flag, or a move to a
folder). Messages are read with BODY.PEEK, so the clerk's mail client still shows them unread.

Every server or network failure becomes a `MailError` in Chinese; the password only ever goes
to `login`, and server answers quoted in messages are the server's, never ours.
"""

from __future__ import annotations

import base64
import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from excelflow.errors import MailError
from excelflow.mail.network import TIMEOUT, network_reason, tls_context
from excelflow.mail.settings import Secret, Server

FETCHED_KEYWORD = "$ExcelflowFetched"  # the flag a fetched message carries (IMAP keyword)
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                      "Nov", "Dec"), start=1)}
_INTERNALDATE = re.compile(rb'INTERNALDATE "\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"')
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")


@dataclass(frozen=True)
class MessageMeta:
    """What the server says about a message before its body is downloaded."""

    uid: int
    internaldate: datetime | None  # aware, in the server's offset; None when the server's answer is garbled
    size: int
    flags: tuple[str, ...]


def encode_folder(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): `已收取` → `&XfJTFlPW-`, quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    text = "".join(out)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_internaldate(raw: bytes) -> datetime | None:
    """The INTERNALDATE of a FETCH response as an aware datetime; None when absent or garbled."""
    match = _INTERNALDATE.search(raw)
    if not match:
        return None
    day, mon, year, hh, mm, ss, sign, oh, om = match.groups()
    month = _MONTHS.get(mon.decode("ascii").title())
    if month is None:
        return None
    offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == b"+" else -1)
    try:
        return datetime(int(year), month, int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset))
    except ValueError:
        return None


def _login(conn: imaplib.IMAP4, account: str, secret: Secret) -> None:
    """LOGIN, or AUTHENTICATE PLAIN in UTF-8 (RFC 4616) when the account or password is not ASCII:
    imaplib sends LOGIN arguments as ASCII only."""
    password = secret.reveal()
    if account.isascii() and password.isascii():
        conn.login(account, password)
        return
    token = b"\0" + account.encode("utf-8") + b"\0" + password.encode("utf-8")
    conn.authenticate("PLAIN", lambda _challenge: token)


def _answer(data: Sequence[object] | None) -> str:
    """The server's text answer, for a message (bytes decoded, kept short)."""
    parts = []
    for item in data or ():
        if isinstance(item, bytes):
            parts.append(item.decode("utf-8", "replace"))
        elif isinstance(item, str):
            parts.append(item)
    return " ".join(parts)[:300]


class ImapMailbox:
    """One logged-in IMAP session on one folder (use `open_mailbox`)."""

    def __init__(self, conn: imaplib.IMAP4, server: Server) -> None:
        self._conn = conn
        self.server = server
        self.uidvalidity = 0
        self.keywords_allowed = False

    def select(self, folder: str) -> None:
        try:
            typ, data = self._conn.select(encode_folder(folder))
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailError(f"无法打开邮箱文件夹「{folder}」:{exc}") from exc
        if typ != "OK":
            raise MailError(f"无法打开邮箱文件夹「{folder}」,服务器答复:{_answer(data)}")
        validity = self._conn.response("UIDVALIDITY")[1]
        self.uidvalidity = int(validity[0]) if validity and validity[0] else 0
        permanent = self._conn.response("PERMANENTFLAGS")[1]
        self.keywords_allowed = bool(permanent and permanent[0] and b"\\*" in permanent[0])

    def uids(self, above: int, since: date | None) -> list[int]:
        """UIDs above `above` (and, if given, arrived since `since`), ascending."""
        criteria = [f"UID {above + 1}:*"]
        if since is not None:
            criteria.append(f"SINCE {since.day}-{list(_MONTHS)[since.month - 1]}-{since.year}")
        data = self._uid("SEARCH", *criteria)
        found = sorted({int(x) for x in b" ".join(d for d in data if isinstance(d, bytes)).split()})
        # `n:*` always includes the highest UID, even below n: keep only what is really above.
        return [u for u in found if u > above]

    def meta(self, uids: Sequence[int]) -> list[MessageMeta]:
        """UID, arrival time, size and flags of each message, in one round trip per 200."""
        out: list[MessageMeta] = []
        for start in range(0, len(uids), 200):
            chunk = ",".join(str(u) for u in uids[start:start + 200])
            data = self._uid("FETCH", chunk, "(UID INTERNALDATE RFC822.SIZE FLAGS)")
            for item in data:
                line = item[0] if isinstance(item, tuple) else item
                if not isinstance(line, bytes):
                    continue
                uid, size, when = _UID.search(line), _SIZE.search(line), parse_internaldate(line)
                flags = _FLAGS.search(line)
                if uid is None:
                    continue
                out.append(MessageMeta(int(uid.group(1)), when, int(size.group(1)) if size else 0,
                                       tuple(flags.group(1).decode("ascii", "replace").split()) if flags else ()))
        return sorted(out, key=lambda m: m.uid)

    def message(self, uid: int) -> bytes | None:
        """The whole message, without setting \\Seen; None if it vanished meanwhile."""
        data = self._uid("FETCH", str(uid), "(BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def mark_fetched(self, uid: int, move_to: str | None) -> str:
        """Flag the message as fetched, and move it if asked; returns what was done (Chinese)."""
        done = "已标记"
        if self.keywords_allowed:
            self._uid("STORE", str(uid), "+FLAGS.SILENT", f"({FETCHED_KEYWORD})")
        else:
            done = "服务器不支持自定义标记,按本机记录不再重复收取"
        if move_to:
            target = encode_folder(move_to)
            try:
                self._conn.create(target)  # "already exists" is a NO answer, not an error here
            except (imaplib.IMAP4.error, OSError):
                pass
            typ, data = self._conn.uid("COPY", str(uid), target)
            if typ == "OK":
                self._uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
                try:
                    self._conn.uid("EXPUNGE", str(uid))  # UIDPLUS: only this message
                except (imaplib.IMAP4.error, OSError):
                    pass  # without UIDPLUS it stays flagged \Deleted until the client expunges
                done = f"已移至「{move_to}」"
            else:
                done += f",未能移至「{move_to}」({_answer(data)})"
        return done

    def _uid(self, command: str, *args: str) -> list[object]:
        """A UID command; its data, or a MailError naming the server's answer."""
        try:
            typ, data = self._conn.uid(command, *args)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailError(f"收信服务器 {self.server.describe()} 出错:{network_reason(exc)}") from exc
        if typ != "OK":
            raise MailError(f"收信服务器 {self.server.describe()} 拒绝了请求({command}):{_answer(data)}")
        return list(data)


@contextmanager
def open_mailbox(server: Server, account: str, secret: Secret, folder: str, ca_file: str | None = None,
                 timeout: float = TIMEOUT) -> Iterator[ImapMailbox]:
    """Connect (TLS as configured), log in and select `folder`; logs out on leaving."""
    where = server.describe()
    try:
        if server.security == "tls":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(server.host, server.port, ssl_context=tls_context(ca_file),
                                                    timeout=timeout)
        else:
            conn = imaplib.IMAP4(server.host, server.port, timeout=timeout)
            if server.security == "starttls":
                conn.starttls(ssl_context=tls_context(ca_file))
    except ssl.SSLCertVerificationError as exc:
        raise MailError(f"收信服务器 {where} 的证书无法验证({exc.verify_message}):请核对服务器地址;"
                        "单位自建 CA 的,在登记表「设置」表「CA证书文件」填写 CA 证书的路径。") from exc
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise MailError(f"无法连接收信服务器 {where}:{network_reason(exc)}") from exc
    try:
        try:
            _login(conn, account, secret)
        except imaplib.IMAP4.error as exc:
            raise MailError(f"收信服务器 {where} 登录失败(账号 {account}):{exc}。请核对账号和密码;"
                            "商业邮箱要先在网页邮箱里开启 IMAP/SMTP 服务,并用「授权码」代替登录密码。") from None
        except OSError as exc:
            raise MailError(f"收信服务器 {where} 登录时连接中断:{network_reason(exc)}") from exc
        mailbox = ImapMailbox(conn, server)
        mailbox.select(folder)
        yield mailbox
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

