"""The command line's arguments: every command's options, parsed here and run by ``tidings.cli``."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from tidings import __version__
from tidings.cli_new import add_new_arguments
from tidings.content.kinds import NEWSLETTERS


def _add_site(site: argparse.ArgumentParser) -> None:
    """``site`` options."""
    site.add_argument("--as-of", metavar="T", help="ISO date or date-time; items dated later are left out")
    site.add_argument("--out", metavar="DIR", help="output folder (default: site/)")
    site.add_argument("--strict", action="store_true", help="fail on site engine warnings (broken links, …)")
    site.add_argument("--if-changed", nargs="?", const="published", metavar="FROM",
                      help="build only if the site as of T differs from the one whose fingerprint is "
                           "at FROM: 'published' (the default: under site_url), a URL, or a "
                           ".tidings-fingerprint file")


def _add_plan(plan: argparse.ArgumentParser) -> None:
    """``plan`` options."""
    plan.add_argument("--weeks", type=int, default=8, metavar="N", help="how many weeks (default 8)")
    plan.add_argument("--from", dest="start", metavar="DATE", help="a date or ISO week (default: this week)")
    plan.add_argument("--ics", type=Path, metavar="FILE", help="also write the plan as an iCalendar file")
    plan.add_argument("--md", type=Path, metavar="FILE", help="also write the plan as a Markdown table")


def _add_sending(letters: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``newsletter send`` and ``newsletter due``."""
    send = letters.add_parser("send", help="send the issue to its audience (resumable, idempotent)")
    send.add_argument("slug", metavar="SLUG")
    send.add_argument("--dry-run", action="store_true", help="render every message, send nothing")
    send.add_argument("--to", metavar="ADDRESS", help="send one test copy to ADDRESS only")
    send.add_argument("--lang", metavar="CODE", help="with --to: the version a reader of CODE gets")
    due = letters.add_parser("due", help="send every issue whose send_at has passed (for a schedule)")
    for command in (send, due):
        command.add_argument("--concurrency", type=int, default=4, metavar="N",
                             help="SMTP connections used at once (default 4)")
        command.add_argument("--rate", type=float, metavar="R", help="at most R messages per second")
        command.add_argument("--outbox", action="store_true",
                             help="write to the local outbox .tidings/outbox/ (needed in CI or with "
                                  "TIDINGS_DATABASE_URL when TIDINGS_SMTP_URL is not set)")


def followup_id(value: str) -> int:
    """A follow-up's id as given on the command line: a positive whole number."""
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 2**62:
        raise argparse.ArgumentTypeError(f"'{value}' is not a follow-up id (a number such as 12)")
    return int(value)


def _add_followups(parser: argparse.ArgumentParser) -> None:
    """``followups`` and its actions (``list`` when none is given)."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = sub.add_parser("list", help="open and answered follow-ups, oldest first, one tab-separated "
                                          "line each: id, state, age, owner, source, issue/survey, text")
    # SUPPRESS on ``list``: its defaults must not hide ``followups --state …`` given before it.
    for command, default in ((parser, None), (listing, argparse.SUPPRESS)):
        command.add_argument("--state", choices=("open", "answered", "resolved"), default=default,
                             help="only this state")
        command.add_argument("--all", action="store_true", dest="every",
                             default=False if default is None else default,
                             help="every follow-up, resolved ones too")
    sub.add_parser("show", help="the follow-up and its whole thread").add_argument(
        "id", type=followup_id, metavar="ID")
    answer = sub.add_parser("answer", help="mail an answer to the member (threaded, in their language) "
                                           "and record it; the text from --text, --file or stdin")
    answer.add_argument("id", type=followup_id, metavar="ID")
    text = answer.add_mutually_exclusive_group()
    text.add_argument("--text", metavar="TEXT", help="the answer")
    text.add_argument("--file", type=Path, metavar="FILE", help="read the answer from FILE (UTF-8)")
    sub.add_parser("resolve", help="nothing left to do").add_argument("id", type=followup_id, metavar="ID")
    assign = sub.add_parser("assign", help="give the follow-up to someone on the team")
    assign.add_argument("id", type=followup_id, metavar="ID")
    assign.add_argument("owner", metavar="NAME")
    sub.add_parser("fetch", help="read the reply mailbox (TIDINGS_IMAP_URL): replies become follow-ups, "
                                 "complaint (ARF) and bounce (DSN) reports set the subscriber's state")


def _add_subscribers(subscribers: argparse.ArgumentParser) -> None:
    """``subscribers`` actions and their options."""
    people = subscribers.add_subparsers(dest="action", metavar="ACTION")
    add = people.add_parser("add", help="add a subscriber (confirmed: you have their consent)")
    add.add_argument("email", metavar="EMAIL")
    add.add_argument("--name")
    add.add_argument("--lang", help="language code, e.g. fi")
    add.add_argument("--timezone", help="IANA timezone, e.g. Europe/Helsinki")
    add.add_argument("--tags", help="comma-separated, e.g. translators,finland")
    add.add_argument("--pending", action="store_true", help="needs double opt-in first")
    people.add_parser("remove", help="unsubscribe someone").add_argument("email", metavar="EMAIL")
    listing = people.add_parser("list", help="tab-separated: email, state, name, lang, timezone, tags "
                                "(a tab, line break or backslash in a value is written \\t, \\n, \\\\)")
    listing.add_argument("--state", choices=("pending", "confirmed", "unsubscribed", "bounced", "complained"))
    people.add_parser("stats", help="counts per state, joins and leaves in the last 30 days")
    importing = people.add_parser("import", help="import a CSV, or a Mailchimp, listmonk or Substack export "
                                                 "(columns found by header name, states kept)")
    importing.add_argument("file", metavar="FILE.csv")
    importing.add_argument("--skip-invalid", action="store_true",
                           help="import the good rows even if some are bad (default: change nothing)")
    exporting = people.add_parser("export", help="every subscriber as CSV, to FILE or stdout")
    exporting.add_argument("file", metavar="FILE", nargs="?")


def build(commands: Mapping[str, str]) -> argparse.ArgumentParser:
    """The parser of ``commands`` (name -> one line of help) and of each one's options."""
    parser = argparse.ArgumentParser(
        prog="tidings", description="A git repo of Markdown becomes a community site and newsletters."
    )
    parser.add_argument("--version", action="version", version=f"tidings {__version__}")
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="the community repo (default: the current directory)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers = {name: sub.add_parser(name, help=text, description=text) for name, text in commands.items()}
    _add_site(parsers["site"])
    parsers["serve"].add_argument("--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT")
    parsers["serve"].add_argument("--as-of", metavar="T", help="preview the site as it will look at T")
    letters = parsers["newsletter"].add_subparsers(dest="action", metavar="ACTION")
    render = letters.add_parser("render", help="the issue as a subscriber would get it (.html, .eml)")
    render.add_argument("slug", metavar="SLUG", help=f"file name of the issue in {NEWSLETTERS.folder}/")
    render.add_argument("--to", metavar="EMAIL", help="render for this address (default: a sample member)")
    render.add_argument("--html", metavar="FILE", help="write the HTML part here")
    render.add_argument("--eml", metavar="FILE", help="write the whole message (RFC 5322) here")
    render.add_argument("--open", action="store_true", help="open the HTML in a browser")
    render.add_argument("--at", metavar="T", help="render as if sent at T (default: now)")
    render.add_argument("--lang", metavar="CODE", help="the version a reader of CODE gets (default: theirs)")
    _add_subscribers(parsers["subscribers"])
    _add_sending(letters)
    parsers["collect"].add_argument("--host", default="127.0.0.1")
    parsers["collect"].add_argument("--port", type=int, default=8080)
    parsers["collect"].add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    answers = parsers["feedback"].add_subparsers(dest="action", metavar="ACTION")
    answers.add_parser("export", help="write feedback/<survey>.csv from the collector's database")
    importing_answers = answers.add_parser("import", help="a CSV from another form tool into feedback/")
    importing_answers.add_argument("file", metavar="FILE")
    importing_answers.add_argument("--survey", required=True, metavar="ID")
    _add_plan(parsers["plan"])
    add_new_arguments(parsers["new"])
    _add_followups(parsers["followups"])
    monthly = parsers["report"]
    monthly.add_argument("--month", metavar="YYYY-MM", help="default: the last full month")
    monthly.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: reports/)")
    monthly.add_argument("--html", action="store_true", help="also write a standalone YYYY-MM.html")
    parsers["init"].add_argument("dir", metavar="DIR")
    parsers["init"].add_argument("--name", help="the community's name (default: from DIR)")
    parsers["init"].add_argument("--timezone", default="UTC",
                                 help="IANA timezone of dates without offset (default: UTC)")
    return parser
