"""(mail) The office's mailbox: where its servers are, how to reach them safely, who logs in.

Settings live in the register's 设置 sheet (keys in `register/layout.py`); the command line's
`--imap HOST:PORT`, `--smtp HOST:PORT`, `--user ACCOUNT` and `--security tls|starttls|plain`
override them (the contract in shared/domain.md). Security is implicit TLS, STARTTLS, or plain
only towards this machine: a password sent in clear over a network is refused, not warned about.

The password is not a setting. It comes from the environment variable `EXCELFLOW_MAIL_PASSWORD`
or from the OS keyring (service `excelflow`, the account as user name), is held in a `Secret`
whose repr hides it, and is handed to the server's login and nowhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from excelflow.errors import MailError
from excelflow.register.addresses import is_address
from excelflow.register.layout import (
    MAIL_ACCOUNT,
    MAIL_AUTO_RECEIPTS,
    MAIL_CA_FILE,
    MAIL_FOLDER,
    MAIL_FROM,
    MAIL_IMAP,
    MAIL_MOVE_TO,
    MAIL_SECURITY,
    MAIL_SENDER_NAME,
    MAIL_SIZE_CAP,
    MAIL_SMTP,
    SETTINGS_SHEET,
)
from excelflow.register.model import Register

Security = Literal["tls", "starttls", "plain"]
PASSWORD_VARIABLE = "EXCELFLOW_MAIL_PASSWORD"
KEYRING_SERVICE = "excelflow"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_ATTACHMENT_CAP_MB = 30  # the same as intake's file limit: a bigger return would be refused anyway

SECURITY_NAMES: Mapping[Security, str] = {"tls": "SSL/TLS", "starttls": "STARTTLS", "plain": "不加密"}
_SECURITY_WORDS: Mapping[str, Security] = {
    "tls": "tls", "ssl": "tls", "ssl/tls": "tls", "tls/ssl": "tls", "implicit": "tls", "是": "tls",
    "starttls": "starttls", "start-tls": "starttls",
    "plain": "plain", "none": "plain", "不加密": "plain", "无": "plain", "否": "plain",
}
_IMPLICIT_TLS_PORTS = {993, 465}
_DEFAULT_PORTS: Mapping[tuple[str, Security], int] = {
    ("imap", "tls"): 993, ("imap", "starttls"): 143, ("imap", "plain"): 143,
    ("smtp", "tls"): 465, ("smtp", "starttls"): 587, ("smtp", "plain"): 25,
}
_YES = {"是", "yes", "y", "true", "1", "自动", "发送"}


class Secret:
    """A password that does not show itself in a repr, a log line or a traceback's locals."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The password, for the server's login only."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('******')"

    __str__ = __repr__


@dataclass(frozen=True)
class Server:
    """One mail server: host, port and how the connection is protected."""

    host: str
    port: int
    security: Security

    def describe(self) -> str:
        return f"{self.host}:{self.port}({SECURITY_NAMES[self.security]})"


@dataclass(frozen=True)
class Overrides:
    """What the command line gave (None: take the register's)."""

    imap: str | None = None
    smtp: str | None = None
    user: str | None = None
    security: str | None = None


@dataclass(frozen=True)
class MailSettings:
    """The mailbox as `excelflow mail` uses it."""

    imap: Server | None
    smtp: Server | None
    account: str
    sender: str  # the From address (the account, unless 发件地址 says otherwise)
    sender_name: str
    folder: str = "INBOX"
    move_to: str | None = None  # fetched messages are moved here; None: they are flagged where they are
    auto_receipts: bool = False
    ca_file: str | None = None
    attachment_cap: int = DEFAULT_ATTACHMENT_CAP_MB * 1024 * 1024

    def require_imap(self) -> Server:
        if self.imap is None:
            raise MailError(f"没有设置收信服务器:请在任务登记表「{SETTINGS_SHEET}」表填写「{MAIL_IMAP}」"
                            "(例如 imap.exmail.qq.com:993),或在命令中加 --imap 主机:端口。")
        return self.imap

    def require_smtp(self) -> Server:
        if self.smtp is None:
            raise MailError(f"没有设置发信服务器:请在任务登记表「{SETTINGS_SHEET}」表填写「{MAIL_SMTP}」"
                            "(例如 smtp.exmail.qq.com:465),或在命令中加 --smtp 主机:端口。")
        return self.smtp


def parse_security(text: str, where: str) -> Security:
    word = re.sub(r"\s+", "", text).lower()
    if word not in _SECURITY_WORDS:
        raise MailError(f"{where}「{text}」不是加密方式:请写 SSL/TLS、STARTTLS,或 不加密(只用于本机测试)。")
    return _SECURITY_WORDS[word]


def parse_server(text: str, kind: Literal["imap", "smtp"], security: Security | None, where: str) -> Server:
    """`host:port`, `host` or `[::1]:143` → a Server; the port and security follow from each other.

    With neither given, implicit TLS on its standard port (993 or 465), as both 政务邮箱 and the
    commercial providers offer. Plain is refused towards anything but this machine.
    """
    value = text.strip()
    match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|([^:\s]+)(?::(\d+))?", value)
    if not match:
        raise MailError(f"{where}「{text}」不是「主机:端口」,例如 imap.exmail.qq.com:993。")
    host = match.group(1) or match.group(3)
    port_text = match.group(2) or match.group(4)
    port = int(port_text) if port_text else None
    if port is not None and not 0 < port < 65536:
        raise MailError(f"{where}「{text}」的端口不对:端口是 1 到 65535 的数字。")
    if security is None:
        security = "tls" if port is None or port in _IMPLICIT_TLS_PORTS else "starttls"
    if port is None:
        port = _DEFAULT_PORTS[(kind, security)]
    if security == "plain" and host.lower() not in LOCAL_HOSTS:
        raise MailError(f"{where}:不加密的连接只允许连接本机(127.0.0.1 或 localhost),「{host}」不行:"
                        "密码和公文会以明文经过网络。请改用 SSL/TLS 或 STARTTLS。")
    return Server(host=host, port=port, security=security)


def mail_settings(register: Register, overrides: Overrides = Overrides()) -> MailSettings:
    """The mailbox from the register's 设置 sheet, with the command line's values winning."""
    s = register.settings
    sheet = f"任务登记表「{SETTINGS_SHEET}」表"

    def setting(key: str) -> str:
        return (s.get(key) or "").strip()

    if overrides.security:
        security: Security | None = parse_security(overrides.security, "--security")
    elif setting(MAIL_SECURITY):
        security = parse_security(setting(MAIL_SECURITY), f"{sheet}「{MAIL_SECURITY}」")
    else:
        security = None
    imap_text = overrides.imap or setting(MAIL_IMAP)
    smtp_text = overrides.smtp or setting(MAIL_SMTP)
    imap = parse_server(imap_text, "imap", security, "--imap" if overrides.imap else f"{sheet}「{MAIL_IMAP}」") \
        if imap_text else None
    smtp = parse_server(smtp_text, "smtp", security, "--smtp" if overrides.smtp else f"{sheet}「{MAIL_SMTP}」") \
        if smtp_text else None
    office = register.office
    account = overrides.user or setting(MAIL_ACCOUNT) or office.email
    sender = setting(MAIL_FROM) or (account if is_address(account) else office.email)
    if (imap or smtp) and not account:
        raise MailError(f"没有邮箱账号:请在{sheet}填写「{MAIL_ACCOUNT}」(一般是完整邮箱地址),或在命令中加 --user 账号。")
    cap_text = setting(MAIL_SIZE_CAP)
    try:
        cap_mb = float(cap_text) if cap_text else DEFAULT_ATTACHMENT_CAP_MB
    except ValueError:
        raise MailError(f"{sheet}「{MAIL_SIZE_CAP}」填的「{cap_text}」不是数字,例如 30。") from None
    return MailSettings(
        imap=imap, smtp=smtp, account=account, sender=sender,
        sender_name=setting(MAIL_SENDER_NAME) or office.name,
        folder=setting(MAIL_FOLDER) or "INBOX",
        move_to=setting(MAIL_MOVE_TO) or None,
        auto_receipts=setting(MAIL_AUTO_RECEIPTS).lower() in _YES,
        ca_file=setting(MAIL_CA_FILE) or None,
        attachment_cap=max(1, int(cap_mb * 1024 * 1024)),
    )


def mailbox_configured(register: Register) -> bool:
    """Whether the register names a mailbox to fetch from (what makes collect and watch fetch)."""
    return bool((register.settings.get(MAIL_IMAP) or "").strip())


def password(account: str, environ: Mapping[str, str] | None = None) -> Secret:
    """The mailbox password (or the provider's authorisation code): environment, else OS keyring."""
    env = os.environ if environ is None else environ
    value = env.get(PASSWORD_VARIABLE)
    if value:
        return Secret(value)
    try:
        import keyring  # optional (`pip install keyring`); imported only when the variable is unset
    except ImportError:
        keyring = None
    if keyring is not None:
        try:
            stored = keyring.get_password(KEYRING_SERVICE, account)
        except Exception:  # noqa: BLE001 - no usable keyring backend (a server without a desktop)
            stored = None
        if stored:
            return Secret(stored)
    raise MailError(
        f"没有邮箱密码:请把邮箱密码(商业邮箱一般是「授权码」)放在环境变量 {PASSWORD_VARIABLE} 中,"
        f"或用系统钥匙串保存(pip install keyring 后运行 keyring set {KEYRING_SERVICE} {account or '邮箱账号'})。"
        "密码不能写在任务登记表里。")
