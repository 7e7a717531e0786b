"""What every benchmark records about the machine and the packages it measured."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from typing import Any


def version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment(*packages: str, **extra: Any) -> dict[str, Any]:
    """When, where and with which versions a benchmark ran (load average included)."""
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "executable": sys.executable,
        "platform": platform.platform(), "cpus": os.cpu_count(),
        **extra,
        **{name: version(name) for name in ("tidings", *packages)},
    }
