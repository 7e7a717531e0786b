"""The staged docs tree on disk: writes that keep mtimes, and a sync that removes what is gone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds it (its mtime then stays)."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def sync_tree(dest: Path, files: dict[str, str | bytes]) -> list[str]:
    """Make ``dest`` hold exactly ``files``: write changed ones, delete the rest (returned)."""
    removed = []
    dest.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        write_if_changed(dest / name, content.encode() if isinstance(content, str) else content)
    wanted = set(files)
    for path in sorted(dest.rglob("*"), reverse=True):
        name = path.relative_to(dest).as_posix()
        if path.is_file() and name not in wanted:
            path.unlink()
            removed.append(name)
        elif path.is_dir() and not any(path.iterdir()):
            shutil.rmtree(path)
    return removed
