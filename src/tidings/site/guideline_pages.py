"""Guideline pages (every rule a permalink) and the changelog of rules read from git history."""

from __future__ import annotations

import html

from tidings.content.rules import rule_history
from tidings.site.pages_base import PageWriter, md, rel, staged_path


class GuidelinePages(PageWriter):
    """A page per guideline, the guidelines index and the changelog."""

    def guideline_pages(self) -> None:
        """A page per guideline (marked for the Copy link script), the index and the changelog."""
        if not self.view.guidelines:
            return
        t = self.text
        index = [self.front(t["guidelines.title"]), f"# {t['guidelines.title']}\n\n"]
        for guideline in self.view.guidelines:
            page = staged_path(guideline)
            updated = ""
            if guideline.updated:
                day = t.day(guideline.updated.astimezone(self.config.timezone))
                updated = f"*{t['guidelines.updated']}: {day}*\n\n"
            self.files[page] = (
                self.front(guideline.title) + f"# {md(guideline.title)}\n\n" + updated
                + '<div class="tidings-guideline" data-copy-label="' + html.escape(t["guidelines.copy"])
                + '" data-copied-label="' + html.escape(t["guidelines.copied"]) + '"></div>\n\n'
                + self.body(guideline, page)
            )
            index.append(f"## [{md(guideline.title)}]({rel('guidelines/index.md', page)})\n\n")
            index.extend(
                f"- [{md(rule.title)}]({rel('guidelines/index.md', page)}#{rule.id})\n"
                for rule in guideline.rules
            )
            index.append("\n")
        index.append(f"[{t['guidelines.changelog']}](changelog.md)\n")
        self.files["guidelines/index.md"] = "".join(index)
        self.files["guidelines/changelog.md"] = self.changelog()

    def changelog(self) -> str:
        """Rule changes from git history: added, changed (title or text) and retired rules."""
        t = self.text
        root = self.config.root
        out = [self.front(t["guidelines.changelog"]), f"# {t['guidelines.changelog']}\n\n"]
        rows: list[tuple[str, str, str, str]] = []
        for guideline in self.view.guidelines:
            page = rel("guidelines/changelog.md", staged_path(guideline))
            previous: dict[str, tuple[str, str]] = {}
            for version in rule_history(root, guideline.path):
                day = version.date.astimezone(self.config.timezone)
                stamp = day.isoformat()
                for rule_id, (title, body) in version.rules.items():
                    if rule_id not in previous:
                        rows.append((stamp, t.short_day(day), t["guidelines.added"],
                                     f"[{md(title)}]({page}#{rule_id})"))
                    elif previous[rule_id] != (title, body):
                        rows.append((stamp, t.short_day(day), t["guidelines.changed"],
                                     f"[{md(title)}]({page}#{rule_id})"))
                for rule_id in previous.keys() - version.rules.keys():
                    rows.append((stamp, t.short_day(day), t["guidelines.retired"],
                                 f"{md(previous[rule_id][0])} (`{rule_id}`)"))
                previous = version.rules
            if not previous and guideline.updated:
                # No git history (a download, a fresh repo): say when the editors last updated it.
                day = guideline.updated.astimezone(self.config.timezone)
                rows.append((day.isoformat(), t.short_day(day), t["guidelines.updated"].lower(),
                             f"[{md(guideline.title)}]({page})"))
        if not rows:
            out.append(f"{t['guidelines.no_changes']}\n")
        for _, label, what, rule in sorted(rows, key=lambda r: r[0], reverse=True):
            out.append(f"- **{label}** · {what}: {rule}\n")
        return "".join(out)
