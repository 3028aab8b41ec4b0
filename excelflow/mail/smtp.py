"""(mail) The SMTP side: one session that sends message after message and says what happened to each.

What matters for a round of 80 units: a refusal for one recipient (a mistyped address, a full
mailbox) is that recipient's result and the next message goes on; a connection that drops in the
middle is opened again once, and only when that fails too does the run stop (what was not sent
is then simply sent by the next run). The password goes to `login` only.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from email.message import Message

from excelflow.errors import MailError
from excelflow.mail.network import TIMEOUT, network_reason, tls_context
from excelflow.mail.settings import Secret, Server


class RecipientRefused(Exception):
    """The server refused this one message or recipient; the text (Chinese) says why."""


class SmtpSession:
    """A logged-in SMTP connection, opened on first use and reopened once if it drops."""

    def __init__(self, server: Server, account: str, secret: Secret, ca_file: str | None = None,
                 timeout: float = TIMEOUT) -> None:
        self.server = server
        self._account = account
        self._secret = secret
        self._ca_file = ca_file
        self._timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        where = self.server.describe()
        try:
            if self.server.security == "tls":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(self.server.host, self.server.port, timeout=self._timeout,
                                                      context=tls_context(self._ca_file))
            else:
                conn = smtplib.SMTP(self.server.host, self.server.port, timeout=self._timeout)
                if self.server.security == "starttls":
                    conn.starttls(context=tls_context(self._ca_file))
            conn.ehlo_or_helo_if_needed()
        except ssl.SSLCertVerificationError as exc:
            raise MailError(f"发信服务器 {where} 的证书无法验证({exc.verify_message}):请核对服务器地址;"
                            "单位自建 CA 的,在登记表「设置」表「CA证书文件」填写 CA 证书的路径。") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"无法连接发信服务器 {where}:{network_reason(exc)}") from exc
        try:
            if conn.has_extn("auth"):
                _login(conn, self._account, self._secret)
        except smtplib.SMTPAuthenticationError as exc:
            conn.close()
            raise MailError(f"发信服务器 {where} 登录失败(账号 {self._account}):{_reply(exc.smtp_code, exc.smtp_error)}。"
                            "请核对账号和密码;商业邮箱要开启 SMTP 服务并使用「授权码」。") from None
        except (OSError, smtplib.SMTPException) as exc:
            conn.close()
            raise MailError(f"发信服务器 {where} 登录时出错:{network_reason(exc)}") from None
        self._conn = conn

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                self._conn.close()
            self._conn = None

    def send(self, message: Message, sender: str, recipient: str) -> None:
        """Send `message` to `recipient`. RecipientRefused for this message alone; MailError when
        the server cannot be reached again after the connection dropped."""
        for attempt in (1, 2):
            if self._conn is None:
                self.connect()
            assert self._conn is not None
            try:
                refused = self._conn.send_message(message, from_addr=sender, to_addrs=[recipient])
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = exc.recipients.get(recipient, (0, b""))
                raise RecipientRefused(f"收件地址被拒绝:{_reply(code, text)}") from None
            except smtplib.SMTPSenderRefused as exc:
                raise RecipientRefused(f"发件地址被拒绝:{_reply(exc.smtp_code, exc.smtp_error)}") from None
            except smtplib.SMTPDataError as exc:
                raise RecipientRefused(f"邮件被拒绝:{_reply(exc.smtp_code, exc.smtp_error)}") from None
            except (smtplib.SMTPServerDisconnected, socket.timeout, ConnectionError) as exc:
                self._conn = None
                if attempt == 2:
                    raise MailError(f"发信服务器 {self.server.describe()} 连接中断:{network_reason(exc)}") from exc
                continue
            if refused:
                code, text = refused.get(recipient, (0, b""))
                raise RecipientRefused(f"收件地址被拒绝:{_reply(code, text)}")
            return


def _login(conn: smtplib.SMTP, account: str, secret: Secret) -> None:
    """Log in; an account or password with non-ASCII characters goes as UTF-8 AUTH PLAIN (RFC 4616),
    which smtplib's own login cannot send."""
    password = secret.reveal()
    if account.isascii() and password.isascii():
        conn.login(account, password)
        return
    token = base64.b64encode(b"\0" + account.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, answer = conn.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def _reply(code: int, text: bytes | str) -> str:
    body = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {body}".strip()[:300]
