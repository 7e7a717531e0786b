"""Which discussion topics run at a moment, and which overlap a span of time.

A topic runs for seven days from its start: its ISO week, or the week from its ``date``.
Pure functions of the model; the site's home block and a newsletter's ``include: auto`` use them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tidings.content.model import Topic

TOPIC_LENGTH = timedelta(days=7)


def topic_end(topic: Topic) -> datetime:
    """When the topic's week is over (wall time in its timezone, so a DST change keeps Monday 00:00)."""
    return topic.week_start + TOPIC_LENGTH


def running(topics: Iterable[Topic], at: datetime) -> list[Topic]:
    """The topics whose week contains ``at``, the latest start first."""
    found = [t for t in topics if t.week_start <= at < topic_end(t)]
    return sorted(found, key=lambda t: (t.week_start, t.slug), reverse=True)


def overlapping(topics: Iterable[Topic], since: datetime, until: datetime) -> list[Topic]:
    """The topics whose week overlaps [since, until), in the order they start."""
    found = [t for t in topics if t.week_start < until and topic_end(t) > since]
    return sorted(found, key=lambda t: (t.week_start, t.slug))
