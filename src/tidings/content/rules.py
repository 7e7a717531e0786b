"""Guideline rules: ``## Title {#rule-id}`` headings, and their history in git."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tidings.content.fences import markdown_lines as markdown_lines  # loader and paths import it here
from tidings.content.model import Rule
from tidings.content.source import parse_source

HEADING_RE = re.compile(r"^##\s+(?P<title>.+?)\s*(?:\{(?P<attrs>[^}]*)\})?\s*#*\s*$")


@dataclass(frozen=True)
class RuleHeading:
    title: str
    id: str | None
    index: int


def rule_headings(body: str) -> list[RuleHeading]:
    """Every ``##`` heading of a guideline body, with its explicit id (None if it has none)."""
    found = []
    for index, line in markdown_lines(body):
        match = HEADING_RE.match(line)
        if not match or line.startswith("###"):
            continue
        attrs = match.group("attrs") or ""
        # Letters of any script, like the slugs check suggests (`{#να-είστε-ευγενικοί}`).
        id_match = re.search(r"#(\w[\w-]*)", attrs)
        found.append(RuleHeading(match.group("title"), id_match.group(1) if id_match else None, index))
    return found


def parse_rules(body: str, body_line: int) -> list[Rule]:
    """The rules of a guideline body (headings without an id are skipped: ``check`` reports them)."""
    lines = body.splitlines()
    headings = rule_headings(body)
    rules = []
    for position, heading in enumerate(headings):
        end = headings[position + 1].index if position + 1 < len(headings) else len(lines)
        text = "\n".join(lines[heading.index + 1 : end]).strip()
        if heading.id:
            rules.append(Rule(heading.id, heading.title, body_line + heading.index, text))
    return rules


@dataclass(frozen=True)
class RuleVersion:
    """The rules of a guideline file as one commit had them."""

    commit: str
    date: datetime
    rules: dict[str, tuple[str, str]]  # id -> (title, text)


def rule_history(root: Path, path: str) -> list[RuleVersion]:
    """Rules of ``path`` in each commit that touched it, oldest first; [] outside a git repo."""
    try:
        log = subprocess.run(
            ["git", "log", "--format=%H %cI", "--", path],
            cwd=root, capture_output=True, text=True, check=True, timeout=30,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return []
    versions = []
    for entry in reversed([line for line in log if line.strip()]):
        commit, stamp = entry.split(" ", 1)
        shown = subprocess.run(
            ["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True, text=True, timeout=30
        )
        if shown.returncode != 0:
            continue
        source, _ = parse_source(path, shown.stdout)
        if source is None:
            continue
        rules = {r.id: (r.title, r.text) for r in parse_rules(source.body, 1)}
        versions.append(RuleVersion(commit, datetime.fromisoformat(stamp), rules))
    return versions
