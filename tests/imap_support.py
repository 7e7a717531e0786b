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
    port: int

    def url(self, user: str, *, scheme: str = "imap", password: str = PASSWORD) -> str:
        return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{self.host}:{self.port}/INBOX"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(base: Path, mail: Path, port: int) -> str:
    if os.getuid() == 0:
        internal, login, mail_user = "dovecot", "dovenull", pwd.getpwnam("dovecot")
    else:
        me = pwd.getpwuid(os.getuid()).pw_name
        internal, login, mail_user = me, me, pwd.getpwuid(os.getuid())
    return f"""
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
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
    port = 0
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
def throwaway_dovecot() -> Iterator[Dovecot]:
    """Start Dovecot on a free port of 127.0.0.1; stop it and remove its files afterwards."""
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
    port = free_port()
    (base / "dovecot.conf").write_text(_config(base, mail, port), encoding="utf-8")
    process = subprocess.Popen([binary, "-F", "-c", str(base / "dovecot.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(port, process, base / "dovecot.log")
        yield Dovecot("127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(base, ignore_errors=True)
