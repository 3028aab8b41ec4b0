"""(mail) What IMAP and SMTP share: the TLS context, the time-out, network errors said in Chinese."""

from __future__ import annotations

import socket
import ssl

from excelflow.errors import MailError

TIMEOUT = 60.0  # seconds per network operation: a stalled server must not hang an unattended pass


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Certificates are checked (the system's CAs, or the office's own CA file when it has one)."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise MailError(f"无法读取 CA 证书文件「{ca_file}」:{exc}") from exc


def network_reason(exc: BaseException) -> str:
    """Why a connection failed, as a clerk can pass it on to IT."""
    if isinstance(exc, socket.timeout):
        return "连接超时(服务器没有响应)"
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝(端口不对,或服务器未开启该服务)"
    if isinstance(exc, socket.gaierror):
        return "找不到这个服务器(主机名不对,或网络不通)"
    if isinstance(exc, ssl.SSLError):
        return f"加密连接失败({exc.reason or exc}):请核对加密方式和端口(SSL/TLS 用 993/465,STARTTLS 用 143/587)"
    return f"{type(exc).__name__}: {exc}"
