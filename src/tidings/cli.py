"""Command line: parses arguments and calls the library. No logic a test would want lives here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tidings import cli_parser
from tidings.cli_new import HELP, cmd_new
from tidings.errors import ConfigError, ContentError, Problem, TidingsError, UsageError
from tidings.output import silence_stdout

if TYPE_CHECKING:
    from tidings.output import Line
    from tidings.store.transactions import Engine


def _say(line: Line) -> None:
    """Print one line of a report where it belongs (errors and progress on stderr)."""
    print(line.text, file=sys.stderr if line.error else sys.stdout)


def run_send(root: Path, slug: str, **options: Any) -> int:
    """``newsletter send``: print what the send says, as it says it; the exit status."""
    from tidings.mail.commands import send_newsletter

    return send_newsletter(root, slug, notify=_say, **options).status


def run_due(root: Path, **options: Any) -> int:
    """``newsletter due``: print what each due send says, as it says it; the exit status."""
    from tidings.mail.commands import send_due

    return send_due(root, notify=_say, **options).status


def _as_of(value: str | None, root: Path) -> datetime:
    """``--as-of`` in the community's timezone (now when absent)."""
    from tidings.config import load_config
    from tidings.dates import parse_when

    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_when(value, load_config(root).timezone)
    except ValueError as exc:
        raise UsageError(f"--as-of: {exc}") from None


def cmd_check(args: argparse.Namespace) -> int:
    from tidings.repo_check import check_all

    community, problems = check_all(args.root)
    for problem in problems:
        print(problem)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        print(f"{len(errors)} problem(s) found.", file=sys.stderr)
        return 1
    count = len(community.by_path()) if community else 0  # translations are files too
    print(f"ok: {count} files checked, no problems.")
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    from tidings.site.engine import build_if_changed, build_site
    from tidings.site.fingerprint import tell_actions

    as_of = _as_of(args.as_of, args.root)
    out = Path(args.out) if args.out else None
    if args.if_changed is None:
        result = build_site(args.root, as_of, out, strict=args.strict)
    else:
        built, where = build_if_changed(args.root, as_of, args.if_changed, out, strict=args.strict)
        if built is None:
            tell_actions(built=False)
            print(f"Unchanged as of {as_of.isoformat()}: the site at {where} is current; not rebuilt")
            return 0
        result = built
    tell_actions(built=True)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"Built {result.pages} pages as of {as_of.isoformat()}: {result.site_dir / 'index.html'}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from tidings.site.serve import serve

    host, _, port = args.dev_addr.rpartition(":")
    if not port.isdigit():
        raise UsageError("--dev-addr must look like 127.0.0.1:8000")
    serve(args.root, host or "127.0.0.1", int(port), as_of=args.as_of and _as_of(args.as_of, args.root))
    return 0


def cmd_newsletter(args: argparse.Namespace) -> int:
    if args.action == "render":
        return newsletter_render(args)
    if args.action in ("send", "due"):
        if args.action == "send":
            return run_send(args.root, args.slug, concurrency=args.concurrency, rate=args.rate,
                            dry_run=args.dry_run, to=args.to, outbox=args.outbox, lang=args.lang)
        return run_due(args.root, concurrency=args.concurrency, rate=args.rate, outbox=args.outbox)
    raise UsageError("usage: newsletter render|send|due …")


def newsletter_render(args: argparse.Namespace) -> int:
    import webbrowser

    from tidings.files import write_if_changed
    from tidings.mail.preview import render_preview

    now = _as_of(args.at, args.root)
    preview = render_preview(args.root, args.slug, now, args.to, args.lang)
    state = args.root / ".tidings" / "preview"
    html_file = Path(args.html) if args.html else state / f"{preview.name}.html"
    eml_file = Path(args.eml) if args.eml else state / f"{preview.name}.eml"
    write_if_changed(html_file, preview.html.encode("utf-8"))
    write_if_changed(eml_file, preview.message)
    if preview.development_key:
        print("note: TIDINGS_SECRET is not set; links are signed with a local development key",
              file=sys.stderr)
    if preview.note:
        print(f"note: {preview.note}", file=sys.stderr)
    print(f"Rendered '{args.slug}' ({preview.lang}) for {preview.recipient.email} ({preview.size_kb} KB)")
    print(f"  html: {html_file.resolve().as_uri()}")
    print(f"  eml:  {eml_file.resolve()}")
    if args.open:
        webbrowser.open(html_file.resolve().as_uri())
    return 0


def cmd_subscribers(args: argparse.Namespace) -> int:
    from tidings.store import open_database
    from tidings.store import subscribers as store

    if not args.action:
        raise UsageError("usage: subscribers add|remove|list|stats|import|export …")
    engine = open_database(args.root)
    if args.action == "add":
        with engine.begin() as connection:
            try:
                added = store.add_from_cli(connection, args.email, name=args.name, lang=args.lang,
                                           timezone=args.timezone, tags=args.tags, pending=args.pending)
            except ValueError as exc:
                print(f"{args.email}: {exc}", file=sys.stderr)
                return 1
        print(added.line())
        if added.refused:
            return 1
    elif args.action == "remove":
        with engine.begin() as connection:
            found = store.get(connection, args.email)
            if found is None:
                print(f"{args.email}: not on the list", file=sys.stderr)
                return 1
            store.unsubscribe(connection, found.id, source="cli")
        print(f"unsubscribed: {found.email}")
    elif args.action == "list":
        with engine.connect() as connection:
            for s in store.iter_subscribers(connection, states=[args.state] if args.state else None):
                print(store.listing_line(s))
    elif args.action == "stats":
        with engine.connect() as connection:
            for key, value in store.stats(connection).items():
                print(f"{key:>14}: {value}")
    elif args.action == "import":
        subscribers_import(engine, Path(args.file), args.skip_invalid)
    elif args.action == "export":
        with engine.connect() as connection:
            if args.file:
                count = store.export_csv(connection, path=Path(args.file))
                print(f"exported {count} subscribers to {args.file}", file=sys.stderr)
            else:
                store.export_csv(connection, out=sys.stdout)  # type: ignore[arg-type]
    return 0


def subscribers_import(engine: Engine, path: Path, skip_invalid: bool) -> None:
    """``subscribers import``: what each row became, and every skipped row."""
    from tidings.store.importer import import_csv

    result = import_csv(engine, path, skip_invalid=skip_invalid)
    for problem in result.skipped:
        print(f"skipped {problem}", file=sys.stderr)
    states = ", ".join(f"{n} {s}" for s, n in sorted(result.added_states.items()))
    print(f"imported {path} ({result.tool} export): {result.added} added"
          f"{f' ({states})' if states else ''}, {result.updated} updated, {result.left} unsubscribed "
          f"by the file, {result.unchanged} unchanged, {result.kept_out} kept out (they unsubscribed, "
          f"bounced or complained here), {len(result.skipped)} skipped")


def cmd_collect(args: argparse.Namespace) -> int:
    from tidings.collector.server import serve

    print(f"collector for {args.root.resolve()} on http://{args.host}:{args.port}/ (Ctrl+C to stop)",
          file=sys.stderr)
    serve(args.root, args.host, args.port, args.workers)
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from tidings.content import load
    from tidings.feedback import export_feedback, import_feedback

    community = load(args.root, history=False)
    if args.action == "export":
        from tidings.store import open_database

        changed = export_feedback(open_database(args.root), community)
        for survey, rows in changed.items():
            print(f"feedback/{survey}.csv: {rows} answers")
        if not changed:
            print("feedback/ is up to date")
        return 0
    if args.action == "import":
        from tidings.tokens import Signer, load_secret

        signer = Signer(load_secret(args.root, allow_dev=True)[0])
        count = import_feedback(args.root.resolve(), community, Path(args.file), args.survey, signer)
        print(f"feedback/{args.survey}.csv: {count} answers imported from {args.file}")
        return 0
    raise UsageError("usage: feedback export | feedback import FILE --survey ID")


def cmd_init(args: argparse.Namespace) -> int:
    from tidings.scaffold import create

    target = Path(args.dir)
    made = create(target, name=args.name, timezone=args.timezone)
    for note in made.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"Created a community repo in {target}/. Next: {made.next_step}")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from tidings.plan import plan

    return plan(args.root, start=args.start, weeks=args.weeks, ics=args.ics, markdown=args.md,
                notify=_say).status


def cmd_followups(args: argparse.Namespace) -> int:
    from tidings.followups import commands as followups
    from tidings.store.followups import STATES

    if args.action in (None, "list"):
        states = STATES if args.every else (args.state,) if args.state else ("open", "answered")
        return followups.list_followups(args.root, states, _say).status
    if args.action == "show":
        return followups.show_followup(args.root, args.id, _say).status
    if args.action == "assign":
        return followups.assign_followup(args.root, args.id, args.owner, _say).status
    if args.action == "resolve":
        return followups.resolve_followup(args.root, args.id, _say).status
    if args.action == "fetch":
        from tidings.mailbox import fetch_mailbox

        return fetch_mailbox(args.root, notify=_say).status
    if args.text is None and args.file is None and sys.stdin.isatty():
        print("Type the answer, then Ctrl-D on a line of its own:", file=sys.stderr)
    text = followups.read_answer(args.text, args.file, sys.stdin)
    return followups.answer_followup(args.root, args.id, text, _say).status


def cmd_report(args: argparse.Namespace) -> int:
    from tidings.monthly_report import report

    return report(args.root, month=args.month, out=args.out, html=args.html, notify=_say).status


def cmd_demo(args: argparse.Namespace) -> int:
    from tidings.demo import run_demo

    return run_demo(args.root, notify=_say).status


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "check": (cmd_check, "validate every content file; print every problem as path:line: message"),
    "site": (cmd_site, "build the public site as it must look at --as-of (default: now)"),
    "serve": (cmd_serve, "live preview of the site while editing"),
    "newsletter": (cmd_newsletter, "render (and, with a subscriber list, send) newsletter issues"),
    "subscribers": (cmd_subscribers, "manage the subscriber list: add, remove, list, stats, import, export"),
    "collect": (cmd_collect, "run the collector web service (sign-ups, unsubscribes, survey answers)"),
    "feedback": (cmd_feedback, "survey answers into feedback/ (export from the collector, import a CSV)"),
    "followups": (cmd_followups, "member questions and complaints until answered: list, show, answer, "
                                 "resolve, assign, fetch (the reply mailbox)"),
    "plan": (cmd_plan, "the editorial calendar for the team, week by week, with its gaps"),
    "new": (cmd_new, HELP),
    "report": (cmd_report, "the monthly report for the brand (members, issues, surveys, content, "
                           "follow-ups): Markdown and SVG charts in reports/, counts only"),
    "init": (cmd_init, "scaffold a new community repo in DIR"),
    "demo": (cmd_demo, "build the example community's site and show where to look"),
}


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser: every command and its options (see ``tidings.cli_parser``)."""
    return cli_parser.build({name: text for name, (_, text) in COMMANDS.items()})


def _print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    errors = sum(1 for p in problems if p.severity == "error")
    print(f"{errors} problem(s) found; nothing was changed.", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (0 ok, 1 content problems, 2 usage).

    When the reader of the output goes away (``… | head``), stop quietly with 141, the status
    of a Unix tool ended by SIGPIPE.
    """
    try:
        status = _run(argv)
        sys.stdout.flush()  # a pipe closed early must fail here, not at interpreter exit
        return status
    except BrokenPipeError:
        silence_stdout()
        return 141


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not args.command:
        parser.print_help()
        return 2
    handler, _ = COMMANDS[args.command]
    try:
        return handler(args)
    except TidingsError as exc:
        # Errors found in files are printed as ``path:line: message``, one per problem.
        if isinstance(exc, ContentError) or (isinstance(exc, ConfigError) and exc.problems):
            _print_problems(exc.problems)
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
