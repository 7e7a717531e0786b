"""Every file and folder tidings replaces goes through here: never half a file, never a stray temp.

A file is written to a temporary name in its own folder (the rename must stay on one
filesystem), flushed to disk, then renamed over the target; on any failure the temporary file
is removed and the old file is left as it was. A built site is swapped in the same way.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it.

    ``durable=False`` skips the fsync, for files rebuilt from sources at every run (a staged tree).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())  # the rename must never publish a file still in the cache
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes, *, durable: bool = True) -> bool:
    """Write ``data`` atomically unless the file already holds it (its mtime then stays)."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomic(path, data, durable=durable)
    return True


def swap_directory(new: Path, out: Path) -> None:
    """Replace the folder ``out`` with ``new`` (same filesystem); the old tree is removed afterwards."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
