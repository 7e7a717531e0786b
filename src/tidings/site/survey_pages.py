"""Survey pages: the questions, and the results from feedback/ as of T."""

from __future__ import annotations

import html
from datetime import timedelta

from tidings.content.kinds import SURVEYS
from tidings.content.model import Survey
from tidings.site.pages_base import Linked, PageWriter, md, rel, staged_path


class SurveyPages(PageWriter):
    """A page per survey and the surveys index."""

    def survey_pages(self) -> None:
        """A page per public survey (questions and results as of T) and the surveys index."""
        if not self.view.surveys:
            return
        listed = []
        for survey in self.view.surveys:
            page = staged_path(survey)
            listed.append(Linked(survey, rel(self.section(SURVEYS), page)))
            if not self.own(survey):
                continue  # shown in its own language: its page is staged there
            self.files[page] = self.render(
                "survey.md.j2", item=survey, front=self.front(survey.title),
                status=self.survey_status(survey), body=self.body(survey, page), results=self.results(survey))
        self.files[self.section(SURVEYS)] = self.render(
            "surveys_index.md.j2", front=self.front(self.text["surveys.title"]), surveys=listed)

    def survey_status(self, survey: Survey) -> str:
        """'Open until …' or 'Closed: …' for a survey with a closing date; nothing without one."""
        if not survey.closes:
            return ""
        t = self.text
        label = t["surveys.closed"] if survey.closes <= self.view.as_of else t["surveys.open_until"]
        # The last moment still open: 'closes: 2027-01-31' is open through the 31st.
        last = (survey.closes - timedelta(microseconds=1)).astimezone(self.config.timezone)
        return f"{label}: {t.day(last)}"

    def results(self, survey: Survey) -> str:
        """Counts, percentages and bars from feedback/<survey>.csv, as of T; chosen comments."""
        t = self.text
        cutoff = self.view.as_of.astimezone(self.config.timezone).date().isoformat()
        rows = [r for r in self.view.community.feedback.get(survey.id, ()) if not r.date or r.date <= cutoff]
        if not rows:
            return ""
        people = len({r.respondent for r in rows})
        # feedback/ holds the source's option texts: a translation counts them by position.
        source = next((s for s in self.view.community.surveys if s.id == survey.id), survey)
        stored = {q.id: q.options for q in source.questions}
        out = [f"\n## {t['surveys.results']}\n\n", f"*{t['surveys.responses'].format(count=people)}*\n\n"]
        for question in survey.questions:
            answered = [r for r in rows if r.question == question.id]
            if not answered:
                continue
            out.append(f"**{md(question.text)}**\n\n<div class=\"tidings-results\">\n")
            for index, option in enumerate(question.options):
                names = {option, *stored.get(question.id, ())[index:index + 1]}
                count = sum(1 for r in answered if r.answer in names)
                share = round(100 * count / len(answered))
                label = html.escape(option)
                out.append(
                    f'<div class="tidings-result"><span class="tidings-result-label">{label}</span>'
                    f'<span class="tidings-bar" role="img" aria-label="{share}%">'
                    f'<span style="width:{share}%"></span></span>'
                    f'<span class="tidings-result-count">{count} · {share}%</span></div>\n')
            out.append("</div>\n\n")
        if survey.publish_comments:
            seen: set[str] = set()
            comments = []
            for row in rows:
                if row.published and row.comment and row.comment not in seen:
                    seen.add(row.comment)
                    comments.append(row.comment)
            if comments:
                out.append(f"### {t['surveys.comments']}\n\n")
                # Members' words are text, never markup: escaped, and not parsed as Markdown.
                out.extend(f'<blockquote class="tidings-comment"><p>{html.escape(c)}</p></blockquote>\n\n'
                           for c in comments)
        return "".join(out)
