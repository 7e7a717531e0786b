"""Command line: parses arguments and calls the library. No logic a test would want lives here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from tidings import __version__
from tidings.errors import ContentError, Problem, TidingsError, UsageError


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
    from tidings.content import check

    community, problems = check(args.root)
    for problem in problems:
        print(problem)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        print(f"{len(errors)} problem(s) found.", file=sys.stderr)
        return 1
    count = len(community.entries()) if community else 0
    print(f"ok: {count} files checked, no problems.")
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    from tidings.site.engine import build_site

    as_of = _as_of(args.as_of, args.root)
    out = Path(args.out) if args.out else None
    result = build_site(args.root, as_of, out, strict=args.strict)
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


def cmd_init(args: argparse.Namespace) -> int:
    from tidings.scaffold import init

    target = Path(args.dir)
    init(target, name=args.name, timezone=args.timezone)
    print(f"Created a community repo in {target}/. Next: cd {target} && python build.py site")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from tidings.demo import run_demo

    return run_demo(args.root)


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "check": (cmd_check, "validate every content file; print every problem as path:line: message"),
    "site": (cmd_site, "build the public site as it must look at --as-of (default: now)"),
    "serve": (cmd_serve, "live preview of the site while editing"),
    "init": (cmd_init, "scaffold a new community repo in DIR"),
    "demo": (cmd_demo, "build the example community's site and show where to look"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tidings", description="A git repo of Markdown becomes a community site and newsletters."
    )
    parser.add_argument("--version", action="version", version=f"tidings {__version__}")
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="the community repo (default: the current directory)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers = {name: sub.add_parser(name, help=text, description=text)
               for name, (_, text) in COMMANDS.items()}
    parsers["site"].add_argument("--as-of", metavar="T",
                                 help="ISO date or date-time; items dated later are left out")
    parsers["site"].add_argument("--out", metavar="DIR", help="output folder (default: site/)")
    parsers["site"].add_argument("--strict", action="store_true",
                                 help="fail on site engine warnings (broken links, …)")
    parsers["serve"].add_argument("--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT")
    parsers["serve"].add_argument("--as-of", metavar="T", help="preview the site as it will look at T")
    parsers["init"].add_argument("dir", metavar="DIR")
    parsers["init"].add_argument("--name", help="the community's name (default: from DIR)")
    parsers["init"].add_argument("--timezone", default="UTC",
                                 help="IANA timezone of dates without offset (default: UTC)")
    return parser


def _print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    errors = sum(1 for p in problems if p.severity == "error")
    print(f"{errors} problem(s) found; nothing was changed. Run 'python build.py check' "
          "after fixing them.", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (0 ok, 1 content problems, 2 usage)."""
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
    except ContentError as exc:
        _print_problems(exc.problems)
        return exc.exit_code
    except TidingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
