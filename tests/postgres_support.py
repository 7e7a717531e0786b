"""A throwaway PostgreSQL cluster on 127.0.0.1 (initdb + pg_ctl): for the tests and the benchmarks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries (or runuser, when running as root) are not installed."""


def postgres_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` holding initdb and pg_ctl, if any."""
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a cluster on a free port of 127.0.0.1; yield its URL (database ``postgres``); stop it."""
    binaries = postgres_binaries()
    if binaries is None:
        raise PostgresMissing("PostgreSQL server is not installed (apt-get install postgresql)")
    directory = Path(tempfile.mkdtemp(prefix="tidings-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if shutil.which("runuser") is None:
            raise PostgresMissing("running as root without runuser: cannot start PostgreSQL")
        shutil.chown(directory, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = directory / "data"
    subprocess.run([*as_user, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                    "--no-sync"], check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c fsync=off"
    subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                    str(directory / "log"), "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)
