"""MkDocs hooks: keep compiled theme templates between builds (only a speed-up; engines may ignore it).

MkDocs loads this file by its path, as a second copy of the module: the hook reads the folder
from the copy imported as ``tidings.site.preview_hooks``, which ``bytecode_cache`` sets.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache

_directory: Path | None = None


@contextlib.contextmanager
def bytecode_cache(directory: Path | None) -> Iterator[None]:
    """Keep compiled templates in ``directory`` for builds inside the ``with`` block."""
    global _directory
    saved, _directory = _directory, directory
    try:
        yield
    finally:
        _directory = saved


def on_env(env: Environment, config: Any, files: Any) -> Environment:
    directory = importlib.import_module("tidings.site.preview_hooks")._directory
    if directory is not None:
        # MkDocs makes a new Jinja environment per build; the bytecode cache survives it.
        env.bytecode_cache = FileSystemBytecodeCache(str(directory))
    return env
