"""``demo``: on a fresh clone, build the example site and send the sample issue over real SMTP."""

from __future__ import annotations

import asyncio
import shlex
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tidings.content import load
from tidings.content.model import Community, Story
from tidings.content.topic_weeks import running
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.embargo import PublicView, public_view
from tidings.hints import build_command
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.mail.languages import issue_versions, pick_language
from tidings.mail.sender import IssueSender, SendOptions
from tidings.monthly_report import glance
from tidings.output import Notify, Report, quiet
from tidings.report import Month, monthly_report, summary, write_report
from tidings.site.engine import build_site
from tidings.store import open_database
from tidings.store.subscribers import add
from tidings.store.transactions import Engine
from tidings.tokens import Signer, load_secret

# Fictional members on example.org: a Finnish, a Greek, a Taiwanese, a Brazilian, a German one.
DEMO_MEMBERS = (
    ("aino.demo@example.org", "Aino Demo", "fi", "Europe/Helsinki", "staff"),
    ("eleni.demo@example.org", "Ελένη Demo", "el", "Europe/Athens", "translators"),
    ("yuchen.demo@example.org", "林宇辰 Demo", "zh-TW", "Asia/Taipei", "mappers"),
    ("mariana.demo@example.org", "Mariana Demo", "pt-BR", "America/Sao_Paulo", "plugins"),
    ("jorg.demo@example.org", "Jörg Demo", "de", "Europe/Berlin", ""),
    ("sam.demo@example.org", "Sam Demo", None, None, ""),
)


def editorial_lines(community: Community, view: PublicView) -> list[str]:
    """This week's topic on the site, and the items held back (drafts, stories awaiting consent)."""
    lines = [f"  this week's topic: '{topic.title}'" + (f", hosted by {topic.host}" if topic.host else "")
             for topic in running(view.topics, view.as_of)]
    for entry in community.entries():
        if entry.draft:
            lines.append(f"  draft, not on the site: '{entry.title}' ({entry.path})")
        elif isinstance(entry, Story) and entry.hidden:
            lines.append(f"  awaiting consent, not on the site: '{entry.title}' ({entry.path})")
    return lines


def demo_report(engine: Engine, community: Community, now: datetime, out: Path,
                say: Callable[[str], None]) -> None:
    """The monthly report of the demo list, for this month so far (counts only)."""
    local = now.astimezone(community.config.timezone)
    month = Month(local.year, local.month)
    figures = monthly_report(engine, community, month, now, glance(community, month.shift(1)))
    written = write_report(figures, out)
    for line in summary(figures):
        say(f"  report: {line.strip()}")
    say(f"  report:   {written[-1]} (and its charts)")


def run_demo(root: Path, notify: Notify = quiet) -> Report:
    """Check the example community, build its site, send its newsletter to a local catcher;
    the lines that say what it did and where to look."""
    report = Report(notify)
    say = report.say
    root = root.resolve()
    now = datetime.now(UTC).replace(microsecond=0)
    community = load(root)
    view = public_view(community, now)
    embargoed = [a for a in community.announcements if a not in view.announcements and not a.draft]
    result = build_site(root, now)
    say(f"tidings demo: {community.config.name}")
    say(f"  checked {len(community.by_path())} content files: no problems")  # translations too
    say(f"  built the public site as of {now.isoformat()} ({result.pages} pages)")
    languages = community.config.languages
    if len(languages) > 1:
        say("  in " + ", ".join(f"{lang} at /{lang + '/' if i else ''}" for i, lang in enumerate(languages)))
    for item in embargoed:
        say(f"  embargoed until {item.date.isoformat()}: '{item.title}' (not on the site yet)")
    for line in editorial_lines(community, view):
        say(line)

    caught = root / ".tidings" / "demo" / "caught"
    if community.newsletters:
        letter = max(community.newsletters, key=lambda n: n.send_at)
        demo_state = root / ".tidings" / "demo"
        shutil.rmtree(demo_state, ignore_errors=True)
        demo_state.mkdir(parents=True)
        # The demo's own list: it never touches the community's real subscribers.
        engine = open_database(url=f"sqlite:///{demo_state / 'demo.sqlite'}")
        with engine.begin() as connection:
            for email, name, lang, zone, tags in DEMO_MEMBERS:
                add(connection, email, name=name, lang=lang, timezone=zone, tags=tags, source="demo")
        handler = CatchingHandler(caught)
        with LocalSMTPServer(handler, enable_SMTPUTF8=True) as server:
            transport = SMTPTransport(parse_smtp_url(server.url))
            signer = Signer(load_secret(root, allow_dev=True)[0])
            sender = IssueSender(engine, community, letter, transport, signer, SendOptions(concurrency=2))
            summary = asyncio.run(sender.run())
        say(f"  sent '{letter.subject}' to {summary.sent} demo subscribers through a local SMTP "
            f"server on 127.0.0.1:{server.port}")
        if len(versions := list(issue_versions(community, letter))) > 1:
            default = community.config.language
            picked = Counter(pick_language(member[2], versions, default) for member in DEMO_MEMBERS)
            counts = ", ".join(f"{n} in {lang}" for lang, n in sorted(picked.items()))
            say(f"  each in their language: {counts}")
        early = [i.entry.title for i in sender.renderer.content.early_access]
        if early:
            say(f"  early access in that issue: {', '.join(early)}")
        demo_report(engine, community, now, demo_state / "reports", say)
    _where_to_look(root, result.site_dir, caught / "new" if community.newsletters else None,
                   letter.slug if community.newsletters else None, say)
    return report


def _where_to_look(root: Path, site: Path, mail: Path | None, slug: str | None,
                   say: Callable[[str], None]) -> None:
    """The files the demo made, and the commands that show them."""
    say("")
    say(f"  site:     {site / 'index.html'}")
    say(f"  calendar: {site / 'events.ics'}")
    say(f"  feeds:    {site / 'feed.xml'}, {site / 'atom.xml'}")
    if mail is not None:
        say(f"  mail:     {mail}  (one .eml-style file per message, open with any mail app)")
    say("")
    say(f"  Browse the site with live reload:  {build_command(root, 'serve')}   "
        "(then open http://127.0.0.1:8000/)")
    say(f"  The team's plan, week by week:     {build_command(root, 'plan')}")
    if slug is not None:
        say("  See one message as a subscriber:   "
            f"{build_command(root, f'newsletter render {shlex.quote(slug)} --open')}")
