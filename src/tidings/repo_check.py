"""``check``: every problem in a community repo, content and newsletters alike."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tidings.config import collector_url_warning
from tidings.content import check
from tidings.content.model import Community
from tidings.errors import Problem


def check_all(root: Path, now: datetime | None = None) -> tuple[Community | None, list[Problem]]:
    """Content problems, then the mail checks of every newsletter that loaded (even one with errors)."""
    community, problems = check(root)
    from tidings.site.page_templates import override_problems  # the site's own template rules

    problems.extend(override_problems(root))
    if community is not None and (warning := collector_url_warning(community.config)) is not None:
        problems.append(warning)
    if community is not None and community.newsletters:
        from tidings.mail.issue_checks import check_brand_color, check_newsletter  # costly: only if needed

        problems.extend(check_brand_color(community.config))
        moment = now or datetime.now(UTC)
        # A missing template is reported already; rendering would only say it again.
        no_template = {p.path for p in problems if p.field == "template" and p.severity == "error"}
        for letter in community.newsletters:
            problems.extend(check_newsletter(community, letter, moment,
                                             render=letter.path not in no_template))
    return community, sorted(problems)
