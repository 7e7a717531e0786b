"""Words and date formats of the generated pages, in the community's language."""

from __future__ import annotations

from datetime import datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from tidings.calendar.schedule import format_offset

EN = {
    "home.latest": "Latest news",
    "home.all_news": "All news",
    "home.next_events": "Next events",
    "home.calendar": "Full calendar",
    "home.story": "Member story",
    "home.read_story": "Read the story",
    "home.guidelines": "Community guidelines",
    "news.title": "News",
    "news.archive": "Archive",
    "news.tags": "Topics",
    "news.authors": "Authors",
    "news.feeds": "Follow the news with a feed reader",
    "news.by": "by",
    "news.tagged": "News tagged",
    "news.from": "News from",
    "news.written_by": "News by",
    "events.title": "Events",
    "events.upcoming": "Upcoming",
    "events.regular": "Regular events",
    "events.past": "Past events",
    "events.none": "Nothing planned yet.",
    "events.subscribe": "Subscribe to the calendar",
    "events.add": "Add to calendar",
    "events.where": "Where",
    "events.when": "When",
    "events.all_day": "all day",
    "events.hosts": "Hosts",
    "events.link": "Join or read more",
    "events.repeats": "Repeats",
    "events.kind.call": "Video call",
    "events.kind.meetup": "Meetup",
    "events.kind.webinar": "Webinar",
    "events.kind.qa": "Q&A",
    "events.kind.tutorial": "Tutorial",
    "stories.title": "Member stories",
    "guidelines.title": "Guidelines",
    "guidelines.changelog": "Changes to the guidelines",
    "guidelines.updated": "Last updated",
    "guidelines.copy": "Copy link",
    "guidelines.copied": "Link copied",
    "guidelines.added": "added",
    "guidelines.changed": "changed",
    "guidelines.retired": "retired",
    "guidelines.no_changes": "No recorded changes yet.",
    "surveys.title": "Surveys",
    "surveys.open_until": "Open until",
    "surveys.closed": "Closed",
    "surveys.how": "Members answer this survey from the newsletter.",
    "surveys.results": "Results",
    "surveys.responses": "Responses: {count}",
    "surveys.comments": "What members said",
    "newsletters.title": "Newsletter",
    "newsletters.in_issue": "In this issue",
    "signup.title": "Subscribe",
    "signup.intro": "Get the news in your inbox before it is on this site. We send a confirmation "
                    "link first, and every email has a one-click unsubscribe.",
    "signup.email": "Email address",
    "signup.name": "Name (optional)",
    "signup.button": "Subscribe",
    "signup.note": "No tracking, no sharing. Unsubscribe with one click.",
    "mail.early_access": "Early access · public on {date}",
    "mail.keep_secret": "You read this first: please keep it to yourself until then.",
    "mail.read_more": "Read more",
    "mail.view_online": "View in your browser",
    "mail.view_online_from": "On the web from {date}",
    "mail.events": "Coming up",
    "mail.add_to_calendar": "Add to calendar",
    "mail.join": "Join",
    "mail.stories": "Member stories",
    "mail.survey": "Quick survey",
    "mail.survey_hint": "Each answer opens a page with your choice ticked: press Send there to "
                        "answer (you can add a comment). Opening the page records nothing.",
    "mail.guidelines": "Our guidelines changed",
    "mail.rule_added": "new rule",
    "mail.rule_changed": "reworded",
    "mail.why": "You receive this because you subscribed to news from {name}.",
    "mail.unsubscribe": "Unsubscribe",
    "mail.unsubscribe_text": "Unsubscribe (opens a page where one button unsubscribes you at once)",
    "mail.preview": "Preview copy, not sent to members: its links open the pages members see, "
                    "and nothing you do there is recorded.",
}

FI = {
    "home.latest": "Uutiset", "home.all_news": "Kaikki uutiset", "home.next_events": "Tulevat tapahtumat",
    "home.calendar": "Koko kalenteri", "home.story": "Jäsenen tarina", "home.read_story": "Lue tarina",
    "home.guidelines": "Yhteisön säännöt", "news.title": "Uutiset", "news.archive": "Arkisto",
    "news.tags": "Aiheet", "events.title": "Tapahtumat", "events.upcoming": "Tulossa",
    "events.regular": "Säännölliset tapahtumat", "events.past": "Menneet tapahtumat",
    "events.subscribe": "Tilaa kalenteri", "events.add": "Lisää kalenteriin",
    "stories.title": "Jäsenten tarinat", "guidelines.title": "Säännöt",
    "guidelines.copy": "Kopioi linkki", "surveys.title": "Kyselyt",
    "mail.early_access": "Ennakkotieto · julkinen {date}", "mail.read_more": "Lue lisää",
    "mail.view_online": "Avaa selaimessa", "mail.events": "Tulossa",
    "mail.add_to_calendar": "Lisää kalenteriin", "mail.survey": "Pikakysely",
    "mail.unsubscribe": "Peru tilaus", "mail.join": "Liity mukaan",
    "mail.preview": "Esikatselu, ei lähetetty jäsenille: linkit avaavat samat sivut kuin jäsenillä, "
                    "eikä mitään tallenneta.",
}
DE = {
    "home.latest": "Neuigkeiten", "home.all_news": "Alle Neuigkeiten", "home.next_events": "Nächste Termine",
    "home.calendar": "Ganzer Kalender", "home.story": "Mitgliedergeschichte",
    "home.read_story": "Geschichte lesen", "home.guidelines": "Community-Richtlinien",
    "news.title": "Neuigkeiten", "news.archive": "Archiv", "news.tags": "Themen",
    "events.title": "Termine", "events.upcoming": "Demnächst", "events.regular": "Regelmäßige Termine",
    "events.past": "Vergangene Termine", "events.subscribe": "Kalender abonnieren",
    "events.add": "Zum Kalender hinzufügen", "stories.title": "Geschichten unserer Mitglieder",
    "guidelines.title": "Richtlinien", "guidelines.copy": "Link kopieren", "surveys.title": "Umfragen",
    "mail.early_access": "Vorab · öffentlich am {date}", "mail.read_more": "Weiterlesen",
    "mail.view_online": "Im Browser ansehen", "mail.events": "Demnächst",
    "mail.add_to_calendar": "Zum Kalender hinzufügen", "mail.survey": "Kurze Umfrage",
    "mail.unsubscribe": "Abmelden", "mail.join": "Teilnehmen",
    "mail.preview": "Vorschau, nicht an Mitglieder verschickt: Die Links öffnen die Seiten, die "
                    "Mitglieder sehen, und nichts wird gespeichert.",
}
BUILTIN = {"en": EN, "fi": FI, "de": DE}


class Text:
    """Labels and date formats for one language; ``labels`` in config override any label."""

    def __init__(self, language: str, overrides: dict[str, str] | None = None) -> None:
        base = language.replace("-", "_").split("_")[0].lower()
        self.labels = {**EN, **BUILTIN.get(base, {}), **(overrides or {})}
        try:
            self.locale = Locale.parse(language.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            self.locale = Locale.parse("en")

    def __getitem__(self, key: str) -> str:
        return self.labels.get(key, key)

    def day(self, moment: datetime) -> str:
        """``Thursday, December 3, 2026`` in the community's language."""
        return format_date(moment, format="full", locale=self.locale)

    def short_day(self, moment: datetime) -> str:
        return format_date(moment, format="medium", locale=self.locale)

    def time_range(self, start: datetime, end: datetime) -> str:
        """``18:00–19:00 EET (UTC+02:00)``; the end date is named when it differs."""
        until = end.strftime("%H:%M")
        if end.date() != start.date():
            until = f"{self.short_day(end)} {until}"
        zone = start.tzname() or ""
        label = f"{zone} " if zone and not zone.startswith(("+", "-")) else ""
        return f"{start.strftime('%H:%M')}–{until} {label}({format_offset(start)})"
