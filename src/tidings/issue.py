"""What goes into one newsletter issue: its intro, included items, events, survey, rule changes.

Pure functions of the content model and a moment; nothing here knows about recipients.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from tidings.calendar.schedule import Occurrence, occurrences
from tidings.content.model import (
    Announcement,
    Community,
    Entry,
    Event,
    Guideline,
    Newsletter,
    Story,
    Survey,
    Topic,
    is_public,
)
from tidings.content.rules import rule_history
from tidings.content.topic_weeks import overlapping

E = TypeVar("E", bound=Entry)

EVENT_WINDOW = timedelta(days=35)  # `include: auto` lists events of the next five weeks
# `include: auto` takes the topics from the previous issue's send to a week after this one's:
# those discussed since, the one running, and the next one (early access when not public yet).
TOPIC_AHEAD = timedelta(days=7)


@dataclass(frozen=True)
class IncludedItem:
    """An included announcement or story; ``public_on`` is set when it is early access."""

    entry: Announcement | Story
    public_on: datetime | None


@dataclass(frozen=True)
class IncludedTopic:
    """An included discussion topic; ``public_on`` is set when its week has not started at send time."""

    entry: Topic
    public_on: datetime | None


@dataclass(frozen=True)
class RuleChange:
    guideline: Guideline
    rule_id: str
    title: str
    what: str  # "added" or "changed"


@dataclass(frozen=True)
class IssueContent:
    newsletter: Newsletter
    at: datetime
    items: tuple[IncludedItem, ...]
    events: tuple[Occurrence, ...]
    survey: Survey | None
    rule_changes: tuple[RuleChange, ...]
    topics: tuple[IncludedTopic, ...] = ()

    @property
    def included(self) -> tuple[IncludedItem | IncludedTopic, ...]:
        """Every included item, topics last."""
        found: list[IncludedItem | IncludedTopic] = [*self.items, *self.topics]
        return tuple(found)

    @property
    def early_access(self) -> tuple[IncludedItem | IncludedTopic, ...]:
        return tuple(item for item in self.included if item.public_on is not None)

    @property
    def public_on(self) -> datetime | None:
        """When everything in the issue is public (the web archive shows it from then)."""
        dates = [item.public_on for item in self.included if item.public_on]
        dates += [o.event.announced for o in self.events
                  if o.event.announced and o.event.announced > self.at]
        return max(dates, default=None)


def previous_issue(community: Community, newsletter: Newsletter) -> Newsletter | None:
    earlier = [n for n in community.newsletters if not n.draft and n.send_at < newsletter.send_at]
    return max(earlier, key=lambda n: n.send_at, default=None)


def issue_content(community: Community, newsletter: Newsletter, now: datetime) -> IssueContent:
    """Resolve ``include`` (paths or ``auto``), the survey and the rule changes at send time."""
    at = max(now, newsletter.send_at)
    previous = previous_issue(community, newsletter)
    since = previous.send_at if previous else newsletter.send_at - timedelta(days=31)
    by_path: dict[str, Entry] = community.by_path()
    chosen: list[Entry]
    if newsletter.include == "auto":
        news: list[Entry] = [a for a in community.announcements if not a.hidden and a.date > since]
        stories: list[Entry] = [s for s in community.stories if not s.hidden and s.date > since]
        chosen = sorted(news, key=_date) + sorted(stories, key=_date)
        chosen += [e for e in community.events if not e.hidden and occurrences(e, at, at + EVENT_WINDOW)]
        chosen += overlapping(community.topics, since, at + TOPIC_AHEAD)
    else:
        chosen = [by_path[p.lstrip("./")] for p in newsletter.include if p.lstrip("./") in by_path]
    items = tuple(
        IncludedItem(e, e.public_from if e.public_from and e.public_from > at else None)
        for e in chosen if isinstance(e, Announcement | Story) and not e.hidden
    )
    topics = tuple(IncludedTopic(t, t.week_start if t.week_start > at else None)
                   for t in chosen if isinstance(t, Topic) and not t.hidden)
    events = []
    for event in (e for e in chosen if isinstance(e, Event) and not e.hidden):
        upcoming = occurrences(event, at, at + timedelta(days=366))
        if upcoming:
            events.append(upcoming[0])
    survey = next((s for s in community.surveys if s.id == newsletter.survey), None)
    changes = rule_changes(community, since, at) if previous else ()
    return IssueContent(newsletter, at, items, tuple(sorted(events, key=lambda o: o.start)),
                        survey, changes, topics)


def content_in_language(community: Community, content: IssueContent, lang: str,
                        newsletter: Newsletter | None = None) -> IssueContent:
    """The same issue with each item, event, survey and rule taken in ``lang`` where translated.

    What is in it stays the same in every language (chosen once, from the sources); a draft
    translation is passed over as the site passes it over (``Community.in_language``).
    """
    view = community.in_language(lang)
    local = {source.path: version for name, group in community.items.items()
             for source, version in zip(group, view.items.get(name, ()), strict=True)}

    def pick(entry: E) -> E:
        version = local.get(entry.path, entry)
        return version if isinstance(version, type(entry)) else entry

    changes = []
    for change in content.rule_changes:
        guideline = pick(change.guideline)
        title = next((rule.title for rule in guideline.rules if rule.id == change.rule_id), change.title)
        changes.append(replace(change, guideline=guideline, title=title))
    return replace(
        content, newsletter=newsletter or content.newsletter,
        items=tuple(replace(item, entry=pick(item.entry)) for item in content.items),
        events=tuple(replace(o, event=pick(o.event)) for o in content.events),
        survey=pick(content.survey) if content.survey is not None else None,
        rule_changes=tuple(changes),
        topics=tuple(replace(item, entry=pick(item.entry)) for item in content.topics))


def _date(entry: Entry) -> datetime:
    public_from = entry.public_from
    assert public_from is not None
    return public_from


def rule_changes(community: Community, since: datetime, until: datetime) -> tuple[RuleChange, ...]:
    """Rules added or reworded in git between two moments (for the 'guidelines changed' notice)."""
    changes: dict[tuple[str, str], RuleChange] = {}
    for guideline in community.guidelines:
        if not is_public(guideline, until):
            continue
        current = {rule.id: rule for rule in guideline.rules}
        before: dict[str, tuple[str, str]] = {}
        for version in rule_history(community.config.root, guideline.path):
            if version.date <= since:
                before = version.rules
                continue
            if version.date > until:
                break
            for rule_id, text in version.rules.items():
                if rule_id in current and before.get(rule_id) != text:
                    what = "added" if rule_id not in before else "changed"
                    key = (guideline.path, rule_id)
                    if key not in changes or changes[key].what != "added":
                        changes[key] = RuleChange(guideline, rule_id, current[rule_id].title, what)
            before = version.rules
    return tuple(changes.values())
