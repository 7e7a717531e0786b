"""Every figure of one month's report, counted from the store and the content model. Counts only:
nothing here holds an address, a name or a member's text."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tidings.calendar.schedule import occurrences
from tidings.content.kinds import ANNOUNCEMENTS, EVENTS, STORIES, TOPICS, Kind
from tidings.content.model import Community
from tidings.report.months import Month, edges
from tidings.report.traffic import Traffic
from tidings.store import followups
from tidings.store import report_queries as q
from tidings.store.transactions import Connection

CHART_MONTHS = 12
# Where joins came from, by the start of the consent event's source.
SOURCE_GROUPS = (("form:", "sign-up form"), ("import:", "import"), ("cli", "command line"))


@dataclass(frozen=True)
class MonthPoint:
    """One month of the 12-month chart."""

    label: str
    members_at_end: int
    joined: int
    left: int


@dataclass(frozen=True)
class Members:
    at_start: int
    joined: int
    left: dict[str, int]
    at_end: int
    sources: dict[str, int]
    history: tuple[MonthPoint, ...]

    @property
    def left_total(self) -> int:
        return sum(self.left.values())

    @property
    def growth(self) -> float | None:
        """(end - start) / start; None when the month started with nobody."""
        return (self.at_end - self.at_start) / self.at_start if self.at_start else None

    @property
    def churn(self) -> float | None:
        """Leaves / members at the start; None when the month started with nobody."""
        return self.left_total / self.at_start if self.at_start else None


@dataclass(frozen=True)
class Issue:
    counts: q.IssueCounts
    subject: str


@dataclass(frozen=True)
class QuestionResult:
    text: str
    options: tuple[tuple[str, int], ...]  # option text, answers


@dataclass(frozen=True)
class SurveyResult:
    id: str
    title: str
    respondents: int
    reached: int  # messages delivered by the issues that carried it
    questions: tuple[QuestionResult, ...]
    new_comments: int
    comments_published: bool

    @property
    def response_rate(self) -> float | None:
        return self.respondents / self.reached if self.reached else None


@dataclass(frozen=True)
class Glance:
    """Next month at a glance, from the editorial calendar (given by the command that joins them)."""

    counts: dict[str, int] = field(default_factory=dict)  # what (public, send, event, …) -> how many
    issues: tuple[str, ...] = ()  # subjects of the issues to send


@dataclass(frozen=True)
class Content:
    published: dict[str, tuple[str, ...]]  # kind -> titles
    next_month: Glance


@dataclass(frozen=True)
class MonthlyReport:
    community: str
    month: Month
    start: datetime
    end: datetime
    members: Members
    issues: tuple[Issue, ...]
    surveys: tuple[SurveyResult, ...]
    content: Content
    followups: followups.Ages
    traffic: Traffic | None = None  # when [tool.tidings] analytics_csv names an export


def source_group(source: str) -> str:
    """The kind of way in a consent source names: sign-up form, import, command line or other."""
    return next((group for prefix, group in SOURCE_GROUPS if source.startswith(prefix)), "other")


def members(connection: Connection, month: Month, community: Community) -> Members:
    """The Members section: the month's figures and the 12 months ending with it."""
    zone = community.config.timezone
    bounds = edges(month, CHART_MONTHS, zone)
    level, monthly = q.history(connection, bounds)
    history = []
    for bound, flow in zip(bounds[1:], monthly, strict=True):
        level += flow.joined - flow.left_total
        local = bound.astimezone(zone)
        label = Month(local.year, local.month).shift(-1).label
        history.append(MonthPoint(label, level, flow.joined, flow.left_total))
    this = monthly[-1]
    sources: Counter[str] = Counter()
    for source, count in q.join_sources(connection, bounds[-2], bounds[-1]).items():
        sources[source_group(source)] += count
    at_end = history[-1].members_at_end
    return Members(at_end - this.joined + this.left_total, this.joined, this.left, at_end,
                   dict(sources), tuple(history))


def issues(connection: Connection, community: Community, start: datetime, end: datetime) -> tuple[Issue, ...]:
    """Each issue whose send began in the month, with its subject from the content model."""
    subjects = {letter.slug: letter.subject for letter in community.newsletters}
    counts = q.issue_counts(connection, q.issues_started(connection, start, end), end)
    return tuple(Issue(c, subjects.get(c.issue, c.issue)) for c in counts)


def surveys(connection: Connection, community: Community, sent: tuple[Issue, ...], start: datetime,
            end: datetime) -> tuple[SurveyResult, ...]:
    """Surveys carried by the month's issues or answered in the month."""
    carried = {letter.survey for letter in community.newsletters if letter.survey
               and letter.slug in {i.counts.issue for i in sent}}
    wanted = sorted(carried | set(q.surveys_answered(connection, start, end)))
    by_id = {s.id: s for s in community.surveys}
    found = []
    for survey_id in wanted:
        survey = by_id.get(survey_id)
        counts = q.survey_counts(connection, survey_id, start, end)
        carriers = [letter.slug for letter in community.newsletters if letter.survey == survey_id]
        questions = tuple(
            QuestionResult(question.text, tuple((text, counts.options.get(question.id, {}).get(n, 0))
                                                for n, text in enumerate(question.options)))
            for question in (survey.questions if survey else ()))
        found.append(SurveyResult(survey_id, survey.title if survey else survey_id, counts.respondents,
                                  q.delivered(connection, carriers, end), questions, counts.comments_in_month,
                                  bool(survey and survey.publish_comments)))
    return tuple(found)


def _in(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def _section(kind: Kind[Any]) -> str:
    return kind.url_folder.strip("/")


def content(community: Community, month: Month, glance: Glance) -> Content:
    """What was published or held in the month, and next month at a glance."""
    zone = community.config.timezone
    start, end = month.start(zone), month.end(zone)
    # Named as the site names their sections (the registry's URL folders): announcements, stories…
    published = {
        _section(ANNOUNCEMENTS): tuple(a.title for a in community.announcements
                                       if not a.hidden and _in(a.date, start, end)),
        # A story's title is public only once its member consented; hidden ones are not named.
        _section(STORIES): tuple(s.title for s in community.stories
                                 if not s.hidden and _in(s.date, start, end)),
        _section(TOPICS): tuple(t.title for t in community.topics
                                if not t.hidden and _in(t.week_start, start, end)),
        _section(EVENTS): tuple(f"{e.title} ({o.start.astimezone(zone):%d %b})" for e in community.events
                                if not e.hidden for o in occurrences(e, start, end)),
    }
    return Content(published, glance)


def gather(connection: Connection, community: Community, month: Month, now: datetime,
           glance: Glance) -> MonthlyReport:
    """Every figure of ``month``'s report."""
    zone = community.config.timezone
    start, end = month.start(zone), month.end(zone)
    sent = issues(connection, community, start, end)
    return MonthlyReport(community.config.name, month, start, end, members(connection, month, community),
                         sent, surveys(connection, community, sent, start, end),
                         content(community, month, glance), followups.ages(connection, now, since=start))
