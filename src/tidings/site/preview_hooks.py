"""MkDocs hooks: keep compiled theme templates between builds (only a speed-up; engines may ignore it)."""

from __future__ import annotations

import os
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache

CACHE_ENV = "TIDINGS_JINJA_CACHE"


def on_env(env: Environment, config: Any, files: Any) -> Environment:
    directory = os.environ.get(CACHE_ENV)
    if directory:
        # MkDocs makes a new Jinja environment per build; the bytecode cache survives it.
        env.bytecode_cache = FileSystemBytecodeCache(directory)
    return env
