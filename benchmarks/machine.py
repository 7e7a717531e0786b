"""Shared by the benchmarks: what each records about the machine, and the summary table."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass
class Row:
    """One line of a benchmark's summary: a figure, its target and PASS/MISS (or info)."""

    name: str
    value: str
    target: str
    status: str


def status(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_summary(rows: Sequence[Row]) -> None:
    name = max(len(r.name) for r in rows)
    value = max(len("measured"), *(len(r.value) for r in rows))
    target = max(len("target"), *(len(r.target) for r in rows))
    print(f"\n{'Summary':<{name}}  {'measured':>{value}}  {'target':>{target}}  result")
    for r in rows:
        print(f"{r.name:<{name}}  {r.value:>{value}}  {r.target:>{target}}  {r.status}")
