"""A real IMAP server (Dovecot) and a real SMTP server (Postfix) on 127.0.0.1, for the mail tests.

Both run from a private folder with their own configuration, on free high ports, so they never
touch the system's mail setup nor fight over ports 25/143/993:

- Dovecot serves IMAP (plain + STARTTLS on one port, implicit TLS on another), LMTP for local
  delivery and its auth service for Postfix's SMTP AUTH. Users and passwords are a passwd-file;
  mail is kept as maildirs in the private folder.
- Postfix accepts SMTP (AUTH through Dovecot, STARTTLS offered) and delivers every message for
  the test domains into Dovecot over LMTP, exactly as a real office mail system does. Nothing
  leaves the machine: mail for any other domain is refused at RCPT time.

As root (here and in CI) the daemons drop to the `dovecot`, `dovenull` and `postfix` users the
Debian packages create. Postfix's master must start as root, so as an ordinary user the tests are
skipped with that reason (outside CI; in CI a missing server fails the run). A self-signed CA and server certificate are made with
`openssl` so that TLS is checked for real (the client trusts the CA through the register's CA
setting, as an office with an internal CA would).

`.ci/run` installs the Debian packages (dovecot-imapd, dovecot-lmtpd, postfix) with their own
services kept from starting; the tests start these private instances themselves.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DOMAIN = "gf.gov.test"
OTHER_DOMAIN = "qq.test"  # units also write from personal mailboxes at commercial providers
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


def missing_reason() -> str | None:
    """Why the servers cannot run here, or None when they can."""
    need = {"dovecot (Debian: dovecot-imapd dovecot-lmtpd)": DOVECOT, "postfix (Debian: postfix)": POSTFIX,
            "openssl": OPENSSL}
    missing = [name for name, path in need.items() if not Path(path).exists()]
    if missing:
        return "mail servers not installed: " + ", ".join(missing) + " (.ci/run installs them)"
    if not Path("/usr/lib/dovecot/lmtp").exists():
        return "Dovecot LMTP missing (Debian: dovecot-lmtpd)"
    if os.geteuid() != 0:
        return "Postfix must be started as root (CI runs as root)"
    try:
        pwd.getpwnam("postfix"), pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
    except KeyError as exc:
        return f"system user missing ({exc}); reinstall the Debian packages"
    return None


def _free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _wait_port(port: int, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s; log:\n{text[-4000:]}")


@dataclass
class MailServers:
    """The running pair; `users` maps address → password."""

    root: Path
    imap_port: int
    imaps_port: int
    smtp_port: int
    lmtp_port: int
    auth_port: int
    ca_file: Path
    users: dict[str, str] = field(default_factory=dict)
    _dovecot: subprocess.Popen[bytes] | None = None
    _postfix: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def add_user(self, address: str, password: str) -> None:
        """A mailbox; Dovecot re-reads its passwd-file when it changes, no restart needed."""
        self.users[address.lower()] = password
        uid, gid = _mail_ids()
        lines = []
        for user, pw in sorted(self.users.items()):
            home = self.root / "mail" / user
            lines.append(f"{user}:{{PLAIN}}{pw}:{uid}:{gid}::{home}::")
        tmp = self.root / "users.tmp"
        tmp.write_text("\n".join(lines) + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.root / "users")
        # Dovecot re-reads the file when its size or mtime changed, checking at most once a second:
        # callers wait a second after adding users before they log in as them.

    def stop(self) -> None:
        for proc, cmd in ((self._postfix, [POSTFIX, "-c", str(self.root / "postfix"), "stop"]),
                          (self._dovecot, [DOVECOT, "-c", str(self.root / "dovecot.conf"), "stop"])):
            if proc is None or proc.poll() is not None:
                continue
            subprocess.run(cmd, capture_output=True, timeout=30)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)


def _mail_ids() -> tuple[int, int]:
    entry = pwd.getpwnam("dovecot")
    return entry.pw_uid, entry.pw_gid


def _make_certificates(root: Path) -> Path:
    """A test CA and a server certificate for 127.0.0.1 / localhost; returns the CA file."""
    def run(*args: str) -> None:
        subprocess.run([OPENSSL, *args], check=True, capture_output=True, cwd=root)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=excelflow test CA",
        "-keyout", "ca.key", "-out", "ca.pem")
    (root / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                  "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                                  "extendedKeyUsage=serverAuth\n")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", "san.cnf", "-out", "server.pem")
    for name in ("server.key", "server.pem", "ca.pem"):
        os.chmod(root / name, 0o644)
    return root / "ca.pem"


_DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
postmaster_address = postmaster@{domain}
recipient_delimiter =
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%Lu {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service auth {{
  inet_listener {{
    address = 127.0.0.1
    port = {auth}
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""

_MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/postfix/queue
data_directory = {root}/postfix/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.{domain}
mydomain = {domain}
myorigin = {domain}
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = {domain} {other}
virtual_mailbox_maps =
virtual_transport = lmtp:inet:127.0.0.1:{lmtp}
default_transport = error:tests deliver nothing outside the test domains
relay_transport = error:tests deliver nothing outside the test domains
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{auth}
smtpd_tls_security_level = may
smtpd_tls_cert_file = {root}/server.pem
smtpd_tls_key_file = {root}/server.key
smtpd_tls_auth_only = no
smtputf8_enable = no
message_size_limit = 52428800
maillog_file = {root}/postfix/maillog
maillog_file_prefixes = {root}
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
lmtp_connection_cache_on_demand = no
biff = no
"""

_MASTER_CF = """\
127.0.0.1:{smtp} inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
smtp      unix  -       -       n       -       -       smtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def start_mail_servers() -> MailServers:
    """Start Dovecot and Postfix in a private folder; the caller stops them (`MailServers.stop`)."""
    root = Path(tempfile.mkdtemp(prefix="excelflow-mail-"))
    os.chmod(root, 0o755)  # the daemons' own users must reach their files
    imap, imaps, smtp, lmtp, auth = _free_ports(5)
    servers = MailServers(root, imap, imaps, smtp, lmtp, auth, ca_file=root / "ca.pem")
    try:
        _make_certificates(root)
        uid, gid = _mail_ids()
        (root / "mail").mkdir()
        os.chown(root / "mail", uid, gid)
        servers.add_user(f"postmaster@{DOMAIN}", "postmaster-pw")
        conf = root / "dovecot.conf"
        conf.write_text(_DOVECOT_CONF.format(root=root, domain=DOMAIN, imap=imap, imaps=imaps, lmtp=lmtp, auth=auth))
        with open(root / "dovecot.stderr", "wb") as err:  # the child keeps its own copy of the handle
            servers._dovecot = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=err)
        _wait_port(imap, 20, "Dovecot IMAP", root / "dovecot.log")
        _wait_port(lmtp, 20, "Dovecot LMTP", root / "dovecot.log")

        pf = root / "postfix"
        for sub in ("queue", "data"):
            (pf / sub).mkdir(parents=True)
        os.chown(pf / "data", pwd.getpwnam("postfix").pw_uid, pwd.getpwnam("postfix").pw_gid)
        values = dict(root=root, domain=DOMAIN, other=OTHER_DOMAIN, lmtp=lmtp, auth=auth, smtp=smtp)
        (pf / "main.cf").write_text(_MAIN_CF.format(**values))
        (pf / "master.cf").write_text(_MASTER_CF.format(**values))
        env = {**os.environ, "MAIL_CONFIG": str(pf)}
        with open(root / "postfix.stderr", "wb") as err:
            servers._postfix = subprocess.Popen([POSTFIX, "-c", str(pf), "start-fg"], stdout=subprocess.DEVNULL,
                                                stderr=err, env=env)
        _wait_port(smtp, 30, "Postfix SMTP", pf / "maillog")
    except BaseException:
        servers.stop()
        raise
    return servers
