"""Guideline pages (every rule a permalink) and the changelog of rules read from git history."""

from __future__ import annotations

from typing import NamedTuple

from tidings.content.kinds import GUIDELINES
from tidings.content.model import Guideline
from tidings.content.rules import rule_history
from tidings.site.pages_base import PageWriter, md, rel, staged_path


class LinkedGuideline(NamedTuple):
    """A guideline on the guidelines index and the link to its page."""

    item: Guideline
    link: str


class Change(NamedTuple):
    """One line of the changelog: the day, what happened (added, changed, retired) and the rule."""

    day: str
    what: str
    rule: str


class GuidelinePages(PageWriter):
    """A page per guideline, the guidelines index and the changelog."""

    def guideline_pages(self) -> None:
        """A page per guideline (marked for the Copy link script), the index and the changelog."""
        if not self.view.guidelines:
            return
        t = self.text
        listed = []
        for guideline in self.view.guidelines:
            page = staged_path(guideline)
            listed.append(LinkedGuideline(guideline, rel(self.section(GUIDELINES), page)))
            if not self.own(guideline):
                continue  # shown in its own language: its page is staged there
            updated = (t.day(guideline.updated.astimezone(self.config.timezone))
                       if guideline.updated else "")
            self.files[page] = self.render("guideline.md.j2", item=guideline,
                                           front=self.front(guideline.title), updated=updated,
                                           body=self.body(guideline, page))
        self.files[self.section(GUIDELINES)] = self.render(
            "guidelines_index.md.j2", front=self.front(t["guidelines.title"]), guidelines=listed)
        self.files[self.section(GUIDELINES, "changelog")] = self.changelog()

    def changelog(self) -> str:
        """Rule changes from git history: added, changed (title or text) and retired rules."""
        t = self.text
        root = self.config.root
        rows: list[tuple[str, str, str, str]] = []
        for guideline in self.view.guidelines:
            page = rel(self.section(GUIDELINES, "changelog"), staged_path(guideline))
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
        newest_first = sorted(rows, key=lambda r: r[0], reverse=True)
        changes = [Change(day, what, rule) for _, day, what, rule in newest_first]
        return self.render("changelog.md.j2", front=self.front(t["guidelines.changelog"]), changes=changes)
