"""``check``: every problem in a community repo, content and newsletters alike."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tidings.config import collector_url_warning
from tidings.content import check
from tidings.content.model import Community
from tidings.errors import Problem


def check_all(root: Path, now: datetime | None = None) -> tuple[Community | None, list[Problem]]:
    """Content problems, then (when the content loads) newsletter rendering problems."""
    community, problems = check(root)
    if community is not None and (warning := collector_url_warning(community.config)) is not None:
        problems.append(warning)
    if community is not None and community.newsletters:
        from tidings.mail.checks import check_newsletter  # rendering is costly to import: only if needed

        moment = now or datetime.now(UTC)
        broken = {p.path for p in problems if p.severity == "error"}
        for letter in community.newsletters:
            if letter.path not in broken:
                problems.extend(check_newsletter(community, letter, moment))
    return community, sorted(problems)
