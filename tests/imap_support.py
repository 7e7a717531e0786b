"""A throwaway Dovecot IMAP server on 127.0.0.1 for the mailbox tests (Debian's dovecot-imapd).

It runs in the foreground with a configuration of its own: any user name logs in with PASSWORD
(a static passdb), each user gets a fresh Maildir, nothing listens beyond 127.0.0.1. As root,
Dovecot's login processes run as ``dovenull`` and mail as ``dovecot`` (it refuses root for both),
so the mail folder lives in a directory of its own that those users can reach.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PASSWORD = "s3cret/p@ss:w?rd&x"  # needs percent-encoding in a URL: proves it is decoded


class DovecotMissing(Exception):
    """dovecot is not installed (scripts/install-system-deps --test installs it)."""


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int  # plain IMAP (with STARTTLS when the server has a certificate)
    tls_port: int | None = None  # IMAP over TLS (imaps://), when it has one
    ca: Path | None = None  # the test authority that signed its certificate

    def url(self, user: str, *, scheme: str = "imap", password: str = PASSWORD) -> str:
        port = self.tls_port if scheme == "imaps" else self.port
        return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{self.host}:{port}/INBOX"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_certificate(folder: Path) -> Path:
    """A throwaway authority and a certificate it signed for 127.0.0.1 (openssl, from ssl-cert's
    dependency); return the authority's file, for SSL_CERT_FILE."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=tidings test authority", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                       "extendedKeyUsage=serverAuth\n", encoding="utf-8")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    return folder / "ca.pem"


def _tls(base: Path, tls_port: int | None) -> tuple[str, str]:
    """The ssl settings and the imaps listener: none without a TLS port."""
    if tls_port is None:
        return "ssl = no", "port = 0"
    return (f"ssl = yes\nssl_cert = <{base}/server.pem\nssl_key = <{base}/server.key",
            f"address = 127.0.0.1\n    port = {tls_port}\n    ssl = yes")


def _config(base: Path, mail: Path, port: int, tls_port: int | None = None) -> str:
    if os.getuid() == 0:
        internal, login, mail_user = "dovecot", "dovenull", pwd.getpwnam("dovecot")
    else:
        me = pwd.getpwuid(os.getuid()).pw_name
        internal, login, mail_user = me, me, pwd.getpwuid(os.getuid())
    ssl, imaps = _tls(base, tls_port)
    return f"""
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={mail}/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    {imaps}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


def _wait(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot stopped: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("dovecot did not answer within 20 s")


@contextmanager
def throwaway_dovecot(*, tls: bool = False) -> Iterator[Dovecot]:
    """Start Dovecot on a free port of 127.0.0.1 (with ``tls``: a certificate, STARTTLS, and
    imaps on a second port); stop it and remove its files afterwards."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        raise DovecotMissing("dovecot is not installed (apt-get install dovecot-imapd)")
    base = Path(tempfile.mkdtemp(prefix="tidings-imap-"))
    base.chmod(0o755)  # the mail and login users must reach their folders
    mail = base / "mail"
    mail.mkdir()
    if os.getuid() == 0:
        user = pwd.getpwnam("dovecot")
        os.chown(mail, user.pw_uid, user.pw_gid)
    for sub in ("run", "state"):
        (base / sub).mkdir()
    port, tls_port = free_port(), free_port() if tls else None
    ca = make_certificate(base) if tls else None
    (base / "dovecot.conf").write_text(_config(base, mail, port, tls_port), encoding="utf-8")
    process = subprocess.Popen([binary, "-F", "-c", str(base / "dovecot.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(port, process, base / "dovecot.log")
        yield Dovecot("127.0.0.1", port, tls_port, ca)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(base, ignore_errors=True)
