"""The staged docs tree on disk: writes that keep mtimes, and a sync that removes what is gone."""

from __future__ import annotations

import shutil
from pathlib import Path

from tidings.files import write_if_changed as write_if_changed  # stage imports it here


def sync_tree(dest: Path, files: dict[str, str | bytes]) -> list[str]:
    """Make ``dest`` hold exactly ``files``: write changed ones, delete the rest (returned)."""
    removed = []
    dest.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        # No fsync: the staged tree is rebuilt from the sources at every build.
        write_if_changed(dest / name, data, durable=False)
    wanted = set(files)
    for path in sorted(dest.rglob("*"), reverse=True):
        name = path.relative_to(dest).as_posix()
        if path.is_file() and name not in wanted:
            path.unlink()
            removed.append(name)
        elif path.is_dir() and not any(path.iterdir()):
            shutil.rmtree(path)
    return removed
