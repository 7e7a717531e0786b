"""Topic pages, the topics page (this week's, the next ones' note, past ones) and the home block."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple
from urllib.parse import quote

from tidings.content.excerpt import first_paragraph
from tidings.content.kinds import TOPICS
from tidings.content.model import Topic
from tidings.content.topic_weeks import running, topic_end
from tidings.site.markdown_text import md
from tidings.site.pages_base import PageWriter, rel, staged_path

# What stays as written in a link (RFC 3986 delimiters, '%' of existing escapes); the rest is encoded.
URL_SAFE = ":/?#@!$&*+,;=%~"
OPENING_LIMIT = 160  # characters of the opening post the home block quotes: a line or two


class TopicLine(NamedTuple):
    """A topic as a listing shows it: the topic, the link to it, its days and its host."""

    item: Topic
    link: str
    days: str
    host: str


class HomeTopic(NamedTuple):
    """This week's topic on the home page: its line, discussion link and a line of its opening post."""

    line: TopicLine
    discussion: str | None
    opening: str


def link_target(url: str) -> str:
    """A web link percent-encoded for Markdown: a space, quote, bracket or '<' would end it or add markup."""
    return quote(url, safe=URL_SAFE)


class TopicPages(PageWriter):
    """A page per public topic, the topics page and the home page's "This week's topic" block."""

    def days(self, topic: Topic) -> str:
        """The topic's week as dates in the page's language (``Jan 18 – 24, 2027``)."""
        tz = self.config.timezone
        first = topic.week_start.astimezone(tz).date()
        last = (topic_end(topic) - timedelta(days=1)).astimezone(tz).date()
        return self.text.days(first, last)

    def topic_line(self, topic: Topic, page: str) -> TopicLine:
        return TopicLine(topic, rel(page, staged_path(topic)), self.days(topic), md(topic.host or ""))

    def topic_details(self, topic: Topic, page: str) -> list[tuple[str, str]]:
        """The labelled lines under a topic's title: week, host, discussion, survey (if public)."""
        t = self.text
        details = [(t["topics.week"], self.days(topic))]
        if topic.host:
            details.append((t["topics.host"], md(topic.host)))
        if topic.discussion:
            details.append((t["topics.discussion"], f"<{link_target(topic.discussion)}>"))
        survey = next((s for s in self.view.surveys if s.id == topic.survey), None)
        if survey is not None:  # a survey not open yet is embargoed like the rest
            link = f"[{md(survey.title)}]({rel(page, staged_path(survey))})"
            details.append((t["topics.survey"], link + self.untranslated_note(survey)))
        return details

    def topic_pages(self) -> None:
        """A page per public topic and the topics page, newest first (nothing when there are none)."""
        topics = self.view.topics
        if not topics:
            return
        for topic in (t for t in topics if self.own(t)):  # an untranslated one is staged in its language
            page = staged_path(topic)
            self.files[page] = self.render("topic.md.j2", item=topic, front=self.front(topic.title),
                                           details=self.topic_details(topic, page),
                                           body=self.body(topic, page))
        index = self.section(TOPICS)
        now = running(topics, self.view.as_of)
        past = sorted((t for t in topics if t not in now), key=lambda t: (t.week_start, t.slug), reverse=True)
        self.files[index] = self.render(
            "topics_index.md.j2", front=self.front(self.text["topics.title"]),
            current=[self.topic_line(t, index) for t in now],
            past=[self.topic_line(t, index) for t in past],
            subscribe=rel(index, f"{self.prefix}subscribe.md"))

    def home_topics(self, home: str) -> list[HomeTopic]:
        """The topics whose week contains the as-of moment (public by then), for the home block."""
        return [HomeTopic(self.topic_line(topic, home),
                          link_target(topic.discussion) if topic.discussion else None,
                          md(first_paragraph(topic.body, OPENING_LIMIT)))
                for topic in running(self.view.topics, self.view.as_of)]
